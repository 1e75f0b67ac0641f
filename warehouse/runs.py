"""Run bookkeeping: open, close and count a run; bootstrap a new warehouse from the seed report.

Each function is one transaction. `bootstrap` loads the 100 cases (companies, the report as a
document, its facts), the cases of further seed reports (warehouse.reports) and their
baseline targets in the same transaction as its run row.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from warehouse.db import transaction, utcnow
from warehouse.history import apply_history
from warehouse.reports import add_report

RUN_COUNTS = ("companies", "documents_new", "documents_unchanged", "documents_failed",
              "facts_added", "facts_quarantined", "history_rows", "alerts")


def is_bootstrapped(con) -> bool:
    return con.execute("SELECT count(*) FROM companies").fetchone()[0] > 0


def start_run(con, run_id: str, sources_file: str | None, now: datetime | None = None) -> None:
    with transaction(con):
        con.execute(
            "INSERT INTO runs (run_id, started_at, status, sources_file) VALUES (?, ?, 'running', ?) "
            "ON CONFLICT (run_id) DO UPDATE SET started_at = excluded.started_at, status = 'running'",
            [run_id, now or utcnow(), sources_file],
        )


def _close_run(con, run_id: str, counts: dict, status: str) -> None:
    con.execute(
        f"UPDATE runs SET finished_at = ?, status = ?, {', '.join(c + ' = ?' for c in RUN_COUNTS)} WHERE run_id = ?",
        [utcnow(), status] + [counts.get(c) for c in RUN_COUNTS] + [run_id],
    )


def finish_run(con, run_id: str, counts: dict, status: str = "success") -> None:
    with transaction(con):
        _close_run(con, run_id, counts, status)


def bootstrap(con, report_path: str | Path, case_records: list[dict], run_id: str,
              now: datetime | None = None, meta: dict | None = None,
              more_reports: list[tuple[str | Path, list[dict], dict]] = ()) -> dict:
    """Load the 100 cases of the report, then the cases of any further seed reports
    (path, case records, meta: title/publisher/year), and every company's baseline targets
    (a baseline raises no alerts). One transaction."""
    now = now or utcnow()
    meta = {"title": "中国企业低碳转型与高质量发展报告 2023 (100 cases)", "year": 2023} | (meta or {})
    with transaction(con):
        con.execute(
            "INSERT INTO runs (run_id, started_at, status, sources_file) VALUES (?, ?, 'running', ?)",
            [run_id, now, str(report_path)],
        )
        counts = {"companies": 0, "documents_new": 0, "documents_unchanged": 0, "documents_failed": 0,
                  "facts_added": 0, "facts_quarantined": 0}
        for path, records, report_meta in [(report_path, case_records, meta), *more_reports]:
            added = add_report(con, path, records, run_id, now, report_meta)
            for key in ("companies", "documents_new", "facts_added"):
                counts[key] += added[key]
        history = apply_history(con, run_id, now)
        counts |= {"history_rows": history["history_rows"], "alerts": history["alerts"]}
        _close_run(con, run_id, counts, "success")
    return counts
