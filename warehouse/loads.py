"""Batch loads: one run's documents, fetch log, facts, quarantine and validation results.

`load_batch` is one transaction: a failure (or a killed process) leaves the previous state.
Keys make re-runs add nothing: documents by sha256 (failed fetches by a hash of the URL), facts
by a hash of the document and every fact field. Rows go in as set-based statements over a
registered DataFrame (`_frame`) where a batch can be large.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import contextmanager

from common.schema import Fact
from transforms.normalize import fact_id
from warehouse.db import transaction, utcnow

FACT_COLUMNS = ["fact_id", "document_id", "case_no", "metric", "year", "value",
                "base_year", "scope", "status", "page", "evidence", "run_id", "value_high", "confidence", "rule"]
FACT_DTYPES = {c: "string" for c in FACT_COLUMNS} | {"case_no": "Int64", "year": "Int64", "base_year": "Int64",
                                                    "page": "Int64", "value": "Float64", "value_high": "Float64",
                                                    "confidence": "Float64"}


@contextmanager
def _frame(con, name: str, rows_: list[list], columns: list[str], dtypes: dict | None = None):
    """Rows as a DataFrame view `name` for the block: one set-based statement instead of a
    statement per row (executemany costs milliseconds a row in DuckDB)."""
    import pandas as pd

    frame = pd.DataFrame(rows_, columns=columns).astype("object")
    con.register(name, frame.astype(dtypes) if dtypes else frame)
    try:
        yield
    finally:
        con.unregister(name)


def insert_facts(con, run_id: str, facts: list[tuple[str, int, Fact]]) -> int:
    """Insert (document_id, case_no, fact) rows in one statement; returns how many were new.
    Runs inside the caller's transaction."""
    before = con.execute("SELECT count(*) FROM facts").fetchall()[0][0]
    by_id = {}  # one row per fact_id: the same fact twice in a batch is one fact
    for document_id, case_no, f in facts:
        value = None if isinstance(f.value, bool) else f.value
        key = fact_id(document_id, f)
        by_id.setdefault(key, [key, document_id, case_no, f.metric, f.year, value,
                               f.base_year, f.scope, f.status, f.page, f.evidence, run_id,
                               f.value_high, f.confidence, f.rule])
    if by_id:
        with _frame(con, "new_facts", list(by_id.values()), FACT_COLUMNS, FACT_DTYPES):
            con.execute("INSERT INTO facts BY NAME SELECT * FROM new_facts ON CONFLICT (fact_id) DO NOTHING")
    return con.execute("SELECT count(*) FROM facts").fetchall()[0][0] - before


