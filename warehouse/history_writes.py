"""What the history update writes, collected for every company and written with one statement
per kind (warehouse.history): the companies' diffed / baseline documents, history rows closed,
history rows opened, alerts, review items. Inside the caller's transaction.

Keys make re-runs add nothing: history rows by company + target + value + document + run,
alerts by company + target + old/new value + the document that made the change.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from transforms.diff import Change
from warehouse.db import frame_view, insert_rows
from warehouse.review import ReviewWrites, write_review_items

HISTORY_COLUMNS = {"history_id": "VARCHAR", "case_no": "INTEGER", "metric": "VARCHAR", "target_key": "VARCHAR",
                   "value": "VARCHAR", "year": "INTEGER", "number": "DOUBLE", "document_id": "VARCHAR",
                   "page": "INTEGER", "evidence": "VARCHAR", "valid_from": "TIMESTAMP", "is_current": "BOOLEAN",
                   "run_id": "VARCHAR", "status": "VARCHAR", "base_year": "INTEGER", "scope": "VARCHAR",
                   "report_year": "INTEGER", "confidence": "DOUBLE", "reviewed": "BOOLEAN"}
ALERT_COLUMNS = {"alert_id": "VARCHAR", "run_id": "VARCHAR", "case_no": "INTEGER", "company": "VARCHAR",
                 "metric": "VARCHAR", "target_key": "VARCHAR", "change": "VARCHAR", "old_value": "VARCHAR",
                 "new_value": "VARCHAR", "old_document_id": "VARCHAR", "old_page": "INTEGER",
                 "old_evidence": "VARCHAR", "new_document_id": "VARCHAR", "new_page": "INTEGER",
                 "new_evidence": "VARCHAR", "created_at": "TIMESTAMP"}


def _short_hash(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str).encode()).hexdigest()[:32]


@dataclass
class HistoryWrites:
    """Every write of one history update, as rows."""

    run_id: str
    now: datetime
    diffed: list[list] = field(default_factory=list)   # [case_no, document_id, it becomes the baseline]
    closes: list[list] = field(default_factory=list)   # [case_no, target_key, closing document_id]
    opens: list[list] = field(default_factory=list)    # target_history rows (HISTORY_COLUMNS)
    alerts: dict[str, list] = field(default_factory=dict)  # alert_id -> row (ALERT_COLUMNS)
    review: ReviewWrites = field(default_factory=ReviewWrites)

    def change(self, case_no: int, ch: Change, doc_id: str, report_year: int | None) -> int:
        """Close the target's current row, open the new value's; returns the rows opened."""
        if ch.old:
            self.closes.append([case_no, ch.key, doc_id])
        if not ch.new:
            return 0
        t = ch.new
        self.opens.append([_short_hash(case_no, t.key, t.value, doc_id, self.run_id), case_no, t.metric, t.key,
                           t.value, t.year, t.number, doc_id, t.page, t.evidence, self.now, True, self.run_id,
                           t.status, t.base_year, t.scope, report_year, t.confidence, t.reviewed])
        return 1

    def alert(self, company: dict, ch: Change, doc_id: str) -> None:
        """One change alerts once: the id is the company, the target, old and new value and the
        document that made the change; re-running a load or a diff cannot add it again."""
        o, n = ch.old, ch.shown_new or ch.new
        alert_id = _short_hash(company["case_no"], ch.key, o and o.value, n and n.value, doc_id)
        self.alerts.setdefault(alert_id, [
            alert_id, self.run_id, company["case_no"], company["name"], ch.metric, ch.key,
            ch.shown_change or ch.change, o and o.value, n and n.value, o and o.document_id, o and o.page,
            o and o.evidence, doc_id, n and n.page, n and n.evidence, self.now])

    def write(self, con, on_step: Callable[[str], None] | None = None) -> int:
        """Write everything, one statement per kind; `on_step("history")` after each kind (tests
        kill the process there: mid-transaction). Returns how many alerts were new."""
        step = on_step or (lambda _: None)
        with frame_view(con, "diffed_companies", self.diffed, ["case_no", "document_id", "sets_baseline"],
                        {"case_no": "Int64", "document_id": "string", "sets_baseline": "boolean"}):
            con.execute(
                "UPDATE companies SET diffed_document_id = d.document_id, "
                "baseline_run_id = CASE WHEN d.sets_baseline THEN ? ELSE companies.baseline_run_id END, "
                "baseline_document_id = CASE WHEN d.sets_baseline THEN d.document_id ELSE companies.baseline_document_id END "
                "FROM diffed_companies d WHERE companies.case_no = d.case_no", [self.run_id])
        step("history")
        if self.closes:
            with frame_view(con, "closed_targets", self.closes, ["case_no", "target_key", "document_id"],
                            {"case_no": "Int64", "target_key": "string", "document_id": "string"}):
                con.execute(
                    "UPDATE target_history SET valid_to = ?, is_current = false, closed_by_document_id = c.document_id, "
                    "closed_run_id = ? FROM closed_targets c WHERE target_history.case_no = c.case_no "
                    "AND target_history.target_key = c.target_key AND target_history.is_current",
                    [self.now, self.run_id])
        step("history")
        insert_rows(con, "target_history", HISTORY_COLUMNS, self.opens)
        step("history")
        new_alerts = insert_rows(con, "alerts", ALERT_COLUMNS, list(self.alerts.values()),
                                 conflict="ON CONFLICT (alert_id) DO NOTHING")
        step("history")
        write_review_items(con, self.review, self.run_id, self.now)
        step("history")
        return new_alerts
