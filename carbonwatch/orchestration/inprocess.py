"""The nightly's task bodies in the DAG's order, in this process, without Airflow (tests, benchmarks)."""
from __future__ import annotations

from carbonwatch.orchestration.tasks import alert, detect_changes, discover, extract, fetch, load, prepare, validate


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
    counts = alert(ctx, counts, webhook_url=(conf or {}).get("alert_webhook"))
    lap("alert")
    return counts


def stream_run(ctx: dict, run_id: str, disclosures: list[dict], stop=None, retry_after: float | None = None) -> list[dict]:
    """Disclosures a feed announced through the same task bodies as the nightly, in this process:
    fetch and extract each (stopping between documents when `stop` is set), then validate,
    load, detect_changes, alert, and record each outcome in the disclosures log. Returns the
    log's rows of the processed disclosures (the rest stay pending)."""
    from carbonwatch.orchestration.tasks import claim_disclosures, disclosure_items, record_disclosures

    ctx = prepare(ctx, run_id) | {"streaming": True}
    todo = claim_disclosures(ctx, disclosures, retry_after, owner="watch")  # one watcher per warehouse
    items = disclosure_items(ctx, todo)
    crawls, extractions = [], []
    for item in items:
        if stop is not None and stop.is_set():
            break
        crawls.append(fetch(ctx, item))
        extractions.append(extract(ctx, crawls[-1]))
    items = items[:len(crawls)]
    counts = load(ctx, crawls, extractions, validate(ctx, extractions))
    alert(ctx, detect_changes(ctx, counts))
    return record_disclosures(ctx, items, crawls, extractions)
