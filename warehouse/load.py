"""Idempotent, transactional loads into the warehouse.

Every function here runs inside one transaction: a failure (or a killed process) leaves the
previous state. Keys make re-runs add nothing: documents by sha256, facts by a hash of the
document and all fact fields, alerts by company + target + old/new value + document.
"""
from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from common.schema import Fact
from transforms.diff import Target, diff_targets, targets_from_facts
from transforms.normalize import fact_id
from warehouse.db import rows, transaction


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _short_hash(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str).encode()).hexdigest()[:32]


def is_bootstrapped(con) -> bool:
    return con.execute("SELECT count(*) FROM companies").fetchone()[0] > 0


def start_run(con, run_id: str, sources_file: str | None, now: datetime | None = None) -> None:
    with transaction(con):
        con.execute(
            "INSERT INTO runs (run_id, started_at, status, sources_file) VALUES (?, ?, 'running', ?) "
            "ON CONFLICT (run_id) DO UPDATE SET started_at = excluded.started_at, status = 'running'",
            [run_id, now or utcnow(), sources_file],
        )


RUN_COUNTS = ("companies", "documents_new", "documents_unchanged", "documents_failed",
              "facts_added", "facts_quarantined", "history_rows", "alerts")


def _close_run(con, run_id: str, counts: dict, status: str) -> None:
    con.execute(
        f"UPDATE runs SET finished_at = ?, status = ?, {', '.join(c + ' = ?' for c in RUN_COUNTS)} WHERE run_id = ?",
        [utcnow(), status] + [counts.get(c) for c in RUN_COUNTS] + [run_id],
    )


def finish_run(con, run_id: str, counts: dict, status: str = "success") -> None:
    with transaction(con):
        _close_run(con, run_id, counts, status)


def _insert_facts(con, run_id: str, facts: list[tuple[str, int, Fact]]) -> int:
    """Insert (document_id, case_no, fact) rows in one statement; returns how many were new."""
    before = con.execute("SELECT count(*) FROM facts").fetchall()[0][0]
    by_id = {}  # one row per fact_id: the same fact twice in a batch is one fact
    for document_id, case_no, f in facts:
        value = None if isinstance(f.value, bool) else f.value
        key = fact_id(document_id, f)
        by_id.setdefault(key, [key, document_id, case_no, f.metric, f.year, value,
                               f.base_year, f.scope, f.status, f.page, f.evidence, run_id])
    if by_id:
        columns = ["fact_id", "document_id", "case_no", "metric", "year", "value",
                   "base_year", "scope", "status", "page", "evidence", "run_id"]
        dtypes = {c: "string" for c in columns} | {"case_no": "Int64", "year": "Int64", "base_year": "Int64",
                                                   "page": "Int64", "value": "Float64"}
        with _frame(con, "new_facts", list(by_id.values()), columns, dtypes):
            con.execute("INSERT INTO facts SELECT * FROM new_facts ON CONFLICT (fact_id) DO NOTHING")
    return con.execute("SELECT count(*) FROM facts").fetchall()[0][0] - before


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
        added = _insert_facts(con, run_id, [(doc_id, c["case_no"], Fact.from_dict(f))
                                             for c in case_records for f in c["facts"]])
        history = _update_history(con, run_id, now)
        counts = {"companies": len(case_records), "documents_new": 1, "documents_unchanged": 0,
                  "documents_failed": 0, "facts_added": added, "facts_quarantined": 0,
                  "history_rows": history["history_rows"], "alerts": history["alerts"]}
        _close_run(con, run_id, counts, "success")
    return counts


def load_batch(con, run_id: str, crawls: list[dict], extractions: list[dict], validated: dict) -> dict:
    """Documents, fetch log, facts (valid ones), quarantine and validation results of one run."""
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
                    _upsert_failed(con, run_id, case_no, doc["url"], doc.get("http_status"), doc.get("error"), now)
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
        _step("documents")
        counts["facts_added"] += _insert_facts(
            con, run_id, [(i["document_id"], i["case_no"], Fact.from_dict(i["fact"])) for i in validated["valid"]])
        for item in validated["quarantined"]:
            con.execute("INSERT INTO quarantined_facts VALUES (?, ?, ?, ?, ?)",
                        [run_id, item["document_id"], item["case_no"],
                         json.dumps(item["fact"], ensure_ascii=False), "; ".join(item["failed"])])
        for r in validated["results"]:
            con.execute("INSERT INTO validation_results VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [run_id, r["suite"], r["expectation"], json.dumps(r.get("kwargs"), ensure_ascii=False),
                         r["success"], r.get("unexpected"), now])
        _step("facts")
    return counts


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


