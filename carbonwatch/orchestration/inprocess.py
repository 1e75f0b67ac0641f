"""The nightly's task bodies in the DAG's order, in this process, without Airflow (tests, benchmarks)."""
from __future__ import annotations

from carbonwatch.orchestration.shards import shards_to_extract
from carbonwatch.orchestration.tasks import alert, detect_changes, discover, extract, fetch, load, prepare, validate


def run_in_process(conf: dict, run_id: str, workers: int = 1, lap=None) -> dict:
    """The DAG's task bodies in the DAG's order, in this process, without Airflow (tests and
    benchmarks): the same shards and work files as the mapped tasks, one shard after the
    other; `workers` threads crawl / extract inside a shard (the setting shard_threads, unless
    conf gives it). `lap(stage)` is called after each stage. Returns the run's counts."""
    lap = lap or (lambda stage: None)
    ctx = prepare({"shard_threads": workers} | dict(conf), run_id)
    lap("prepare")
    shards = discover(ctx)
    lap("discover")
    fetched = [fetch(ctx, shard) for shard in shards]
    lap("fetch")
    extracted = [extract(ctx, f) for f in shards_to_extract(fetched)]
    lap("extract")
    validated = validate(ctx, extracted)
    lap("validate")
    counts = load(ctx, fetched, extracted, validated)
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
    from carbonwatch.orchestration.tasks import (claim_disclosures, disclosure_items, fetch_extract_disclosures,
                                                 finish_disclosures)

    ctx = prepare(ctx, run_id) | {"streaming": True}
    todo = claim_disclosures(ctx, disclosures, retry_after, owner="watch")  # one watcher per warehouse
    work = fetch_extract_disclosures(ctx, disclosure_items(ctx, todo), stop)
    counts = load(ctx, work["fetched"], work["extracted"], validate(ctx, work["extracted"]))
    alert(ctx, detect_changes(ctx, counts))
    return finish_disclosures(ctx, work)
