"""The change history of every company's targets (SCD2) and which changes raise alerts.

`update_history` diffs each company's current report (transforms.diff) against its open
history rows in one transaction: a changed or withdrawn target closes its row, a new value opens
one, and each real change of a target after the company's baseline is one alert. Only trusted
facts take part: a fact below the review confidence, a rejected value, or a change that would
overwrite an accepted value with less confidence waits in the review list (warehouse.review);
`decide` records an analyst's accept / reject and re-diffs those companies at once.

Set-based: the inputs of every company whose current document changed are read with one query
per kind (warehouse.history_reads), each company is diffed in Python, and the writes are made
with one statement per kind (warehouse.history_writes), so the statements of an update do not
grow with the companies. Keys make re-runs add nothing: history rows by company + target +
value + document + run, alerts by company + target + old/new value + the document that made
the change.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from common.settings import review_confidence
from transforms.diff import diff_targets, targets_from_facts
from warehouse.db import transaction, utcnow
from warehouse.history_reads import companies_to_diff, current_facts, open_targets, review_statuses
from warehouse.history_writes import HistoryWrites
from warehouse.review import overriding_facts, record_decision, resolve_ids, screen_facts
from warehouse.sources import refresh_source_targets


def apply_history(con, run_id: str, now: datetime, on_step: Callable[[str], None] | None = None,
                  threshold: float | None = None, case_nos: list[int] | None = None) -> dict:
    """The history update inside the caller's transaction (update_history, the bootstrap's, or a
    review decision's for its `case_nos`). Facts below `threshold` (default: the
    review-confidence setting) wait for review instead. `on_step("history")` is called after
    each kind of write (companies, closed rows, opened rows, alerts, review items)."""
    threshold = review_confidence() if threshold is None else threshold
    refresh_source_targets(con)
    todo = companies_to_diff(con, case_nos)
    if not todo:
        return {"history_rows": 0, "alerts": 0, "review_pending": 0}
    diffed = [t.company["case_no"] for t in todo]
    facts, history, statuses = current_facts(con, todo), open_targets(con, diffed), review_statuses(con, diffed)
    writes = HistoryWrites(run_id, now)
    history_rows = review_pending = 0
    for t in todo:
        c, doc_id = t.company, t.document_id
        existing = statuses.get(c["case_no"], {})
        screened = screen_facts(c["case_no"], facts.get(c["case_no"], []), threshold, existing)
        new = targets_from_facts(screened.trusted, doc_id)
        for key in screened.accepted_keys & new.keys():
            new[key].reviewed = True
        old = history.get(c["case_no"], {})
        # The first load of a company's own report is its baseline: history rows, no alerts.
        # (Until then its targets come from the 100-case report, a third party's summary: a
        # difference between that summary and the company's own report is not a change.)
        # A re-diff of the baseline report after a review decision is still the baseline.
        baseline = c["baseline_run_id"] is None or doc_id == c["baseline_document_id"]
        writes.diffed.append([c["case_no"], doc_id, c["baseline_run_id"] is None and t.own])
        held: list = []
        # A newer report from which nothing trusted was extracted (e.g. a scanned PDF) is no
        # evidence that every target was withdrawn: keep the history as it is.
        for ch in diff_targets(c["case_no"], old, new) if new or not old else []:
            if ch.change == "withdrawn" and ch.key in screened.held_keys:
                continue  # its facts wait for review (or were rejected): not gone
            if ch.change == "changed" and ch.old.reviewed and ch.new.confidence < ch.old.confidence:
                held += overriding_facts(screened.trusted, ch.old, ch.new)
                continue  # an accepted value yields only to evidence as sure as it
            history_rows += writes.change(c["case_no"], ch, doc_id, t.report_year)
            if ch.alerts and not baseline:
                writes.alert(c, ch, doc_id)
        held_ids = {id(f) for f, _ in held}
        trusted = [f for f in screened.trusted if id(f) not in held_ids]
        review_pending += writes.review.add(run_id, c, doc_id, screened, held, trusted, old, baseline, now, existing)
    alerts = writes.write(con, on_step)
    return {"history_rows": history_rows, "alerts": alerts, "review_pending": review_pending}


def update_history(con, run_id: str, now: datetime | None = None,
                   on_step: Callable[[str], None] | None = None, threshold: float | None = None) -> dict:
    """Close changed or withdrawn targets, open new ones, record one alert per real change;
    facts below `threshold` (default: the review-confidence setting) wait for review.

    One transaction. `on_step`, if given, is called inside it after each kind of write
    ("history"): tests use it to kill or fail the process mid-update."""
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
        case_nos = sorted({i["case_no"] for i in items})
        con.execute("UPDATE companies SET diffed_document_id = NULL WHERE case_no IN (SELECT unnest(?::INTEGER[]))",
                    [case_nos])
        done = apply_history(con, run_id, now, threshold=threshold, case_nos=case_nos)
        counts["history_rows"], counts["alerts"] = done["history_rows"], done["alerts"]
        con.execute("UPDATE review_decisions SET history_rows = ?, alerts = ? WHERE run_id = ?",
                    [counts["history_rows"], counts["alerts"], run_id])
    return counts
