"""Run bookkeeping: open, close and count a run; bootstrap a new warehouse from the seed report.

Each function is one transaction. `bootstrap` loads the 100 cases (companies, the report as a
document, its facts) and their baseline targets in the same transaction as its run row.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from common.schema import Fact
from warehouse.db import transaction, utcnow
from warehouse.history import apply_history
from warehouse.loads import insert_facts

RUN_COUNTS = ("companies", "documents_new", "documents_unchanged", "documents_failed",
              "facts_added", "facts_quarantined", "history_rows", "alerts")


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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
              now: datetime | None = None) -> dict:
    """Load the 100 cases of the report: companies, the report as a document, its facts,
    and every company's baseline targets (a baseline raises no alerts)."""
    now = now or utcnow()
    report_path = Path(report_path)
    doc_id = sha256_file(report_path)
    with transaction(con):
        con.execute(
            "INSERT INTO runs (run_id, started_at, status, sources_file) VALUES (?, ?, 'running', ?)",
            [run_id, now, str(report_path)],
        )
        con.executemany(
            "INSERT INTO companies (case_no, name, sector, industry, report_pages, loaded_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (case_no) DO NOTHING",
            [[c["case_no"], c["name"], c["sector"], c["industry"], c["pages"], now] for c in case_records],
        )
        n_pages = max((p for c in case_records for p in c["pages"]), default=None)
        con.execute(
            "INSERT INTO documents (document_id, case_no, url, final_url, title, report_year, file_path, "
            "bytes, fetch_status, parse_status, pages, facts, first_run_id, last_run_id, fetched_at, parsed_at) "
            "VALUES (?, NULL, ?, ?, ?, 2023, ?, ?, 'fetched', 'parsed', ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (document_id) DO NOTHING",
            [doc_id, report_path.resolve().as_uri(), None, "中国企业低碳转型与高质量发展报告 2023 (100 cases)",
             str(report_path.resolve()), report_path.stat().st_size, n_pages,
             sum(len(c["facts"]) for c in case_records), run_id, run_id, now, now],
        )
        added = insert_facts(con, run_id, [(doc_id, c["case_no"], Fact.from_dict(f))
                                           for c in case_records for f in c["facts"]])
        history = apply_history(con, run_id, now)
        counts = {"companies": len(case_records), "documents_new": 1, "documents_unchanged": 0,
                  "documents_failed": 0, "facts_added": added, "facts_quarantined": 0,
                  "history_rows": history["history_rows"], "alerts": history["alerts"]}
        _close_run(con, run_id, counts, "success")
    return counts
