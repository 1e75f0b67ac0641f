"""Stage 1, fetch and extract: the sources registry (sources), the polite crawler (fetch,
discover, crawl), page text (pdftext), the fact rule engine (facts) with its shared text
machinery (text: sentences, clauses, evidence, numbers; years) and one module of tables and
rules per language (lang/), layout read into structured rows for the rules (layout: tables,
bullet lists under their heading), whole documents with caps and clear failures (document) and the
seed reports' cases (cases: the 100-case report; titled_cases: reports of titled cases).

May import: common. Never transforms, expectations, warehouse or carbonwatch."""
