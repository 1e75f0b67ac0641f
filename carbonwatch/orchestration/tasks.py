"""The body of every task of the nightly DAG, as plain functions (tested without Airflow).

The DAG file only wires these together. fetch and extract work on a shard of companies
(orchestration/shards.py) and write their outputs as JSON lines under the run's work folder;
what goes through XCom is small: the run's settings, paths and counts. Only
prepare/load/detect/alert open the warehouse read-write, one after the other: DuckDB has a
single writer, which reads the stage files and loads them set-based.
"""
from __future__ import annotations

import json
import logging
import traceback
from pathlib import Path

from common import interrupt, settings

log = logging.getLogger("carbonwatch")


def stop_point(step: str) -> None:
    """Where a stop request (SIGTERM / SIGINT) ends a run: before a step starts. Under Airflow
    the step fails without retries (AirflowFailException): a stop is not a fault to retry."""
    interrupt.rearm()  # Airflow's task runner replaced our SIGTERM handler for this task
    try:
        interrupt.check(step)
    except interrupt.RunStopped as exc:
        try:
            from airflow.sdk.exceptions import AirflowFailException
        except ImportError:  # pragma: no cover - in-process without Airflow
            raise exc from None
        raise AirflowFailException(str(exc)) from None


def prepare(conf: dict | None, run_id: str) -> dict:
    """Resolve settings, bootstrap a new warehouse from the 100-case report, register the
    sources' own companies (company_id rows), open the run. A bad sources file raises ValueError."""
    stop_point("prepare")
    from extractors.sources import read_sources
    from warehouse.companies import register_companies
    from warehouse.db import connect, utcnow
    from warehouse.runs import is_bootstrapped, start_run

    ctx = settings.resolve(conf) | {"run_id": run_id}
    sources = read_sources(ctx["sources"], settings.max_sources())  # a bad sources file fails before anything is written
    con = connect(ctx["warehouse"])  # refuses someone else's DuckDB file before writing to it
    try:
        if not is_bootstrapped(con):
            bootstrap_warehouse(con, ctx["report"], gx_root=settings.gx_root(ctx), run_name=f"bootstrap-{run_id}")
        register_companies(con, sources, utcnow())
        ctx["max_company_key"] = con.execute("SELECT max(case_no) FROM companies").fetchall()[0][0]
        start_run(con, run_id, ctx["sources"])
    finally:
        con.close()
    return ctx


def bootstrap_warehouse(con, report: str, gx_root: str | None = None, run_name: str | None = None) -> dict:
    from expectations.validate import validate_companies
    from extractors.cases import case_record, segment_cases
    from warehouse.db import utcnow
    from warehouse.runs import bootstrap

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
    """The companies to crawl, each with what earlier runs know of its documents, written as
    shards to the work folder. Returns one small descriptor per shard (what fetch maps over)."""
    stop_point("discover")
    from carbonwatch.orchestration.shards import plan_shards, run_dir, write_jsonl
    from extractors.sources import read_sources
    from warehouse.db import connect, rows

    sources = read_sources(ctx["sources"], settings.max_sources())
    con = connect(ctx["warehouse"], read_only=True)  # prepare created it; discover only reads
    try:
        known_cases = {r[0] for r in con.execute("SELECT case_no FROM companies").fetchall()}
        by_company_id = dict(con.execute(
            "SELECT company_id, case_no FROM companies WHERE company_id IS NOT NULL").fetchall())
        known: dict[int, dict] = {}  # case_no -> {url: validators and sha256 last seen there}
        for r in rows(con, "SELECT u.case_no, u.url, u.etag, u.last_modified, u.document_id AS sha256, d.error "
                           "FROM document_urls u LEFT JOIN documents d USING (document_id)"):
            known.setdefault(r.pop("case_no"), {})[r["url"]] = r
    finally:
        con.close()
    items = []
    for s in sources:
        if s["case_no"] is None:
            s["case_no"] = by_company_id.get(s["company_id"])
        items.append({"source": s, "known": known.get(s["case_no"], {}),
                      "unknown_case": s["case_no"] not in known_cases})
    shards = []
    for i, part in enumerate(plan_shards(len(items), int(ctx.get("shard_size") or settings.DEFAULT_SHARD_SIZE))):
        path = run_dir(ctx) / "shards" / f"{i:04d}.jsonl"
        shards.append({"shard": i, "companies": write_jsonl(path, (items[j] for j in part)), "path": str(path)})
    log.info("%d companies in %d shards", len(items), len(shards))
    return shards


def _in_threads(ctx: dict, work, items: list) -> list:
    """work(item) for each item, shard_threads at a time, results in input order."""
    from concurrent.futures import ThreadPoolExecutor

    threads = min(int(ctx.get("shard_threads") or 1), max(len(items), 1))
    if threads <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(work, items))


