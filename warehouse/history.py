"""The change history of every company's targets (SCD2) and which changes raise alerts.

`update_history` diffs each company's current report (transforms.diff) against its open
history rows in one transaction: a changed or withdrawn target closes its row, a new value opens
one, and each real change of a target after the company's baseline is one alert. Only trusted
facts take part: a fact below the review confidence, a rejected value, or a change that would
overwrite an accepted value with less confidence waits in the review list (warehouse.review);
`decide` records an analyst's accept / reject and re-diffs that company at once. Keys make
re-runs add nothing: history rows by company + target + value + document + run, alerts by
company + target + old/new value + the document that made the change.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime

from common.schema import Fact
from common.settings import review_confidence
from transforms.diff import Change, Target, diff_targets, targets_from_facts
from warehouse.db import rows, transaction, utcnow
from warehouse.sources import refresh_source_targets
from warehouse.review import overriding_facts, record_decision, record_items, resolve_ids, screen_facts


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
                                      r.get("base_year"), r.get("scope"),
                                      1.0 if r.get("confidence") is None else r["confidence"], bool(r.get("reviewed")))
    return out


def _current_facts(con, doc_id: str, case_no: int) -> list[Fact]:
    facts = [Fact.from_dict(r) for r in rows(
        con, "SELECT metric, year, value, base_year, scope, status, page, evidence, value_high, "
             "coalesce(confidence, 1.0) AS confidence, rule FROM facts "
             "WHERE document_id = ? AND case_no = ? ORDER BY page, fact_id", [doc_id, case_no])]
    for f in facts:
        if f.metric == "re100":
            f.value = True
    return facts


def apply_history(con, run_id: str, now: datetime, on_step: Callable[[str], None] | None = None,
                  threshold: float | None = None, case_no: int | None = None) -> dict:
    """The history update inside the caller's transaction (update_history, the bootstrap's, or a
    review decision's for one `case_no`). Facts below `threshold` (default: the review-confidence
    setting) wait for review instead. `on_step("history")` is called after each company diffed."""
    threshold = review_confidence() if threshold is None else threshold
    refresh_source_targets(con)
    companies = rows(con, "SELECT case_no, name, baseline_run_id, baseline_document_id, diffed_document_id "
                          "FROM companies WHERE ?::INTEGER IS NULL OR case_no = ? ORDER BY case_no", [case_no, case_no])
    current_documents = _current_documents(con)
    history_rows = alerts = review_pending = 0
    for c in companies:
        current = current_documents.get(c["case_no"])
        if current is None:
            continue
        doc_id, report_year, own = current
        if doc_id == c["diffed_document_id"]:
            continue  # diffed against this very document before: nothing can have changed
        con.execute("UPDATE companies SET diffed_document_id = ? WHERE case_no = ?", [doc_id, c["case_no"]])
        screened = screen_facts(con, c["case_no"], _current_facts(con, doc_id, c["case_no"]), threshold)
        new = targets_from_facts(screened.trusted, doc_id)
        for key in screened.accepted_keys & new.keys():
            new[key].reviewed = True
        old = _history_targets(con, c["case_no"])
        # The first load of a company's own report is its baseline: history rows, no alerts.
        # (Until then its targets come from the 100-case report, a third party's summary: a
        # difference between that summary and the company's own report is not a change.)
        # A re-diff of the baseline report after a review decision is still the baseline.
        baseline = c["baseline_run_id"] is None or doc_id == c["baseline_document_id"]
        if c["baseline_run_id"] is None and own:
            con.execute("UPDATE companies SET baseline_run_id = ?, baseline_document_id = ? WHERE case_no = ?",
                        [run_id, doc_id, c["case_no"]])
        held: list = []
        # A newer report from which nothing trusted was extracted (e.g. a scanned PDF) is no
        # evidence that every target was withdrawn: keep the history as it is.
        for ch in diff_targets(c["case_no"], old, new) if new or not old else []:
            if ch.change == "withdrawn" and ch.key in screened.held_keys:
                continue  # its facts wait for review (or were rejected): not gone
            if ch.change == "changed" and ch.old.reviewed and ch.new.confidence < ch.old.confidence:
                held += overriding_facts(screened.trusted, ch.old, ch.new)
                continue  # an accepted value yields only to evidence as sure as it
            history_rows += _apply_change(con, run_id, c["case_no"], ch, doc_id, report_year, now)
            if ch.alerts and not baseline:
                alerts += _record_alert(con, run_id, c, ch, doc_id, now)
        held_ids = {id(f) for f, _ in held}
        trusted = [f for f in screened.trusted if id(f) not in held_ids]
        review_pending += record_items(con, run_id, c, doc_id, screened, held, trusted, old, baseline, now)
        if on_step:
            on_step("history")
    return {"history_rows": history_rows, "alerts": alerts, "review_pending": review_pending}


def _apply_change(con, run_id: str, case_no: int, ch: Change, doc_id: str, report_year: int | None,
                  now: datetime) -> int:
    """Close the target's current row, open the new value's; returns the rows opened."""
    if ch.old:
        con.execute(
            "UPDATE target_history SET valid_to = ?, is_current = false, closed_by_document_id = ?, "
            "closed_run_id = ? WHERE case_no = ? AND target_key = ? AND is_current",
            [now, doc_id, run_id, case_no, ch.key])
    if not ch.new:
        return 0
    t = ch.new
    con.execute(
        "INSERT INTO target_history (history_id, case_no, metric, target_key, value, year, number, "
        "document_id, page, evidence, valid_from, valid_to, is_current, run_id, status, base_year, "
        "scope, report_year, confidence, reviewed) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, true, ?, ?, ?, ?, ?, ?, ?)",
        [_short_hash(case_no, t.key, t.value, doc_id, run_id), case_no, t.metric, t.key, t.value,
         t.year, t.number, doc_id, t.page, t.evidence, now, run_id, t.status, t.base_year,
         t.scope, report_year, t.confidence, t.reviewed])
    return 1


def _record_alert(con, run_id: str, company: dict, ch: Change, doc_id: str, now: datetime) -> int:
    """One change alerts once: the id is the company, the target, old and new value and the
    document that made the change; re-running a load or a diff cannot add it again. Returns 1
    for a new alert, 0 for one already recorded."""
    o, n = ch.old, ch.shown_new or ch.new
    alert_id = _short_hash(company["case_no"], ch.key, o and o.value, n and n.value, doc_id)
    cur = con.execute(
        "INSERT INTO alerts (alert_id, run_id, case_no, company, metric, target_key, change, old_value, "
        "new_value, old_document_id, old_page, old_evidence, new_document_id, new_page, new_evidence, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (alert_id) DO NOTHING",
        [alert_id, run_id, company["case_no"], company["name"], ch.metric, ch.key, ch.shown_change or ch.change,
         o and o.value, n and n.value, o and o.document_id, o and o.page, o and o.evidence,
         doc_id, n and n.page, n and n.evidence, now])
    return cur.fetchone()[0]


def update_history(con, run_id: str, now: datetime | None = None,
                   on_step: Callable[[str], None] | None = None, threshold: float | None = None) -> dict:
    """Close changed or withdrawn targets, open new ones, record one alert per real change;
    facts below `threshold` (default: the review-confidence setting) wait for review.

    One transaction. `on_step`, if given, is called inside it after each company diffed
    ("history"): tests use it to kill or fail the process mid-diff."""
    with transaction(con):
        return apply_history(con, run_id, now or utcnow(), on_step, threshold)


def decide(con, ids: list[str], decision: str, reviewer: str | None = None, note: str | None = None,
           threshold: float | None = None, now: datetime | None = None) -> dict:
    """Accept or reject review items (ids or unique prefixes) and re-diff their companies' current
    reports at once, in one transaction: an accepted fact joins the history (and raises the alert
    it was holding back, unless it came from a baseline report); a rejected one never will.
    Returns the items decided and the history rows and alerts the decision made."""
    now = now or utcnow()
    run_id = f"review-{now:%Y%m%dT%H%M%S%f}"
    with transaction(con):
        items = resolve_ids(con, ids)
        for item in items:
            record_decision(con, item, decision, reviewer, note, run_id, now)
        counts = {"decided": [i["review_id"] for i in items], "history_rows": 0, "alerts": 0}
        for case_no in sorted({i["case_no"] for i in items}):
            con.execute("UPDATE companies SET diffed_document_id = NULL WHERE case_no = ?", [case_no])
            done = apply_history(con, run_id, now, threshold=threshold, case_no=case_no)
            counts["history_rows"] += done["history_rows"]
            counts["alerts"] += done["alerts"]
        con.execute("UPDATE review_decisions SET history_rows = ?, alerts = ? WHERE run_id = ?",
                    [counts["history_rows"], counts["alerts"], run_id])
    return counts
