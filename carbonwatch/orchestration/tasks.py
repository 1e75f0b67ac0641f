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
    """Resolve settings, bootstrap a new warehouse from the seed reports, register the sources'
    own companies (company_id rows), open the run. A bad sources file raises ValueError."""
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
            bootstrap_warehouse(con, ctx["report"], gx_root=settings.gx_root(ctx), run_name=f"bootstrap-{run_id}",
                                second_report=ctx.get("second_report"))
        register_companies(con, sources, utcnow())
        ctx["max_company_key"] = con.execute("SELECT max(case_no) FROM companies").fetchall()[0][0]
        start_run(con, run_id, ctx["sources"])
    finally:
        con.close()
    return ctx


def bootstrap_warehouse(con, report: str, gx_root: str | None = None, run_name: str | None = None,
                        second_report: str | None = None) -> dict:
    """Load a new warehouse from the 100-case report and, when given, a second seed report
    (its cases' companies matched to the first report's by name, or added)."""
    from expectations.validate import validate_companies
    from extractors.cases import case_record, report_info, segment_cases
    from transforms.names import text_aliases
    from warehouse.db import utcnow
    from warehouse.runs import bootstrap

    def seed(path: str, which: str) -> tuple[list[dict], dict]:
        if not Path(path).is_file():
            raise FileNotFoundError(f"the {which} is needed to bootstrap a new warehouse: {path} not found")
        cases = segment_cases(path)
        records = []
        for c in cases:
            text = "".join(t for _, t in c.chunks)
            aliases = {a for n in (c.name, getattr(c, "profile_name", None)) if n for a in text_aliases(n, text)}
            records.append(case_record(c) | {"aliases": sorted(aliases | {getattr(c, "profile_name", None) or c.name})})
        return records, report_info(path, cases)

    records, meta = seed(report, "100-case report (CARBONWATCH_REPORT)")
    failed = [r for r in validate_companies(records, gx_root=gx_root, run_name=run_name) if not r["success"]]
    if failed:
        raise ValueError("the report's cases failed validation: " + "; ".join(r["expectation"] for r in failed))
    more = [(second_report, *seed(second_report, "second seed report (CARBONWATCH_SECOND_REPORT)"))] \
        if second_report else []
    counts = bootstrap(con, report, records, run_id=f"bootstrap-{utcnow():%Y%m%dT%H%M%S}", meta=meta,
                       more_reports=more)
    log.info("bootstrapped the warehouse from %s: %s", ", ".join([report] + [m[0] for m in more]), counts)
    return counts


def discover(ctx: dict) -> list[dict]:
    """The companies to crawl, each with what earlier runs know of its documents, written as
    shards to the work folder. Returns one small descriptor per shard (what fetch maps over)."""
    stop_point("discover")
    from carbonwatch.orchestration.shards import plan_shards, run_dir, write_jsonl
    from extractors.sources import read_sources

    sources = read_sources(ctx["sources"], settings.max_sources())
    known_cases, known, by_company_id = _known_documents(ctx)
    items = []
    for s in sources:
        if not s["landing_url"]:
            continue  # rows with feeds only are watched, not crawled
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


def _known_documents(ctx: dict) -> tuple[set[int], dict[int, dict], dict[str, int]]:
    """The companies' keys, per company {url: validators and sha256 last seen there}, and the
    keys of the sources' own companies by their company_id."""
    from warehouse.db import connect, rows

    con = connect(ctx["warehouse"], read_only=True)  # prepare created it; this only reads
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
    return known_cases, known, by_company_id


def _in_threads(ctx: dict, work, items: list) -> list:
    """work(item) for each item, shard_threads at a time, results in input order."""
    from concurrent.futures import ThreadPoolExecutor

    threads = min(int(ctx.get("shard_threads") or 1), max(len(items), 1))
    if threads <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(work, items))


def fetch(ctx: dict, shard: dict) -> dict:
    """Crawl a shard's companies (or fetch its announced disclosures); the results go to the work
    folder. Site faults are recorded per company and document, never raised."""
    from carbonwatch.orchestration.shards import read_jsonl, stage_path, write_jsonl

    items = list(read_jsonl(shard["path"]))
    # each company's crawl budget is its share of the task's: the shard ends inside its timeout
    threads = min(int(ctx.get("shard_threads") or 1), max(len(items), 1))
    share = settings.COMPANY_BUDGET_SHARE * settings.FETCH_TASK_TIMEOUT * threads / max(len(items), 1)
    budget = settings.crawl_budget(ctx.get("document_deadline"), ctx.get("company_budget"))["company_budget"]
    company_ctx = ctx | {"company_budget": min(budget, share)}
    from extractors.crawl import CrawlConfig
    from extractors.sessions import SessionPool

    with SessionPool(CrawlConfig()) as sessions:  # one per thread: a host's kept-alive connection serves its next company
        crawls = _in_threads(ctx, lambda item: fetch_company(company_ctx, item, sessions.get()), items)
    path = stage_path(ctx, "crawls", shard["shard"])
    write_jsonl(path, crawls)
    docs = [d for c in crawls for d in c.get("documents", [])]
    return {"shard": shard["shard"], "path": str(path), "companies": len(crawls),
            "documents_new": sum(d.get("status") == "new" for d in docs),
            "documents_unchanged": sum(d.get("status") == "unchanged" for d in docs),
            "failed": sum(d.get("status") == "failed" for d in docs) + sum(bool(c.get("error")) for c in crawls)}


