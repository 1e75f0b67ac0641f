"""Stage 1, fetch and extract: the sources registry (sources), the polite crawler (fetch,
discover, crawl), page text (pdftext), fact rules (facts), whole documents with caps and clear
failures (document) and the seed report's cases (cases).

May import: common. Never transforms, expectations, warehouse or carbonwatch."""