def load_batch(con, run_id: str, crawls: list[dict], extractions: list[dict], validated: dict,
               on_step: Callable[[str], None] | None = None) -> dict:
    """Documents, fetch log, facts (valid ones), quarantine and validation results of one run.

    `on_step`, if given, is called inside the transaction after each step ("documents",
    "facts"): tests use it to kill or fail the process mid-load."""
    now = utcnow()
    by_doc = {e["document_id"]: e for e in extractions if e.get("document_id")}
    counts = {"companies": len(crawls), "documents_new": 0, "documents_unchanged": 0,
              "documents_failed": 0, "facts_added": 0, "facts_quarantined": len(validated["quarantined"])}
    seen_urls: list[list] = []
    unchanged: list[list] = []
    with transaction(con):
        arrived = [d["sha256"] for c in crawls for d in c.get("documents", []) if d.get("sha256")]
        known_ids = {r[0] for r in con.execute(
            "SELECT document_id FROM documents WHERE document_id IN (SELECT unnest(?::VARCHAR[]))", [arrived]).fetchall()}
        for crawl in crawls:
            case_no = crawl["case_no"]
            log = [[run_id, case_no, e.get("url"), e.get("status"), e.get("reason"), e.get("at")] for e in crawl.get("log", [])]
            if log:
                con.executemany("INSERT INTO fetch_log VALUES (?, ?, ?, ?, ?, ?)", log)
            if crawl.get("error"):
                counts["documents_failed"] += 1
                _upsert_failed(con, run_id, case_no, crawl.get("landing_url"), None, crawl["error"], now)
            for doc in crawl.get("documents", []):
                if doc["status"] == "failed" or not doc.get("sha256"):
                    counts["documents_failed"] += 1
                    failed_id = _upsert_failed(con, run_id, case_no, doc["url"], doc.get("http_status"),
                                               doc.get("error"), now)
                    if doc.get("keep_validators") and (doc.get("etag") or doc.get("last_modified")):
                        # a complete but broken body: next night a conditional GET, not a download
                        seen_urls.append([doc["url"], failed_id, case_no, doc.get("etag"), doc.get("last_modified"),
                                          run_id, run_id, now])
                    continue
                seen_urls.append([doc["url"], doc["sha256"], case_no, doc.get("etag"), doc.get("last_modified"),
                                  run_id, run_id, now])
                ext = by_doc.get(doc["sha256"])
                if doc["sha256"] in known_ids:
                    counts["documents_unchanged"] += 1
                    unchanged.append([doc["sha256"], doc.get("etag"), doc.get("last_modified")])
                    continue
                known_ids.add(doc["sha256"])  # the same bytes twice in one run are one document
                counts["documents_new"] += 1
                parse_status = ext["status"] if ext else "skipped"
                error = ext.get("error") if ext else "not extracted in this run"
                if parse_status == "failed":
                    counts["documents_failed"] += 1
                con.execute(
                    "INSERT INTO documents (document_id, case_no, url, final_url, title, report_year, file_path, "
                    "bytes, etag, last_modified, fetch_status, parse_status, error, pages, facts, first_run_id, "
                    "last_run_id, fetched_at, parsed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'fetched', ?, ?, ?, ?, ?, ?, ?, ?)",
                    [doc["sha256"], case_no, doc["url"], doc.get("final_url"), doc.get("title"),
                     doc.get("report_year"), doc.get("path"), doc.get("bytes"), doc.get("etag"),
                     doc.get("last_modified"), parse_status, error, ext.get("pages") if ext else None,
                     len(ext.get("facts", [])) if ext else None, run_id, run_id, doc.get("fetched_at") or now,
                     now if ext else None],
                )
        _touch_unchanged(con, run_id, unchanged)
        _remember_urls(con, seen_urls)
        if on_step:
            on_step("documents")
        counts["facts_added"] += insert_facts(
            con, run_id, [(i["document_id"], i["case_no"], Fact.from_dict(i["fact"])) for i in validated["valid"]])
        for item in validated["quarantined"]:
            con.execute("INSERT INTO quarantined_facts VALUES (?, ?, ?, ?, ?)",
                        [run_id, item["document_id"], item["case_no"],
                         json.dumps(item["fact"], ensure_ascii=False), "; ".join(item["failed"])])
        for r in validated["results"]:
            con.execute("INSERT INTO validation_results VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [run_id, r["suite"], r["expectation"], json.dumps(r.get("kwargs"), ensure_ascii=False),
                         r["success"], r.get("unexpected"), now])
        if on_step:
            on_step("facts")
    return counts


def _touch_unchanged(con, run_id: str, unchanged: list[list]) -> None:
    """Documents seen again: this run saw them; keep the newest validators."""
    if not unchanged:
        return
    with _frame(con, "seen_again", unchanged, ["document_id", "etag", "last_modified"]):
        con.execute(
            "UPDATE documents SET last_run_id = ?, etag = coalesce(s.etag, documents.etag), "
            "last_modified = coalesce(s.last_modified, documents.last_modified) "
            "FROM (SELECT document_id, any_value(etag) AS etag, any_value(last_modified) AS last_modified "
            "      FROM seen_again GROUP BY document_id) s WHERE documents.document_id = s.document_id", [run_id])


def _remember_urls(con, seen: list[list]) -> None:
    """Where each document was seen and the validators for that URL's next conditional GET."""
    if not seen:
        return
    latest = list({row[0]: row for row in seen}.values())  # one row per URL: an upsert touches a row once
    with _frame(con, "seen_urls", latest, ["url", "document_id", "case_no", "etag", "last_modified",
                                           "first_run_id", "last_run_id", "last_seen_at"]):
        con.execute(
            "INSERT INTO document_urls SELECT url, document_id, case_no::INTEGER, etag, last_modified, first_run_id, "
            "last_run_id, last_seen_at::TIMESTAMP FROM seen_urls ON CONFLICT (url) DO UPDATE SET "
            "document_id = excluded.document_id, case_no = excluded.case_no, "
            "etag = coalesce(excluded.etag, document_urls.etag), "
            "last_modified = coalesce(excluded.last_modified, document_urls.last_modified), "
            "last_run_id = excluded.last_run_id, last_seen_at = excluded.last_seen_at")


def _upsert_failed(con, run_id, case_no, url, http_status, error, now) -> str:
    doc_id = "url:" + hashlib.sha256((url or f"case:{case_no}").encode()).hexdigest()
    reason = error if http_status is None else f"HTTP {http_status}: {error}"
    con.execute(
        "INSERT INTO documents (document_id, case_no, url, fetch_status, parse_status, error, first_run_id, "
        "last_run_id, fetched_at) VALUES (?, ?, ?, 'failed', 'skipped', ?, ?, ?, ?) "
        "ON CONFLICT (document_id) DO UPDATE SET error = excluded.error, last_run_id = excluded.last_run_id, "
        "fetched_at = excluded.fetched_at",
        [doc_id, case_no, url or "", reason, run_id, run_id, now],
    )
    return doc_id
