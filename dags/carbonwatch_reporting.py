"""
### carbonwatch_reporting

Scheduled on the Airflow asset `carbonwatch_warehouse`, which the `alert` task of
`carbonwatch_nightly` updates at the end of every successful nightly run: writes the warehouse
summary (`carbonwatch summary`) to `<var>/reports/summary-<nightly run id>.txt` and
`<var>/reports/summary-latest.txt`.

The warehouse path comes from the asset event (its extra carries the nightly run's settings),
else from the Airflow Variable `carbonwatch_warehouse`, else the environment. The task opens the
DuckDB file read-only, in the pool `carbonwatch_duckdb_writer` (so never while a writer holds
it) and on the queue `duckdb_writer` (the worker that has the file).
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, dag, get_current_context, task

from carbonwatch.alerting.callbacks import on_dag_failure, on_task_failure
from common.settings import DUCKDB_POOL, DUCKDB_QUEUE

# Same asset as in carbonwatch_nightly.py (assets are identified by name and URI).
WAREHOUSE_ASSET = Asset(name="carbonwatch_warehouse", uri="file:///carbonwatch/warehouse.duckdb", group="carbonwatch")

default_args = {
    "owner": "carbonwatch",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "execution_timeout": timedelta(minutes=10),
    "on_failure_callback": on_task_failure,
}


@dag(
    dag_id="carbonwatch_reporting",
    schedule=[WAREHOUSE_ASSET],
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=1),
    default_args=default_args,
    on_failure_callback=on_dag_failure,
    tags=["carbonwatch"],
    doc_md=__doc__,
)
def carbonwatch_reporting():
    @task(pool=DUCKDB_POOL, queue=DUCKDB_QUEUE, multiple_outputs=False)
    def write_summary() -> dict:
        import re
        from pathlib import Path

        from common import settings
        from carbonwatch.reporting.summary import summarize

        context = get_current_context()
        extra: dict = {}
        for events in (context.get("triggering_asset_events") or {}).values():
            for event in events:
                extra = dict(event.extra or {})  # the newest event wins
        ctx = settings.resolve(dict(context["dag_run"].conf or {}) | extra, airflow=True)
        text = summarize(ctx["warehouse"])
        out = Path(ctx["var"]) / "reports"
        out.mkdir(parents=True, exist_ok=True)
        source_run = extra.get("run_id") or context["run_id"]
        path = out / f"summary-{re.sub(r'[^A-Za-z0-9_.-]+', '_', source_run)}.txt"
        path.write_text(text + "\n", encoding="utf-8")
        (out / "summary-latest.txt").write_text(text + "\n", encoding="utf-8")
        return {"summary": str(path), "warehouse": ctx["warehouse"], "nightly_run_id": extra.get("run_id")}

    write_summary()


reporting_dag = carbonwatch_reporting()