def fetch(ctx: dict, shard: dict) -> dict:
    """Crawl a shard's companies; their results go to the work folder. Site faults are
    recorded per company and document, never raised."""
    from carbonwatch.orchestration.shards import read_jsonl, stage_path, write_jsonl

    items = list(read_jsonl(shard["path"]))
    # each company's crawl budget is its share of the task's: the shard ends inside its timeout
    threads = min(int(ctx.get("shard_threads") or 1), max(len(items), 1))
    share = settings.COMPANY_BUDGET_SHARE * settings.FETCH_TASK_TIMEOUT * threads / max(len(items), 1)
    budget = settings.crawl_budget(ctx.get("document_deadline"), ctx.get("company_budget"))["company_budget"]
    company_ctx = ctx | {"company_budget": min(budget, share)}
    crawls = _in_threads(ctx, lambda item: fetch_company(company_ctx, item), items)
    path = stage_path(ctx, "crawls", shard["shard"])
    write_jsonl(path, crawls)
    docs = [d for c in crawls for d in c.get("documents", [])]
    return {"shard": shard["shard"], "path": str(path), "companies": len(crawls),
            "documents_new": sum(d.get("status") == "new" for d in docs),
            "documents_unchanged": sum(d.get("status") == "unchanged" for d in docs),
            "failed": sum(d.get("status") == "failed" for d in docs) + sum(bool(c.get("error")) for c in crawls)}


def fetch_company(ctx: dict, item: dict) -> dict:
    """Crawl one company's site. Never raises for the site's faults: they are recorded."""
    stop_point("fetch")
    from extractors.crawl import CrawlConfig, crawl_source
    from warehouse.db import utcnow

    source = item["source"]
    if item.get("unknown_case"):
        return {"case_no": source["case_no"], "landing_url": source["landing_url"], "documents": [], "log": [],
                "error": f"case_no {source['case_no']} is not one of the seed reports' cases"}
    budget = settings.crawl_budget(ctx.get("document_deadline"), ctx.get("company_budget"))
    config = CrawlConfig(per_host_delay=ctx.get("per_host_delay", 0.0), total_timeout=budget["document_deadline"],
                         company_budget=budget["company_budget"])
    try:
        return crawl_source(source, Path(ctx["raw_dir"]), item.get("known") or {}, config)
    except Exception as exc:  # a crawler bug must fail this company, not the run
        log.exception("crawl of case %s failed", source["case_no"])
        return {"case_no": source["case_no"], "landing_url": source["landing_url"], "documents": [],
                "log": [{"url": source["landing_url"], "status": None, "reason": f"crawler error: {exc!r}",
                         "at": utcnow().isoformat()}],
                "error": f"crawler error: {exc!r}"}


def extract(ctx: dict, fetched: dict) -> dict:
    """Extract facts from the new documents of a shard's crawls (from fetch's file); results go
    to the work folder. One broken PDF fails that document only."""
    stop_point("extract")
    from carbonwatch.orchestration.shards import read_jsonl, stage_path, write_jsonl

    todo = [(crawl["case_no"], doc) for crawl in read_jsonl(fetched["path"]) for doc in crawl.get("documents", [])
            if doc.get("status") == "new" and doc.get("path")]
    results = _in_threads(ctx, lambda job: extract_one(*job), todo)
    path = stage_path(ctx, "extractions", fetched["shard"])
    write_jsonl(path, results)
    return {"shard": fetched["shard"], "path": str(path), "documents": len(results),
            "facts": sum(len(r["facts"]) for r in results), "failed": sum(r["status"] == "failed" for r in results)}


def extract_one(case_no: int, doc: dict) -> dict:
    """One document's facts, or its recorded failure."""
    from extractors.document import DocumentError, extract_document
    from transforms.evidence import mark_evidence_on_page

    result = {"document_id": doc["sha256"], "case_no": case_no, "url": doc["url"]}
    try:
        document = extract_document(doc["path"], ref_year=doc.get("report_year"))
        extracted = document.record()
        mark_evidence_on_page(extracted["facts"], document.texts + document.rows)  # rows: table/bullet chunks the rules read
        result |= {"status": "parsed", "pages": extracted["pages"], "facts": extracted["facts"], "error": None}
    except DocumentError as exc:
        result |= {"status": "failed", "pages": None, "facts": [], "error": str(exc)}
    except Exception as exc:  # an extractor bug: record it with where it happened
        where = traceback.extract_tb(exc.__traceback__)[-1]
        result |= {"status": "failed", "pages": None, "facts": [],
                   "error": f"extractor error: {exc!r} at {Path(where.filename).name}:{where.lineno}"}
    return result


