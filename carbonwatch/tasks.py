"""The body of every task of the nightly DAG, as plain functions (tested without Airflow).

The DAG file only wires these together. Data between tasks is small JSON (XCom): crawl results,
extracted facts per document, load counts. Only prepare/load/detect/alert open the warehouse
read-write, one after the other: DuckDB has a single writer.
"""
from __future__ import annotations

import logging
import traceback
from pathlib import Path

from carbonwatch import settings

log = logging.getLogger("carbonwatch")


AIRFLOW_VARIABLES = {  # Airflow Variable -> setting (conf > Variable > environment > default)
    "carbonwatch_sources": "sources",
    "carbonwatch_warehouse": "warehouse",
    "carbonwatch_raw_dir": "raw_dir",
    "carbonwatch_report": "report",
    "carbonwatch_outbox": "outbox",
    "carbonwatch_alert_webhook": "alert_webhook",
}
WEBHOOK_CONNECTIONS = ("carbonwatch_webhook", "carbonwatch_alert_webhook")  # http Connection (carbonwatch/notifiers.py)


def airflow_settings() -> dict:
    """Settings kept in Airflow: the Variables of AIRFLOW_VARIABLES and the webhook Connection
    `carbonwatch_webhook` (or `carbonwatch_alert_webhook`; host = URL, see carbonwatch/notifiers.py).
    Only inside a running task; returns {} where Airflow cannot be asked."""
    try:
        from airflow.sdk import Variable
    except ImportError:
        return {}
    out = {}
    for key, setting in AIRFLOW_VARIABLES.items():
        try:
            value = Variable.get(key, default=None)
        except Exception:  # outside a task / no API server
            return out
        if value not in (None, ""):
            out[setting] = value
    if "alert_webhook" not in out:
        url = _webhook_connection()
        if url:
            out["alert_webhook"] = url
    return out


def _webhook_connection() -> str | None:
    conn = None
    for conn_id in WEBHOOK_CONNECTIONS:
        try:
            from airflow.sdk import Connection

            conn = Connection.get(conn_id)
            break
        except Exception:  # not defined
            continue
    if conn is None:
        return None
    if conn.host and "://" in conn.host:  # the whole URL kept in host
        return conn.host
    scheme = conn.schema if conn.schema in ("http", "https") else ("https" if conn.conn_type == "https" else "http")
    port = f":{conn.port}" if conn.port else ""
    return f"{scheme}://{conn.host}{port}" if conn.host else None


def gx_root(ctx: dict) -> str:
    """Great Expectations' file context of this warehouse (suites copied from expectations/,
    every run's results, Data Docs in <gx_root>/data_docs/index.html): $CARBONWATCH_GX, else
    a `gx` folder beside the warehouse file (var/gx for the default var/warehouse.duckdb)."""
    import os

    return str(Path(os.environ.get("CARBONWATCH_GX") or Path(ctx["warehouse"]).parent / "gx").resolve())


def mark_evidence_on_page(facts: list[dict], texts: list[tuple[int, str]]) -> None:
    """Set fact["evidence_on_page"]: is the quote (whitespace aside) on the page it cites, in
    the text the extractor read? None when that page's text is not at hand."""
    import re

    squash = re.compile(r"\s+")
    pages = {}
    for page, text in texts:
        pages[page] = pages.get(page, "") + squash.sub("", text)
    for f in facts:
        page = pages.get(f.get("page"))
        evidence = squash.sub("", f.get("evidence") or "")
        f["evidence_on_page"] = None if page is None else bool(evidence) and evidence in page


def prepare(conf: dict | None, run_id: str) -> dict:
    """Resolve settings, bootstrap a new warehouse from the 100-case report, open the run."""
    from warehouse.db import connect
    from warehouse.load import is_bootstrapped, start_run

    ctx = settings.resolve(conf) | {"run_id": run_id}
    con = connect(ctx["warehouse"])
    try:
        if not is_bootstrapped(con):
            bootstrap_warehouse(con, ctx["report"], gx_root=gx_root(ctx), run_name=f"bootstrap-{run_id}")
        start_run(con, run_id, ctx["sources"])
    finally:
        con.close()
    return ctx