def disclosure_items(ctx: dict, disclosures: list[dict]) -> list[dict]:
    """The fetch stage's items for disclosures a feed announced (streaming): like discover's,
    with the company's known documents, so the same bytes at another URL are not new."""
    from extractors.feeds import trusted_hosts

    known_cases, known, _ = _known_documents(ctx)
    return [{"disclosure": d, "known": known.get(d["case_no"], {}), "unknown_case": d["case_no"] not in known_cases,
             "trusted_hosts": trusted_hosts(d["feed"])} for d in disclosures]


def fetch_extract_disclosures(ctx: dict, items: list[dict], stop=None) -> dict:
    """Streaming: each announced disclosure as a one-item shard through fetch and extract (the
    nightly's bodies and work files), stopping between documents when `stop` is set. Returns the
    stage descriptors and the items processed."""
    from carbonwatch.orchestration.shards import run_dir, write_jsonl

    fetched, extracted, done = [], [], []
    for i, item in enumerate(items):
        if stop is not None and stop.is_set():
            break
        path = run_dir(ctx) / "shards" / f"{i:04d}.jsonl"
        shard = {"shard": i, "companies": write_jsonl(path, [item]), "path": str(path)}
        fetched.append(fetch(ctx, shard))
        extracted.append(extract(ctx, fetched[-1]))
        done.append(item)
    return {"fetched": fetched, "extracted": extracted, "items": done}


