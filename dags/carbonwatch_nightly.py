"""
### carbonwatch_nightly

Every night at 02:00 Asia/Shanghai: crawl each company's site for its ESG/CSR reports, extract
climate targets with pdfplumber, validate them with Great Expectations, load the DuckDB
warehouse, diff every company's targets against its history and alert on changes.

prepare → discover → fetch (one task per shard of companies) → pick_new → extract (one task per
shard that fetched a new document; one when none did) → validate → load → detect_changes →
alert (publishes the asset `carbonwatch_warehouse`, which schedules the DAG
`carbonwatch_reporting`)

fetch and extract are mapped over shards of `shard_size` companies (setting
CARBONWATCH_SHARD_SIZE or the run's conf, default 200: a few minutes of work; at most 1,024
shards, Airflow's max_map_length: past that the shards grow). Each shard writes its output as
JSON lines under `<raw_dir>/work/<run>/` (crawls, extractions); validate writes which facts
failed; XCom holds only paths and counts, and task logs do not print return values. A shard that
dies is retried alone; a dead site or a broken PDF inside it is still that document's row.

Settings, first found wins: the run's conf (`sources`, `warehouse`, `raw_dir`, `report`,
`outbox`, `alert_webhook`, `shard_size`, `shard_threads`), the Airflow Variables `carbonwatch_sources`, `carbonwatch_warehouse`,
`carbonwatch_raw_dir`, `carbonwatch_report`, `carbonwatch_outbox` and the Connection (or
Variable) `carbonwatch_alert_webhook`, the environment (common/settings.py).

A dead site or a broken PDF fails that company's document, never the run: failures are rows in
`documents` and `fetch_log`, so retries (2 per task) only cover the infrastructure (a killed
worker, a locked file), never bad input. Every task that opens the DuckDB file (prepare,
discover, load, detect_changes, alert) runs in the pool `carbonwatch_duckdb_writer` (1 slot)
and on the Celery queue `duckdb_writer`; the fetch and extract shards run in parallel on any
worker (they share the raw folder). A task that fails after its retries, or a run that fails,
writes a failure alert (carbonwatch/alerting/callbacks.py). Each document's download and each
company's crawl have a budget that ends well inside the fetch task's timeout (a company's share
of the shard's); should a shard's fetch or extract task still fail, extract, validate and load
take what arrived (docs/reliability.md) and the run names the missing companies.
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, dag, get_current_context, task
from airflow.timetables.trigger import CronTriggerTimetable

from carbonwatch.alerting.callbacks import on_dag_failure, on_task_failure
from common.settings import DUCKDB_POOL, DUCKDB_QUEUE, FETCH_TASK_TIMEOUT

# The DuckDB warehouse as an Airflow asset: `alert` (the last writer of a run) updates it,
# carbonwatch_reporting is scheduled on it. The event's extra carries the warehouse path.
WAREHOUSE_ASSET = Asset(name="carbonwatch_warehouse", uri="file:///carbonwatch/warehouse.duckdb", group="carbonwatch")

default_args = {
    "owner": "carbonwatch",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(minutes=30),
    "on_failure_callback": on_task_failure,
    # return values are paths and counts, but a log line per task instance adds nothing (mapped
    # tasks do not take it from default_args: fetch and extract set it themselves)
    "show_return_value_in_logs": False,
}
# Everything that opens the DuckDB file: one at a time, on the worker that holds the file.
writer = {"pool": DUCKDB_POOL, "queue": DUCKDB_QUEUE}
# A company whose fetch or extract task still fails must not cost the others their night:
# the next steps run once everything upstream is done and take what arrived.
takes_what_arrived = {"trigger_rule": "all_done_min_one_success"}
# A mapped task's outputs arrive as a lazy sequence: `[:]` reads them in one request (iterating
# asks item by item and ends on an "XCom not found" error line in the task log).
# Tasks annotated `-> dict` say multiple_outputs=False: Airflow infers True from the annotation
# and pushes every key as an XCom of its own (7 round trips per fetch shard instead of 1).


@dag(
    dag_id="carbonwatch_nightly",
    schedule=CronTriggerTimetable("0 2 * * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=6),
    default_args=default_args,
    on_failure_callback=on_dag_failure,
    tags=["carbonwatch"],
    doc_md=__doc__,
)
def carbonwatch_nightly():
    # bootstrap parses the 100-case report on a new warehouse: allow for it
    @task(execution_timeout=timedelta(minutes=20), **writer, multiple_outputs=False)
    def prepare() -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from carbonwatch.orchestration import tasks
        from common import settings

        context = get_current_context()
        conf = settings.airflow_values() | dict(context["dag_run"].conf or {})
        try:
            return tasks.prepare(conf, context["run_id"])
        except (FileNotFoundError, ValueError) as exc:  # bad configuration: retrying cannot help
            raise AirflowFailException(str(exc)) from exc

    @task(execution_timeout=timedelta(minutes=5), **writer)
    def discover(ctx: dict) -> list[dict]:
        from carbonwatch.orchestration import tasks

        return tasks.discover(ctx)

    # one shard's crawls (a few minutes): polite delays; site faults are recorded, not raised;
    # each company's budget is its share of this timeout (common.settings.crawl_budget, tasks.fetch)
    @task(execution_timeout=timedelta(seconds=FETCH_TASK_TIMEOUT), max_active_tis_per_dagrun=8,
          show_return_value_in_logs=False, multiple_outputs=False)
    def fetch(shard: dict, ctx: dict) -> dict:
        from carbonwatch.orchestration import tasks

        return tasks.fetch(ctx, shard)

    # extract maps over the shards that fetched something new (at least one): an unchanged
    # night does not pay a task instance per shard for nothing
    @task(execution_timeout=timedelta(minutes=5), **takes_what_arrived)
    def pick_new(fetched: list) -> list[dict]:
        from carbonwatch.orchestration.shards import shards_to_extract

        return shards_to_extract(fetched[:])

    # each PDF has its own time/memory cap (extractors/document.py, 300 s default)
    @task(execution_timeout=timedelta(minutes=90), max_active_tis_per_dagrun=8, show_return_value_in_logs=False,
          **takes_what_arrived, multiple_outputs=False)
    def extract(fetched: dict, ctx: dict) -> dict:
        from carbonwatch.orchestration import tasks

        return tasks.extract(ctx, fetched)

    @task(execution_timeout=timedelta(minutes=15), **takes_what_arrived, multiple_outputs=False)
    def validate(ctx: dict, extracted: list) -> dict:
        from carbonwatch.orchestration import tasks

        return tasks.validate(ctx, extracted[:])

    @task(execution_timeout=timedelta(minutes=30), **writer, **takes_what_arrived, multiple_outputs=False)
    def load(ctx: dict, fetched: list, extracted: list, validated: dict) -> dict:
        from carbonwatch.orchestration import tasks

        return tasks.load(ctx, fetched[:], extracted[:], validated)

    @task(execution_timeout=timedelta(minutes=15), **writer, multiple_outputs=False)
    def detect_changes(ctx: dict, counts: dict) -> dict:
        from carbonwatch.orchestration import tasks

        return tasks.detect_changes(ctx, counts)

    @task(execution_timeout=timedelta(minutes=10), outlets=[WAREHOUSE_ASSET], **writer, multiple_outputs=False)
    def alert(ctx: dict, counts: dict) -> dict:
        from carbonwatch.orchestration import tasks

        conf = dict(get_current_context()["dag_run"].conf or {})
        result = tasks.alert(ctx, counts, webhook_url=conf.get("alert_webhook"))
        outlet_events = get_current_context().get("outlet_events")
        if outlet_events is not None:  # tell carbonwatch_reporting which warehouse changed
            outlet_events[WAREHOUSE_ASSET].extra = {
                "warehouse": ctx["warehouse"], "var": ctx.get("var"), "run_id": ctx["run_id"], "outbox": ctx.get("outbox"),
                **{k: v for k, v in result.items() if isinstance(v, (int, float, str))}}
        return result

    ctx = prepare()
    fetched = fetch.partial(ctx=ctx).expand(shard=discover(ctx))
    extracted = extract.partial(ctx=ctx).expand(fetched=pick_new(fetched))
    validated = validate(ctx, extracted)
    counts = load(ctx, fetched, extracted, validated)
    alert(ctx, detect_changes(ctx, counts))


nightly_dag = carbonwatch_nightly()