def validate(ctx: dict, extracted: list[dict]) -> dict:
    """Great Expectations on every new fact (read from extract's files); writes only which facts
    failed which expectation, so every fact is kept once, in its extraction file."""
    stop_point("validate")
    from carbonwatch.orchestration.shards import read_stage, run_dir, write_json
    from expectations.validate import validate_facts

    items = [{"document_id": e["document_id"], "case_no": e["case_no"], "index": i, "fact": f}
             for e in read_stage(extracted) for i, f in enumerate(e.get("facts", []))]
    result = validate_facts(items, gx_root=settings.gx_root(ctx), run_name=ctx.get("run_id"),
                            max_company_key=ctx.get("max_company_key"))
    path = run_dir(ctx) / "validation.json"
    write_json(path, {"quarantined": result["quarantined"], "results": result["results"]})
    log.info("validated %d facts: %d valid, %d quarantined", len(items), len(result["valid"]), len(result["quarantined"]))
    return {"path": str(path), "facts": len(items), "quarantined": len(result["quarantined"])}


def load(ctx: dict, fetched: list[dict], extracted: list[dict], validated: dict) -> dict:
    """The single writer: one transaction over the stage files of every shard that arrived."""
    stop_point("load")
    from carbonwatch.orchestration.shards import read_jsonl, read_stage, run_dir
    from warehouse.db import connect
    from warehouse.loads import load_batch

    if not fetched:  # load runs once one upstream succeeded: not when discover or every fetch failed
        raise RuntimeError("no shard's crawls arrived (discover or every fetch task failed): nothing to load")
    # the companies of a shard whose fetch task failed have no crawl here: the others are loaded, the run says so
    arrived_shards = {run_dir(ctx) / "shards" / f"{f['shard']:04d}.jsonl" for f in fetched}
    missing = sorted(item["source"]["case_no"] for path in sorted((run_dir(ctx) / "shards").glob("*.jsonl"))
                     if path not in arrived_shards for item in read_jsonl(path))
    crawls = list(read_stage(fetched))
    extractions = list(read_stage(extracted))
    # no validation arrived: no fact enters unvalidated (documents and the fetch log still load)
    validation = (json.loads(Path(validated["path"]).read_text(encoding="utf-8")) if validated
                  else {"quarantined": [], "results": []})
    failed = {(q["document_id"], q["index"]) for q in validation["quarantined"]}
    valid = [{"document_id": e["document_id"], "case_no": e["case_no"], "fact": f}
             for e in extractions for i, f in enumerate(e.get("facts", []))
             if validated and (e["document_id"], i) not in failed]
    con = connect(ctx["warehouse"])
    try:
        counts = load_batch(con, ctx["run_id"], crawls, extractions,
                            {"valid": valid, "quarantined": validation["quarantined"], "results": validation["results"]})
    finally:
        con.close()
    return counts | ({"companies_missing": missing} if missing else {})


def detect_changes(ctx: dict, counts: dict) -> dict:
    stop_point("detect_changes")
    from warehouse.db import connect
    from warehouse.history import update_history

    con = connect(ctx["warehouse"])
    try:
        return counts | update_history(con, ctx["run_id"])
    finally:
        con.close()


def alert(ctx: dict, counts: dict, webhook_url: str | None = None) -> dict:
    """Deliver every undelivered alert (Airflow notifier: outbox, webhook, SMTP), close the run,
    then publish the read-only snapshot analysts open (atomically: they never see a half-loaded
    state, and their connections never block the next load). `webhook_url`: the run's conf or
    Variable (never in ctx, which Airflow stores); the Connection or environment otherwise.
    A snapshot that cannot be published leaves the run recorded as failed, with the reason."""
    stop_point("alert")
    from carbonwatch.alerting.notifiers import CarbonwatchAlertNotifier
    from warehouse.db import connect
    from warehouse.runs import finish_run
    from warehouse.snapshot import publish_snapshot

    notifier = CarbonwatchAlertNotifier(warehouse=ctx["warehouse"], outbox=ctx.get("outbox"),
                                        webhook_url=webhook_url or settings.airflow_values().get("alert_webhook"))
    notifier({"run_id": ctx["run_id"], "params": {}})
    delivery = notifier.result or {}
    con = connect(ctx["warehouse"])
    try:
        finish_run(con, ctx["run_id"], counts | {"alerts": counts.get("alerts", 0)})
        if counts.get("companies_missing"):
            from warehouse.guard import note_run

            note_run(con, ctx["run_id"], "no crawl arrived for case(s) "
                     + ", ".join(map(str, counts["companies_missing"])) + " (their fetch or extract task failed); "
                     "the other companies were loaded")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    try:
        publish_snapshot(ctx["warehouse"])
    except Exception as exc:
        from warehouse.guard import end_run

        con = connect(ctx["warehouse"])
        try:
            end_run(con, ctx["run_id"], "failed", f"snapshot not published: {type(exc).__name__}: {exc}",
                    only_if_running=False)
        finally:
            con.close()
        raise
    if ctx.get("work_dir"):
        from carbonwatch.orchestration.shards import prune_work

        prune_work(ctx)
    return counts | {"delivered": sum(delivery.get("delivered", {}).values()),
                     "delivery_failed": sorted(delivery.get("failed", {}))}