def fetch_company(ctx: dict, item: dict, session=None) -> dict:
    """Crawl one company's site, or fetch the one document a feed announced (item["disclosure"]).
    Never raises for the site's faults: they are recorded."""
    stop_point("fetch")
    from extractors.crawl import CrawlConfig, crawl_source, fetch_disclosure
    from warehouse.db import utcnow

    if "disclosure" in item:
        d = item["disclosure"]
        if item.get("unknown_case"):
            return {"case_no": d["case_no"], "landing_url": d["url"], "documents": [], "log": [],
                    "error": f"case_no {d['case_no']} is not one of the report's 100 cases"}
        return fetch_disclosure(d, Path(ctx["raw_dir"]), item.get("known") or {},
                                CrawlConfig(per_host_delay=ctx.get("per_host_delay", 0.0)), item.get("trusted_hosts"))
    source = item["source"]
    if item.get("unknown_case"):
        return {"case_no": source["case_no"], "landing_url": source["landing_url"], "documents": [], "log": [],
                "error": f"case_no {source['case_no']} is not one of the seed reports' cases"}
    budget = settings.crawl_budget(ctx.get("document_deadline"), ctx.get("company_budget"))
    config = CrawlConfig(per_host_delay=ctx.get("per_host_delay", 0.0), total_timeout=budget["document_deadline"],
                         company_budget=budget["company_budget"])
    try:
        return crawl_source(source, Path(ctx["raw_dir"]), item.get("known") or {}, config, session)
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

    streaming = bool(ctx.get("streaming"))  # a batch of disclosures is not every company of the sources file
    if not fetched and not streaming:  # load runs once one upstream succeeded: not when discover or every fetch failed
        raise RuntimeError("no shard's crawls arrived (discover or every fetch task failed): nothing to load")
    # the companies of a shard whose fetch task failed have no crawl here: the others are loaded, the run says so
    arrived_shards = {run_dir(ctx) / "shards" / f"{f['shard']:04d}.jsonl" for f in fetched}
    missing = [] if streaming else sorted(
        item["source"]["case_no"] for path in sorted((run_dir(ctx) / "shards").glob("*.jsonl"))
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
        return counts | update_history(con, ctx["run_id"], threshold=ctx.get("review_confidence"))
    finally:
        con.close()


def alert(ctx: dict, counts: dict, webhook_url: str | None = None) -> dict:
    """Deliver every undelivered alert (Airflow notifier: outbox, webhook, SMTP), close the run,
    then publish the read-only snapshot analysts open (atomically: they never see a half-loaded
    state, and their connections never block the next load). `webhook_url`: the run's conf or
    Variable (never in ctx, which Airflow stores); the Connection or environment otherwise.
    A snapshot that cannot be published leaves the run recorded as failed, with the reason.
    A streaming batch (ctx["streaming"]) publishes once, in record_disclosures, with its log."""
    stop_point("alert")
    from carbonwatch.alerting.notifiers import CarbonwatchAlertNotifier
    from warehouse.db import connect
    from warehouse.runs import finish_run

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
    if not ctx.get("streaming"):  # streaming: record_disclosures publishes once the log has the outcomes
        publish(ctx)
    if ctx.get("work_dir"):
        from carbonwatch.orchestration.shards import prune_work

        prune_work(ctx)
    return counts | {"delivered": sum(delivery.get("delivered", {}).values()),
                     "delivery_failed": sorted(delivery.get("failed", {}))}


def publish(ctx: dict) -> None:
    """Publish the analysts' read-only snapshot; one that cannot be published leaves the run
    recorded as failed, with the reason."""
    from warehouse.db import connect
    from warehouse.snapshot import publish_snapshot

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


def claim_disclosures(ctx: dict, disclosures: list[dict], retry_after: float | None = None,
                      owner: str | None = None, lease: float | None = None) -> list[dict]:
    """Record announced disclosures in the log (a replay or a duplicate adds nothing) and take
    those of them still to process (pending, or failed and due) for `owner` (default: this run);
    returns them. One claimed by another owner within its lease (default LEASE; 0 when no other
    owner can be at work) is left to it."""
    from warehouse.db import connect, transaction, utcnow
    from warehouse.disclosures import LEASE, RETRY_AFTER, claim, pending, take

    owner = owner or ctx["run_id"]
    con = connect(ctx["warehouse"])
    try:
        counts = claim(con, disclosures, utcnow())
        wanted = {d["source_id"] for d in disclosures}
        with transaction(con):
            due = pending(con, retry_after=RETRY_AFTER if retry_after is None else retry_after, owner=owner,
                          lease=LEASE if lease is None else lease)
            todo = [p for p in due if p["source_id"] in wanted]
            take(con, [p["source_id"] for p in todo], owner, utcnow())
    finally:
        con.close()
    log.info("disclosures: %s; %d to process", counts, len(todo))
    return todo


def record_feed_errors(ctx: dict, errors: list[dict]) -> None:
    """Feed errors the Airflow trigger reported ({"feed", "case_no", "error"}) into feed_cursors."""
    from warehouse.db import connect, utcnow
    from warehouse.disclosures import record_polls

    if not errors:
        return
    con = connect(ctx["warehouse"])
    try:
        record_polls(con, [{"feed": e["feed"], "case_no": e.get("case_no"), "polls": 0, "errors": 1, "error": e["error"]}
                           for e in errors], utcnow())
    finally:
        con.close()


def finish_disclosures(ctx: dict, work: dict) -> list[dict]:
    """After alert: the outcomes of fetch_extract_disclosures' work (read from its stage files)."""
    from carbonwatch.orchestration.shards import read_jsonl

    crawls = [c for f in work["fetched"] for c in read_jsonl(f["path"])]
    extractions = [list(read_jsonl(e["path"])) for e in work["extracted"]]
    return record_disclosures(ctx, work["items"], crawls, extractions)


def record_disclosures(ctx: dict, items: list[dict], crawls: list[dict], extractions: list[list[dict]]) -> list[dict]:
    """After alert: each disclosure's outcome (its document, facts, alerts or error) into the log,
    and the feeds' cursors advanced past what is finished. Returns the stored rows (JSON-able)."""
    from warehouse.db import connect
    from warehouse.disclosures import finish
    from warehouse.db import utcnow

    con = connect(ctx["warehouse"])
    try:
        outcomes = []
        for item, crawl, extracted in zip(items, crawls, extractions):
            doc = next(iter(crawl.get("documents") or []), None) or {}
            ext = next(iter(extracted), None) or {}
            document_id = doc.get("sha256")
            alerts, parse_error = con.execute(
                "SELECT (SELECT count(*) FROM alerts WHERE run_id = ? AND new_document_id = ?), "
                "(SELECT error FROM documents WHERE document_id = ? AND parse_status = 'failed')",
                [ctx["run_id"], document_id, document_id]).fetchone() if document_id else (0, None)
            outcomes.append({"source_id": item["disclosure"]["source_id"], "document_id": document_id,
                             "error": crawl.get("error") or doc.get("error") or ext.get("error") or parse_error
                             or (None if doc else "no document fetched"),
                             "facts": len(ext.get("facts") or []), "alerts": alerts})
        stored = finish(con, ctx["run_id"], outcomes, utcnow())
        con.execute("CHECKPOINT")
    finally:
        con.close()
    publish(ctx)  # one snapshot per batch: the facts, the alerts and the disclosures log together
    return [{k: (v.isoformat() + "Z" if hasattr(v, "isoformat") else v) for k, v in r.items()} for r in stored]
