"""The change history of every company's targets (SCD2) and which changes raise alerts.

`update_history` diffs each company's current report (transforms.diff) against its open
history rows in one transaction: a changed or withdrawn target closes its row, a new value opens
one, and each real change after the company's baseline is one alert. Keys make re-runs add
nothing: history rows by company + target + value + document + run, alerts by company + target
+ old/new value + the document that made the change.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime

from common.schema import Fact
from transforms.diff import Change, Target, diff_targets, targets_from_facts
from warehouse.db import frame_view, insert_rows, rows, transaction, utcnow


def _short_hash(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str).encode()).hexdigest()[:32]


def _current_documents(con) -> dict[int, tuple[str, int | None, bool]]:
    """Each company's newest parsed document: its own reports, else the 100-case report.

    Several reports of one company (even from one run) resolve by report date: report_year,
    then fetch time; the newest wins. The others keep their documents and facts as evidence."""
    found = con.execute(
        "SELECT case_no, document_id, report_year, own FROM ("
        "  SELECT c.case_no, d.document_id, d.report_year, d.case_no IS NOT NULL AS own, row_number() OVER ("
        "    PARTITION BY c.case_no ORDER BY (d.case_no IS NOT NULL) DESC, d.report_year DESC NULLS LAST, "
        "    d.fetched_at DESC NULLS LAST, d.document_id) AS rank"
        "  FROM companies c JOIN documents d ON d.parse_status = 'parsed' AND (d.case_no = c.case_no OR "
        "    (d.case_no IS NULL AND EXISTS (SELECT 1 FROM facts f WHERE f.document_id = d.document_id "
        "                                   AND f.case_no = c.case_no))))"
        "WHERE rank = 1").fetchall()
    return {case_no: (doc_id, year, own) for case_no, doc_id, year, own in found}


def _target(r: dict) -> Target:
    return Target(r["target_key"], r["metric"], r["value"], r["year"], r["number"], r["page"], r["evidence"],
                  r["document_id"], r.get("status"), r.get("base_year"), r.get("scope"))


HISTORY_COLUMNS = {"history_id": "VARCHAR", "case_no": "INTEGER", "metric": "VARCHAR", "target_key": "VARCHAR",
                   "value": "VARCHAR", "year": "INTEGER", "number": "DOUBLE", "document_id": "VARCHAR",
                   "page": "INTEGER", "evidence": "VARCHAR", "valid_from": "TIMESTAMP", "is_current": "BOOLEAN",
                   "run_id": "VARCHAR", "status": "VARCHAR", "base_year": "INTEGER", "scope": "VARCHAR",
                   "report_year": "INTEGER"}
ALERT_COLUMNS = {"alert_id": "VARCHAR", "run_id": "VARCHAR", "case_no": "INTEGER", "company": "VARCHAR",
                 "metric": "VARCHAR", "target_key": "VARCHAR", "change": "VARCHAR", "old_value": "VARCHAR",
                 "new_value": "VARCHAR", "old_document_id": "VARCHAR", "old_page": "INTEGER",
                 "old_evidence": "VARCHAR", "new_document_id": "VARCHAR", "new_page": "INTEGER",
                 "new_evidence": "VARCHAR", "created_at": "TIMESTAMP"}


def apply_history(con, run_id: str, now: datetime, on_step: Callable[[str], None] | None = None) -> dict:
    """The history update inside the caller's transaction (update_history, or the bootstrap's).

    Set-based: one read of the facts and open history rows of every company whose current
    document changed, the diffs in Python (transforms.diff), then one statement per kind of
    write. `on_step("history")` is called after the writes."""
    companies = rows(con, "SELECT case_no, name, baseline_run_id, diffed_document_id FROM companies ORDER BY case_no")
    current_documents = _current_documents(con)
    todo = [(c, *current_documents[c["case_no"]]) for c in companies
            if c["case_no"] in current_documents and current_documents[c["case_no"]][0] != c["diffed_document_id"]]
    if not todo:  # every company's current document was diffed before: nothing can have changed
        return {"history_rows": 0, "alerts": 0}
    facts: dict[int, list[Fact]] = {}
    history: dict[int, dict[str, Target]] = {}
    with frame_view(con, "diff_todo", [[c["case_no"], doc_id] for c, doc_id, _, _ in todo], ["case_no", "document_id"]):
        for r in rows(con, "SELECT f.case_no, metric, year, value, base_year, scope, status, page, evidence FROM facts f "
                           "JOIN diff_todo t ON f.case_no = t.case_no::INTEGER AND f.document_id = t.document_id "
                           "ORDER BY f.case_no, page, fact_id"):
            facts.setdefault(r.pop("case_no"), []).append(Fact.from_dict(r))
        for r in rows(con, "SELECT * FROM target_history WHERE is_current AND case_no IN "
                           "(SELECT case_no::INTEGER FROM diff_todo)"):
            history.setdefault(r["case_no"], {})[r["target_key"]] = _target(r)
    diffed, baselines, closes, opens, alerts = [], [], [], [], []
    for c, doc_id, report_year, own in todo:
        case_no = c["case_no"]
        diffed.append([case_no, doc_id])
        for f in facts.get(case_no, []):
            if f.metric == "re100":
                f.value = True
        new = targets_from_facts(facts.get(case_no, []), doc_id)
        old = history.get(case_no, {})
        if not new and old:
            # A newer report from which nothing at all was extracted (e.g. a scanned PDF) is no
            # evidence that every target was withdrawn: keep the history as it is.
            continue
        # The first load of a company's own report is its baseline: history rows, no alerts.
        # (Until then its targets come from the 100-case report, a third party's summary: a
        # difference between that summary and the company's own report is not a change.)
        baseline = c["baseline_run_id"] is None
        if baseline and own:
            baselines.append([case_no])
        for ch in diff_targets(case_no, old, new):
            if ch.old:
                closes.append([case_no, ch.key, doc_id])
            if ch.new:
                t = ch.new
                opens.append([_short_hash(case_no, t.key, t.value, doc_id, run_id), case_no, t.metric, t.key, t.value,
                              t.year, t.number, doc_id, t.page, t.evidence, now, True, run_id, t.status,
                              t.base_year, t.scope, report_year])
            if not baseline:
                alerts.append(_alert_row(run_id, c, ch, doc_id, now))
    _write_history(con, run_id, now, diffed, baselines, closes, opens)
    added = _insert_alerts(con, alerts)
    if on_step:
        on_step("history")
    return {"history_rows": len(opens), "alerts": added}


def _write_history(con, run_id: str, now: datetime, diffed: list, baselines: list, closes: list, opens: list) -> None:
    with frame_view(con, "diffed", diffed, ["case_no", "document_id"]):
        con.execute("UPDATE companies SET diffed_document_id = d.document_id FROM diffed d "
                    "WHERE companies.case_no = d.case_no::INTEGER")
    if baselines:
        with frame_view(con, "baselines", baselines, ["case_no"]):
            con.execute("UPDATE companies SET baseline_run_id = ? WHERE case_no IN "
                        "(SELECT case_no::INTEGER FROM baselines)", [run_id])
    if closes:
        with frame_view(con, "closes", closes, ["case_no", "target_key", "document_id"]):
            con.execute("UPDATE target_history SET valid_to = ?, is_current = false, "
                        "closed_by_document_id = c.document_id, closed_run_id = ? FROM closes c "
                        "WHERE target_history.case_no = c.case_no::INTEGER AND target_history.target_key = c.target_key "
                        "AND target_history.is_current", [now, run_id])
    insert_rows(con, "target_history", HISTORY_COLUMNS, opens)


def _alert_row(run_id: str, company: dict, ch: Change, doc_id: str, now: datetime) -> list:
    """One change alerts once: the id is the company, the target, old and new value and the
    document that made the change; re-running a load or a diff cannot add it again."""
    o, n = ch.old, ch.new
    alert_id = _short_hash(company["case_no"], ch.key, o and o.value, n and n.value, doc_id)
    return [alert_id, run_id, company["case_no"], company["name"], ch.metric, ch.key, ch.change,
            o and o.value, n and n.value, o and o.document_id, o and o.page, o and o.evidence,
            doc_id, n and n.page, n and n.evidence, now]


def _insert_alerts(con, alerts: list[list]) -> int:
    """Insert the alerts not recorded before; returns how many were new."""
    if not alerts:
        return 0
    before = con.execute("SELECT count(*) FROM alerts").fetchall()[0][0]
    insert_rows(con, "alerts", ALERT_COLUMNS, alerts, conflict="ON CONFLICT (alert_id) DO NOTHING")
    return con.execute("SELECT count(*) FROM alerts").fetchall()[0][0] - before


def update_history(con, run_id: str, now: datetime | None = None,
                   on_step: Callable[[str], None] | None = None) -> dict:
    """Close changed or withdrawn targets, open new ones, record one alert per real change.

    One transaction. `on_step`, if given, is called inside it after each company diffed
    ("history"): tests use it to kill or fail the process mid-diff."""
    with transaction(con):
        return apply_history(con, run_id, now or utcnow(), on_step)
