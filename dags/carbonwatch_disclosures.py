"""
### carbonwatch_disclosures

Streaming: each new ESG / CSR / sustainability report a feed announces becomes facts, history
and an alert minutes after it appears. The asset `carbonwatch_disclosures` is watched by an
`AssetWatcher` whose trigger (`carbonwatch.orchestration.trigger.DisclosureFeedTrigger`, in the
installed package) polls the `feeds` column of the sources file in the triggerer. Each asset
event carries a batch of new disclosures (payload: JSON, {"kind": "disclosures",
"disclosures": [...], "feed_errors": [...]}), and the trigger emits the next batch only once a
run has handled the previous one. A run processes exactly the disclosures of its
`triggering_asset_events` with the nightly's task bodies, in three task instances (each is a
new process: fewer, fatter tasks keep a run short on a small machine):

prepare (claim the disclosures, record feed errors) → fetch_extract_validate (fetch and extract
each document, Great Expectations on their facts) → load_alert (load, detect changes, deliver
the alerts, record each disclosure's outcome and latency, publish the snapshot)

prepare and load_alert open DuckDB and run in the pool `carbonwatch_duckdb_writer` (1 slot),
like the nightly's writers, so the two DAGs never write at once. One run at a time
(max_active_runs=1): a claim left by another run is from a run that ended (failed, or stopped by
a restart), and this run takes it over. Watchers run only while the DAG is unpaused.

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
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=1),
    default_args=default_args,
    on_failure_callback=on_dag_failure,
    tags=["carbonwatch", "streaming"],
    doc_md=__doc__,
)
def carbonwatch_disclosures():
    @task(**writer, multiple_outputs=False)
    def prepare() -> dict:
        from carbonwatch.orchestration import streaming

        context = get_current_context()
        payloads = [e.extra.get("payload") or {} for e in context["triggering_asset_events"][DISCLOSURES]]
        return streaming.prepare(settings.airflow_values(), context["run_id"], payloads)

    @task(multiple_outputs=False)
    def fetch_extract_validate(claimed: dict) -> dict:
        from carbonwatch.orchestration import streaming

        return streaming.fetch_extract_validate(claimed)

    @task(**writer)
    def load_alert(work: dict) -> list[dict]:
        from carbonwatch.orchestration import streaming
        from carbonwatch.orchestration.watch import disclosure_line

        rows = streaming.load_alert(work)
        for row in rows:
            print(disclosure_line(row))
        return rows

    load_alert(fetch_extract_validate(prepare()))


disclosures_dag = carbonwatch_disclosures()
