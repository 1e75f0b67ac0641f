"""
### carbonwatch_nightly

Every night at 02:00 Asia/Shanghai: crawl each company's site for its ESG/CSR reports, extract
climate targets with pdfplumber, validate them with Great Expectations, load the DuckDB
warehouse, diff every company's targets against its history and alert on changes.

discover → fetch (one task per company) → extract (one task per company) → validate → load →
detect_changes → alert

Run conf (all optional; defaults come from the environment, see carbonwatch/settings.py):
`sources` (CSV: case_no,name,landing_url[,allowed_domains,seed_urls,notes]), `warehouse`
(DuckDB file; a new one is first loaded with the 100 cases of the report), `raw_dir`, `report`.

A dead site or a broken PDF fails that company's document, never the run: failures are rows in
`documents` and `fetch_log`. Only the load tasks write to DuckDB, one at a time.
"""
from __future__ import annotations

import pendulum
from airflow.sdk import dag, get_current_context, task
from airflow.timetables.trigger import CronTriggerTimetable


@dag(
    dag_id="carbonwatch_nightly",
    schedule=CronTriggerTimetable("0 2 * * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    tags=["carbonwatch"],
    doc_md=__doc__,
)
def carbonwatch_nightly():
    @task
    def prepare() -> dict:
        from carbonwatch import tasks

        context = get_current_context()
        return tasks.prepare(context["dag_run"].conf, context["run_id"])

    @task
    def discover(ctx: dict) -> list[dict]:
        from carbonwatch import tasks

        return tasks.discover(ctx)

    @task
    def fetch(item: dict, ctx: dict) -> dict:
        from carbonwatch import tasks

        return tasks.fetch(ctx, item)

    @task
    def extract(crawl: dict, ctx: dict) -> list[dict]:
        from carbonwatch import tasks

        return tasks.extract(ctx, crawl)

    @task
    def validate(ctx: dict, extractions: list) -> dict:
        from carbonwatch import tasks

        return tasks.validate(ctx, list(extractions))

    @task
    def load(ctx: dict, crawls: list, extractions: list, validated: dict) -> dict:
        from carbonwatch import tasks

        return tasks.load(ctx, list(crawls), list(extractions), validated)

    @task
    def detect_changes(ctx: dict, counts: dict) -> dict:
        from carbonwatch import tasks

        return tasks.detect_changes(ctx, counts)

    @task
    def alert(ctx: dict, counts: dict) -> dict:
        from carbonwatch import tasks

        return tasks.alert(ctx, counts)

    ctx = prepare()
    crawls = fetch.partial(ctx=ctx).expand(item=discover(ctx))
    extractions = extract.partial(ctx=ctx).expand(crawl=crawls)
    validated = validate(ctx, extractions)
    counts = load(ctx, crawls, extractions, validated)
    alert(ctx, detect_changes(ctx, counts))


nightly_dag = carbonwatch_nightly()