def bootstrap_warehouse(con, report: str, gx_root: str | None = None, run_name: str | None = None) -> dict:
    from expectations.validate import validate_companies
    from extractors.cases import case_record, segment_cases
    from warehouse.load import bootstrap, utcnow

    if not Path(report).is_file():
        raise FileNotFoundError(f"the 100-case report is needed to bootstrap a new warehouse: {report} not found "
                                "(set CARBONWATCH_REPORT)")
    records = [case_record(c) for c in segment_cases(report)]
    failed = [r for r in validate_companies(records, gx_root=gx_root, run_name=run_name) if not r["success"]]
    if failed:
        raise ValueError("the report's cases failed validation: " + "; ".join(r["expectation"] for r in failed))
    counts = bootstrap(con, report, records, run_id=f"bootstrap-{utcnow():%Y%m%dT%H%M%S}")
    log.info("bootstrapped the warehouse from %s: %s", report, counts)
    return counts


def discover(ctx: dict) -> list[dict]:
    """The companies to crawl, each with what earlier runs know of its documents."""
    from extractors.sources import read_sources
    from warehouse.db import connect, rows

    sources = read_sources(ctx["sources"])
    con = connect(ctx["warehouse"], read_only=True)  # prepare created it; discover only reads
    try:
        known_cases = {r[0] for r in con.execute("SELECT case_no FROM companies").fetchall()}
        known: dict[int, dict] = {}  # case_no -> {url: validators and sha256 last seen there}
        for r in rows(con, "SELECT case_no, url, etag, last_modified, document_id AS sha256 FROM document_urls"):
            known.setdefault(r.pop("case_no"), {})[r["url"]] = r
    finally:
        con.close()
    return [{"source": s, "known": known.get(s["case_no"], {}), "unknown_case": s["case_no"] not in known_cases}
            for s in sources]


def fetch(ctx: dict, item: dict) -> dict:
    """Crawl one company's site. Never raises for the site's faults: they are recorded."""
    from extractors.crawl import CrawlConfig, crawl_source
    from warehouse.load import utcnow

    source = item["source"]
    if item.get("unknown_case"):
        return {"case_no": source["case_no"], "landing_url": source["landing_url"], "documents": [], "log": [],
                "error": f"case_no {source['case_no']} is not one of the report's 100 cases"}
    config = CrawlConfig(per_host_delay=ctx.get("per_host_delay", 0.0))
    try:
        return crawl_source(source, Path(ctx["raw_dir"]), item.get("known") or {}, config)
    except Exception as exc:  # a crawler bug must fail this company, not the run
        log.exception("crawl of case %s failed", source["case_no"])
        return {"case_no": source["case_no"], "landing_url": source["landing_url"], "documents": [],
                "log": [{"url": source["landing_url"], "status": None, "reason": f"crawler error: {exc!r}",
                         "at": utcnow().isoformat()}],
                "error": f"crawler error: {exc!r}"}


def extract(ctx: dict, crawl: dict) -> list[dict]:
    """Extract facts from this company's new documents. One broken PDF fails that document only."""
    from extractors.document import DocumentError, extract_document

    out = []
    for doc in crawl.get("documents", []):
        if doc.get("status") != "new" or not doc.get("path"):
            continue
        result = {"document_id": doc["sha256"], "case_no": crawl["case_no"], "url": doc["url"]}
        try:
            document = extract_document(doc["path"], ref_year=doc.get("report_year"))
            extracted = document.record()
            mark_evidence_on_page(extracted["facts"], document.texts)
            result |= {"status": "parsed", "pages": extracted["pages"], "facts": extracted["facts"], "error": None}
        except DocumentError as exc:
            result |= {"status": "failed", "pages": None, "facts": [], "error": str(exc)}
        except Exception as exc:  # an extractor bug: record it with where it happened
            where = traceback.extract_tb(exc.__traceback__)[-1]
            result |= {"status": "failed", "pages": None, "facts": [],
                       "error": f"extractor error: {exc!r} at {Path(where.filename).name}:{where.lineno}"}
        out.append(result)
    return out


