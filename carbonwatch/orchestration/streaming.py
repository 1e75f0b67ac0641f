"""The bodies of carbonwatch_disclosures' three tasks (dags/carbonwatch_disclosures.py), as plain
functions over the nightly's task bodies (tasks.py), so tests run a run of it without Airflow.

Each Airflow task instance is a new process (imports, DAG parse, API round trips), so a run is
three fat tasks, not one per stage: claim → fetch, extract, validate → load, detect, alert.
"""
from __future__ import annotations

from carbonwatch.orchestration import tasks
from common import settings


def batch_of(payloads: list[dict]) -> tuple[list[dict], list[dict]]:
    """The disclosures and feed errors of the triggering events' payloads (DisclosureFeedTrigger's)."""
    disclosures, errors = [], []
    for payload in payloads:
        disclosures += payload.get("disclosures") or []
        errors += payload.get("feed_errors") or []
    return disclosures, errors


def prepare(conf: dict | None, run_id: str, payloads: list[dict]) -> dict:
    """Open the run, record the feed errors, claim the disclosures (writer). One run at a time
    (max_active_runs=1): another run's claim is left over from a run that ended, so it is taken
    over (lease 0). Returns {"ctx", "items"}: what fetch_extract_validate works on."""
    disclosures, errors = batch_of(payloads)
    ctx = tasks.prepare(conf, run_id) | {"streaming": True}
    tasks.record_feed_errors(ctx, errors)
    todo = tasks.claim_disclosures(ctx, disclosures, settings.retry_after(), lease=0.0)
    return {"ctx": ctx, "items": tasks.disclosure_items(ctx, todo)}


def fetch_extract_validate(claimed: dict) -> dict:
    """Fetch and extract each document (a bad one fails itself only), then Great Expectations on
    their facts (imported only when there are facts). Opens no DuckDB file."""
    ctx = claimed["ctx"]
    work = tasks.fetch_extract_disclosures(ctx, claimed["items"])
    return {"ctx": ctx, "validated": tasks.validate(ctx, work["extracted"])} | work


def load_alert(work: dict) -> list[dict]:
    """Load, detect changes, deliver the alerts, record each disclosure's outcome and latency,
    publish the snapshot (writer). Returns the disclosures' rows."""
    ctx = work["ctx"]
    counts = tasks.load(ctx, work["fetched"], work["extracted"], work["validated"])
    tasks.alert(ctx, tasks.detect_changes(ctx, counts))
    return tasks.finish_disclosures(ctx, work)
