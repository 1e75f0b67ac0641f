"""
### carbonwatch_disclosures

Streaming: each new ESG / CSR / sustainability report a feed announces becomes facts, history
and an alert minutes after it appears. The asset `carbonwatch_disclosures` is watched by an
`AssetWatcher` whose trigger (`carbonwatch.orchestration.trigger.DisclosureFeedTrigger`, in the
installed package) polls the `feeds` column of the sources file in the triggerer; each new
disclosure is an asset event whose payload is the disclosure (JSON). A run processes exactly its
triggering disclosures (`triggering_asset_events`) with the nightly's task bodies:

prepare (claim the disclosures) → fetch_extract → validate → load → detect_changes → alert
(delivers the alerts, records each disclosure's outcome and latency, publishes the snapshot)

Every task that opens DuckDB runs in the pool `carbonwatch_duckdb_writer` (1 slot), like the
nightly's, so the two DAGs never write at once. Runs may overlap (no max_active_runs=1: with it,
asset events that arrive during a run wait for an unrelated later event, apache/airflow#56050);
a disclosure is claimed by one run only. Watchers run only while the DAG is unpaused.

Settings at parse time (the trigger's arguments): CARBONWATCH_SOURCES, CARBONWATCH_WAREHOUSE,
CARBONWATCH_RAW, CARBONWATCH_WATCH_INTERVAL; the feed endpoints CARBONWATCH_CNINFO_URL etc. in
the triggerer's environment (common/settings.py).
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, AssetWatcher, dag, get_current_context, task

from carbonwatch.alerting.callbacks import on_dag_failure, on_task_failure
from carbonwatch.orchestration.trigger import DisclosureFeedTrigger
from common import settings
from common.settings import DUCKDB_POOL, DUCKDB_QUEUE

_where = settings.Settings.load()
DISCLOSURES = Asset(
    name="carbonwatch_disclosures", uri="carbonwatch://disclosures", group="carbonwatch",
    watchers=[AssetWatcher(name="carbonwatch_feeds", trigger=DisclosureFeedTrigger(
        sources=_where.sources, warehouse=_where.warehouse, interval=settings.watch_interval(), raw_dir=_where.raw_dir))])

default_args = {
    "owner": "carbonwatch",
    "retries": 2,
    "retry_delay": timedelta(seconds=10),
    "execution_timeout": timedelta(minutes=30),
    "on_failure_callback": on_task_failure,
}
writer = {"pool": DUCKDB_POOL, "queue": DUCKDB_QUEUE}


@dag(
    dag_id="carbonwatch_disclosures",
    schedule=[DISCLOSURES],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=16,
    dagrun_timeout=timedelta(hours=1),
    default_args=default_args,
    on_failure_callback=on_dag_failure,
    tags=["carbonwatch", "streaming"],
    doc_md=__doc__,
)
def carbonwatch_disclosures():
    @task(**writer)
    def prepare() -> dict:
        from carbonwatch.orchestration import tasks

        context = get_current_context()
        payloads = [e.extra.get("payload") or {} for e in context["triggering_asset_events"][DISCLOSURES]]
        ctx = tasks.prepare(settings.airflow_values(), context["run_id"]) | {"streaming": True}
        tasks.record_feed_errors(ctx, [p for p in payloads if p.get("kind") == "feed_error"])
        disclosures = [{k: v for k, v in p.items() if k != "kind"} for p in payloads if p.get("kind") == "disclosure"]
        todo = tasks.claim_disclosures(ctx, disclosures)
        return {"ctx": ctx, "items": tasks.disclosure_items(ctx, todo)}

    @task
    def fetch_extract(claimed: dict) -> dict:
        from carbonwatch.orchestration import tasks

        # one document at a time (a bad one fails itself only); stage outputs go to the work folder
        return {"ctx": claimed["ctx"]} | tasks.fetch_extract_disclosures(claimed["ctx"], claimed["items"])

    @task
    def validate(work: dict) -> dict:
        from carbonwatch.orchestration import tasks

        return tasks.validate(work["ctx"], work["extracted"])

    @task(**writer)
    def load(work: dict, validated: dict) -> dict:
        from carbonwatch.orchestration import tasks

        return tasks.load(work["ctx"], work["fetched"], work["extracted"], validated)

    @task(**writer)
    def detect_changes(work: dict, counts: dict) -> dict:
        from carbonwatch.orchestration import tasks

        return tasks.detect_changes(work["ctx"], counts)

    @task(**writer)
    def alert(work: dict, counts: dict) -> list[dict]:
        from carbonwatch.orchestration import tasks
        from carbonwatch.orchestration.watch import disclosure_line

        tasks.alert(work["ctx"], counts)
        rows = tasks.finish_disclosures(work["ctx"], work)
        for row in rows:
            print(disclosure_line(row))
        return rows

    work = fetch_extract(prepare())
    counts = load(work, validate(work))
    alert(work, detect_changes(work, counts))


disclosures_dag = carbonwatch_disclosures()