def _upsert_failed(con, run_id, case_no, url, http_status, error, now) -> None:
    doc_id = "url:" + hashlib.sha256((url or f"case:{case_no}").encode()).hexdigest()
    reason = error if http_status is None else f"HTTP {http_status}: {error}"
    con.execute(
        "INSERT INTO documents (document_id, case_no, url, fetch_status, parse_status, error, first_run_id, "
        "last_run_id, fetched_at) VALUES (?, ?, ?, 'failed', 'skipped', ?, ?, ?, ?) "
        "ON CONFLICT (document_id) DO UPDATE SET error = excluded.error, last_run_id = excluded.last_run_id, "
        "fetched_at = excluded.fetched_at",
        [doc_id, case_no, url or "", reason, run_id, run_id, now],
    )


# -- history and alerts ----------------------------------------------------------------------

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


# Called with a step name inside load transactions ("documents", "facts", "history"); tests use
# it to kill the process mid-load. None in production.
load_hook = None


def _step(name: str) -> None:
    if load_hook is not None:
        load_hook(name)


def _update_history(con, run_id: str, now: datetime) -> dict:
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
            o, n = ch.old, ch.new
            # One change alerts once: the id is the company, the target, old and new value and the
            # document that made the change; re-running a load or a diff cannot add it again.
            alert_id = _short_hash(case_no, ch.key, o and o.value, n and n.value, doc_id)
            cur = con.execute(
                "INSERT INTO alerts (alert_id, run_id, case_no, company, metric, target_key, change, old_value, "
                "new_value, old_document_id, old_page, old_evidence, new_document_id, new_page, new_evidence, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (alert_id) DO NOTHING",
                [alert_id, run_id, case_no, c["name"], ch.metric, ch.key, ch.change,
                 o and o.value, n and n.value, o and o.document_id, o and o.page, o and o.evidence,
                 doc_id, n and n.page, n and n.evidence, now])
            alerts += cur.fetchone()[0]
        _step("history")
    return {"history_rows": history_rows, "alerts": alerts}


def update_history(con, run_id: str, now: datetime | None = None) -> dict:
    """Close changed or withdrawn targets, open new ones, record one alert per real change."""
    with transaction(con):
        return _update_history(con, run_id, now or utcnow())


# -- alert delivery bookkeeping --------------------------------------------------------------

def pending_alerts(con, channels: list[str] | None = None) -> list[dict]:
    """Alerts some channel has not taken yet; each with `delivered_to`, the channels that have."""
    out = rows(con, "SELECT a.*, coalesce((SELECT list(channel ORDER BY channel) FROM alert_deliveries d "
                    "WHERE d.alert_id = a.alert_id), []) AS delivered_to FROM alerts a "
                    "WHERE a.delivered_at IS NULL ORDER BY a.created_at, a.case_no, a.target_key")
    if channels is not None:
        out = [a for a in out if set(channels) - set(a["delivered_to"])]
    return out


def mark_delivered(con, alert_ids: list[str], channel: str, detail: str | None = None,
                   required: list[str] | None = None) -> None:
    """Record that `channel` took these alerts; an alert is delivered once every channel in
    `required` (default: just this one) has it."""
    if not alert_ids:
        return
    required = sorted(set(required or [channel]))
    now = utcnow()
    with transaction(con):
        con.executemany("INSERT INTO alert_deliveries VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        [[a, channel, now, detail] for a in alert_ids])
        con.execute(
            "UPDATE alerts SET delivered_at = ?, delivery = (SELECT string_agg(channel, '+' ORDER BY channel) "
            "FROM alert_deliveries d WHERE d.alert_id = alerts.alert_id) "
            "WHERE delivered_at IS NULL AND alert_id IN (SELECT unnest(?)) AND "
            "(SELECT count(*) FROM alert_deliveries d WHERE d.alert_id = alerts.alert_id "
            " AND d.channel IN (SELECT unnest(?))) = ?",
            [now, alert_ids, required, len(required)])
