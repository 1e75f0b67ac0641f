"""The nightly's task bodies in the DAG's order, in this process, without Airflow (tests, benchmarks)."""
from __future__ import annotations

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
    extracted = [extract(ctx, f) for f in fetched]
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
