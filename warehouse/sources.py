"""What each source says of each company's targets (table source_targets).

A company's history follows its newest document; the other sources (the seed reports, older
reports) keep their facts, and this table keeps their targets, keyed like the history
(transforms.diff), so that views can show the latest value of each target across sources
and where two sources disagree. Runs inside the caller's transaction (every history update).
"""
from __future__ import annotations

from common.schema import Fact
from transforms.diff import targets_from_facts
from warehouse.db import rows


def refresh_source_targets(con) -> int:
    """Targets of every (company, parsed document) pair not yet in source_targets; returns
    how many rows were added. A document's facts arrive at once, so a pair is done once."""
    pairs = con.execute(
        "SELECT DISTINCT f.case_no, f.document_id FROM facts f JOIN documents d USING (document_id) "
        "WHERE d.parse_status = 'parsed' AND NOT EXISTS (SELECT 1 FROM source_targets s "
        "WHERE s.case_no = f.case_no AND s.document_id = f.document_id) ORDER BY 1, 2").fetchall()
    added = []
    for case_no, doc_id in pairs:
        facts = [Fact.from_dict(r) for r in rows(
            con, "SELECT metric, year, value, base_year, scope, status, page, evidence FROM facts "
                 "WHERE document_id = ? AND case_no = ? ORDER BY page, fact_id", [doc_id, case_no])]
        for f in facts:
            if f.metric == "re100":
                f.value = True
        for t in targets_from_facts(facts, doc_id).values():
            added.append([case_no, doc_id, t.key, t.metric, t.value, t.year, t.number, t.status,
                          t.base_year, t.scope, t.page, t.evidence])
    if added:
        con.executemany("INSERT INTO source_targets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT DO NOTHING", added)
    return len(added)
