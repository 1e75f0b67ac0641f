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
from warehouse.db import rows, transaction, utcnow


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


def _history_targets(con, case_no: int) -> dict[str, Target]:
    out = {}
    for r in rows(con, "SELECT * FROM target_history WHERE case_no = ? AND is_current", [case_no]):
        out[r["target_key"]] = Target(r["target_key"], r["metric"], r["value"], r["year"], r["number"],
                                      r["page"], r["evidence"], r["document_id"], r.get("status"),
                                      r.get("base_year"), r.get("scope"))
    return out


def apply_history(con, run_id: str, now: datetime, on_step: Callable[[str], None] | None = None) -> dict:
    """The history update inside the caller's transaction (update_history, or the bootstrap's).
    `on_step("history")` is called after each company diffed."""
    companies = rows(con, "SELECT case_no, name, baseline_run_id, diffed_document_id FROM companies ORDER BY case_no")
    current_documents = _current_documents(con)
    history_rows = alerts = 0
    for c in companies:
        case_no = c["case_no"]
        current = current_documents.get(case_no)
        if current is None:
            continue
        doc_id, report_year, own = current
        if doc_id == c["diffed_document_id"]:
            continue  # diffed against this very document before: nothing can have changed
        con.execute("UPDATE companies SET diffed_document_id = ? WHERE case_no = ?", [doc_id, case_no])
        facts = [Fact.from_dict(r) for r in rows(
            con, "SELECT metric, year, value, base_year, scope, status, page, evidence FROM facts "
                 "WHERE document_id = ? AND case_no = ? ORDER BY page, fact_id", [doc_id, case_no])]
        for f in facts:
            if f.metric == "re100":
                f.value = True
        new = targets_from_facts(facts, doc_id)
        old = _history_targets(con, case_no)
        if not new and old:
            # A newer report from which nothing at all was extracted (e.g. a scanned PDF) is no
            # evidence that every target was withdrawn: keep the history as it is.
            continue
        # The first load of a company's own report is its baseline: history rows, no alerts.
        # (Until then its targets come from the 100-case report, a third party's summary: a
        # difference between that summary and the company's own report is not a change.)
        baseline = c["baseline_run_id"] is None
        if baseline and own:
            con.execute("UPDATE companies SET baseline_run_id = ? WHERE case_no = ?", [run_id, case_no])
        for ch in diff_targets(case_no, old, new):
            if ch.old:
                con.execute(
                    "UPDATE target_history SET valid_to = ?, is_current = false, closed_by_document_id = ?, "
                    "closed_run_id = ? WHERE case_no = ? AND target_key = ? AND is_current",
                    [now, doc_id, run_id, case_no, ch.key])
            if ch.new:
                t = ch.new
                con.execute(
                    "INSERT INTO target_history (history_id, case_no, metric, target_key, value, year, number, "
                    "document_id, page, evidence, valid_from, valid_to, is_current, run_id, status, base_year, "
                    "scope, report_year) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, true, ?, ?, ?, ?, ?)",
                    [_short_hash(case_no, t.key, t.value, doc_id, run_id), case_no, t.metric, t.key, t.value,
                     t.year, t.number, doc_id, t.page, t.evidence, now, run_id, t.status, t.base_year,
                     t.scope, report_year])
                history_rows += 1
            if baseline:
                continue
            alerts += _record_alert(con, run_id, c, ch, doc_id, now)
        if on_step:
            on_step("history")
    return {"history_rows": history_rows, "alerts": alerts}


def _record_alert(con, run_id: str, company: dict, ch: Change, doc_id: str, now: datetime) -> int:
    """One change alerts once: the id is the company, the target, old and new value and the
    document that made the change; re-running a load or a diff cannot add it again. Returns 1
    for a new alert, 0 for one already recorded."""
    o, n = ch.old, ch.new
    alert_id = _short_hash(company["case_no"], ch.key, o and o.value, n and n.value, doc_id)
    cur = con.execute(
        "INSERT INTO alerts (alert_id, run_id, case_no, company, metric, target_key, change, old_value, "
        "new_value, old_document_id, old_page, old_evidence, new_document_id, new_page, new_evidence, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (alert_id) DO NOTHING",
        [alert_id, run_id, company["case_no"], company["name"], ch.metric, ch.key, ch.change,
         o and o.value, n and n.value, o and o.document_id, o and o.page, o and o.evidence,
         doc_id, n and n.page, n and n.evidence, now])
    return cur.fetchone()[0]


def update_history(con, run_id: str, now: datetime | None = None,
                   on_step: Callable[[str], None] | None = None) -> dict:
    """Close changed or withdrawn targets, open new ones, record one alert per real change.

    One transaction. `on_step`, if given, is called inside it after each company diffed
    ("history"): tests use it to kill or fail the process mid-diff."""
    with transaction(con):
        return apply_history(con, run_id, now or utcnow(), on_step)