def validate(ctx: dict, extractions: list[list[dict]]) -> dict:
    """Great Expectations on every new fact; failing facts are quarantined with the failed expectation."""
    from expectations.validate import validate_facts

    items = [{"document_id": e["document_id"], "case_no": e["case_no"], "fact": f}
             for batch in extractions for e in batch for f in e.get("facts", [])]
    result = validate_facts(items, gx_root=gx_root(ctx), run_name=ctx.get("run_id"))
    log.info("validated %d facts: %d valid, %d quarantined", len(items), len(result["valid"]), len(result["quarantined"]))
    return result


def load(ctx: dict, crawls: list[dict], extractions: list[list[dict]], validated: dict) -> dict:
    from warehouse.db import connect
    from warehouse.load import load_batch

    con = connect(ctx["warehouse"])
    try:
        return load_batch(con, ctx["run_id"], list(crawls), [e for batch in extractions for e in batch], validated)
    finally:
        con.close()


def detect_changes(ctx: dict, counts: dict) -> dict:
    from warehouse.db import connect
    from warehouse.load import update_history

    con = connect(ctx["warehouse"])
    try:
        return counts | update_history(con, ctx["run_id"])
    finally:
        con.close()


def alert(ctx: dict, counts: dict) -> dict:
    """Deliver every undelivered alert (Airflow notifier: outbox, webhook, SMTP), close the run,
    then publish the read-only snapshot analysts open (atomically: they never see a half-loaded
    state, and their connections never block the next load)."""
    from carbonwatch.notifiers import CarbonwatchAlertNotifier
    from warehouse.db import connect
    from warehouse.load import finish_run
    from warehouse.snapshot import publish_snapshot

    notifier = CarbonwatchAlertNotifier(warehouse=ctx["warehouse"], outbox=ctx.get("outbox"),
                                        webhook_url=ctx.get("alert_webhook"))
    notifier({"run_id": ctx["run_id"], "params": {}})
    delivery = notifier.result or {}
    con = connect(ctx["warehouse"])
    try:
        finish_run(con, ctx["run_id"], counts | {"alerts": counts.get("alerts", 0)})
        con.execute("CHECKPOINT")
    finally:
        con.close()
    publish_snapshot(ctx["warehouse"])
    return counts | {"delivered": sum(delivery.get("delivered", {}).values()),
                     "delivery_failed": sorted(delivery.get("failed", {}))}


def run_in_process(conf: dict, run_id: str, workers: int = 1, lap=None) -> dict:
    """The DAG's task bodies in the DAG's order, in this process, without Airflow (tests and
    benchmarks). `workers` threads fetch and extract at once, as the mapped tasks do;
    `lap(stage)` is called after each stage. Returns the run's counts."""
    from concurrent.futures import ThreadPoolExecutor

    lap = lap or (lambda stage: None)
    ctx = prepare(conf, run_id)
    lap("prepare")
    items = discover(ctx)
    lap("discover")
    with ThreadPoolExecutor(workers) as pool:
        crawls = list(pool.map(lambda item: fetch(ctx, item), items))
        lap("fetch")
        extractions = list(pool.map(lambda crawl: extract(ctx, crawl), crawls))
    lap("extract")
    validated = validate(ctx, extractions)
    lap("validate")
    counts = load(ctx, crawls, extractions, validated)
    lap("load")
    counts = detect_changes(ctx, counts)
    lap("detect")
    counts = alert(ctx, counts)
    lap("alert")
    return counts
