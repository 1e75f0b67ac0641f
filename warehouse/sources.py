"""What each source says of each company's targets (table source_targets).

A company's history follows its newest document; the other sources (the seed reports, older
reports) keep their facts, and this table keeps their targets, keyed like the history
(transforms.diff), so that views can show the latest value of each target across sources
and where two sources disagree. Runs inside the caller's transaction (every history update).
"""
from __future__ import annotations

from common.schema import Fact
from transforms.diff import targets_from_facts
from warehouse.db import insert_rows


SOURCE_TARGET_COLUMNS = {"case_no": "INTEGER", "document_id": "VARCHAR", "target_key": "VARCHAR",
                         "metric": "VARCHAR", "value": "VARCHAR", "year": "INTEGER", "number": "DOUBLE",
                         "status": "VARCHAR", "base_year": "INTEGER", "scope": "VARCHAR", "page": "INTEGER",
                         "evidence": "VARCHAR"}


def refresh_source_targets(con) -> int:
    """Targets of every (company, parsed document) pair not yet in source_targets; returns
    how many rows were added. A document's facts arrive at once, so a pair is done once.
    One query reads the facts of every new pair, one statement inserts their targets."""
    found = con.execute(
        "SELECT f.case_no, f.document_id, metric, year, value, base_year, scope, status, page, evidence "
        "FROM facts f JOIN documents d USING (document_id) WHERE d.parse_status = 'parsed' AND NOT EXISTS "
        "(SELECT 1 FROM source_targets s WHERE s.case_no = f.case_no AND s.document_id = f.document_id) "
        "ORDER BY f.case_no, f.document_id, page, fact_id")
    names = [d[0] for d in found.description]
    by_pair: dict[tuple[int, str], list[Fact]] = {}
    for r in found.fetchall():
        fact = Fact.from_dict(dict(zip(names[2:], r[2:])))
        if fact.metric == "re100":
            fact.value = True
        by_pair.setdefault((r[0], r[1]), []).append(fact)
    added = [[case_no, doc_id, t.key, t.metric, t.value, t.year, t.number, t.status, t.base_year, t.scope,
              t.page, t.evidence]
             for (case_no, doc_id), facts in by_pair.items() for t in targets_from_facts(facts, doc_id).values()]
    insert_rows(con, "source_targets", SOURCE_TARGET_COLUMNS, added, conflict="ON CONFLICT DO NOTHING")
    return len(added)
