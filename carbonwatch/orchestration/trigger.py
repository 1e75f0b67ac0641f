"""The Airflow 3 side of streaming: an event trigger that polls the disclosure feeds.

`DisclosureFeedTrigger` is a `BaseEventTrigger` for an `AssetWatcher` (dags/carbonwatch_disclosures.py):
the triggerer runs it, it polls every feed of the sources file each `interval` seconds and
yields ONE `TriggerEvent` per batch: its payload (the asset event's extra["payload"]) is plain
JSON, {"kind": "disclosures", "disclosures": [...], "feed_errors": [...]}, every disclosure
found since the last event (at most `batch`). The DAG then processes exactly the disclosures of
its triggering events, in one run.

Flow control: at most one event is outstanding. The next is emitted only once a run of the DAG
that started after it has finished and published the analysts' snapshot; what accumulated in
between goes in that next event. Airflow 3.3's scheduler queues one AssetDagRunQueue row per
asset and DAG whose created_at is the FIRST queued event's time, and a run consumes the events
up to that time only: a second event emitted before the run was created would wait for a
third (apache/airflow#56050). With one outstanding event there is never a second, and a run
processes everything that arrived while the previous one worked (a few fat runs instead of one
run per disclosure). The disclosures of an event no run finished within `redeliver_after`
seconds (a run killed or failed) are emitted again.

It lives in the installed package, not in the DAGs folder: the triggerer imports it by its
class path, which code of the DAG bundle cannot be (apache/airflow#65455). It never writes to
the warehouse (DuckDB has one writer, the DAG's pool `carbonwatch_duckdb_writer`): it learns
what was finished from the snapshot, which every run publishes, and keeps what it emitted since
in memory. A disclosure emitted twice (a triggerer restart before its run finished) is
processed once (warehouse/disclosures.py). A feed error is reported once per change of error,
so the DAG records it in feed_cursors.
"""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import Any, AsyncIterator

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from common import settings

log = logging.getLogger("carbonwatch.trigger")
RUN_ID_PREFIX = "asset_triggered__"  # Airflow's run ids of asset-triggered runs (DagRunType.ASSET_TRIGGERED)


def _reader(warehouse: str):
    """A read-only connection to the published snapshot, or None while there is none to read."""
    from warehouse.snapshot import connect_reader

    try:
        return connect_reader(warehouse)
    except Exception as exc:  # noqa: BLE001 — a snapshot being replaced: try again next poll
        log.warning("snapshot of %s not readable yet: %s", warehouse, exc)
        return None


def _tables(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def handled_source_ids(warehouse: str) -> tuple[set[str], dict[str, str]] | None:
    """Source ids finished, and the feeds' cursors, from the published snapshot (None while no
    snapshot can be read: the trigger waits rather than re-announce everything). Pending and
    failed ones are announced again: a run left them unfinished, or their retry may be due."""
    from pathlib import Path

    from warehouse.disclosures import FINISHED, cursors
    from warehouse.snapshot import snapshot_path

    if not snapshot_path(warehouse).exists():
        return (set(), {}) if not Path(warehouse).exists() else None  # a new warehouse: nothing handled yet
    con = _reader(warehouse)
    if con is None:
        return None
    try:
        if "disclosures" not in _tables(con):
            return set(), {}
        seen = {r[0] for r in con.execute("SELECT source_id FROM disclosures WHERE status IN (SELECT unnest(?::VARCHAR[]))",
                                          [list(FINISHED)]).fetchall()}
        return seen, cursors(con)
    finally:
        con.close()


def unfinished(warehouse: str, emitted_at: datetime, source_ids: list[str]) -> tuple[bool, list[str]] | None:
    """Whether a run of the DAG that started at or after `emitted_at` (naive UTC) has finished in
    the snapshot, and which of `source_ids` are not finished (nor failed, left to their retry)
    there; None while the snapshot cannot be read."""
    from warehouse.disclosures import FINISHED

    con = _reader(warehouse)
    if con is None:
        return None
    try:
        if not {"runs", "disclosures"} <= _tables(con):
            return False, list(source_ids)
        ran = con.execute("SELECT count(*) > 0 FROM runs WHERE starts_with(run_id, ?) AND started_at >= ? "
                          "AND status <> 'running'", [RUN_ID_PREFIX, emitted_at]).fetchone()[0]
        handled = {r[0] for r in con.execute(
            "SELECT source_id FROM disclosures WHERE status IN (SELECT unnest(?::VARCHAR[])) "
            "AND source_id IN (SELECT unnest(?::VARCHAR[]))", [[*FINISHED, "failed"], source_ids]).fetchall()}
        return bool(ran), [s for s in source_ids if s not in handled]
    finally:
        con.close()


def due_retries(warehouse: str, retry_after: float) -> list[dict]:
    """Failed disclosures whose retry is due (backoff doubling per attempt, at most
    MAX_ATTEMPTS), from the snapshot, as disclosures to emit again ([] while it is unreadable)."""
    from warehouse.disclosures import due_failures

    con = _reader(warehouse)
    if con is None:
        return []
    try:
        return due_failures(con, retry_after) if "disclosures" in _tables(con) else []
    finally:
        con.close()


class DisclosureFeedTrigger(BaseEventTrigger):
    """Poll the feeds of `sources` every `interval` seconds; one event per batch of new
    disclosures, the next only once a run has handled the previous one.

    :param sources: the sources CSV (its `feeds` column)
    :param warehouse: the DuckDB file the DAG loads (only its snapshot is read)
    :param interval: seconds between two polls
    :param raw_dir: where the fetcher may keep temporary files
    :param batch: disclosures per event at most (the rest go in the next)
    :param redeliver_after: seconds after which an event no run has reported on is emitted again
    :param retry_after: seconds before a failed disclosure is emitted again (doubled per attempt;
        default: the setting CARBONWATCH_RETRY_AFTER, which the run's claim uses too)
    """

    def __init__(self, sources: str, warehouse: str, interval: float = 60.0, raw_dir: str | None = None,
                 batch: int = 100, redeliver_after: float = 900.0, retry_after: float | None = None):
        super().__init__()
        self.sources = sources
        self.warehouse = warehouse
        self.interval = float(interval)
        self.raw_dir = raw_dir
        self.batch = int(batch)
        self.redeliver_after = float(redeliver_after)
        self.retry_after = retry_after

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (f"{type(self).__module__}.{type(self).__qualname__}",
                {"sources": self.sources, "warehouse": self.warehouse, "interval": self.interval,
                 "raw_dir": self.raw_dir, "batch": self.batch, "redeliver_after": self.redeliver_after,
                 "retry_after": self.retry_after})

    def _poll(self, seen: set[str], cursors: dict[str, str], last_errors: dict[str, str | None]) -> tuple[list, list]:
        """One poll of every feed: the disclosures not seen before, and the feed errors that changed."""
        from pathlib import Path

        from carbonwatch.orchestration.watch import feeds_of, poll_feeds

        feeds = feeds_of(self.sources)
        ctx = {"raw_dir": self.raw_dir or str(Path(self.warehouse).parent / "raw")}
        found, results = poll_feeds(feeds, ctx, cursors, seen)
        errors = []
        for (company, feed), result in zip(feeds, results):
            if result.error != last_errors.get(feed.feed_id):  # report a feed's error once, and its recovery
                last_errors[feed.feed_id] = result.error
                if result.error:
                    log.warning("feed %s: %s", feed.feed_id, result.error)
                    errors.append({"feed": feed.feed_id, "case_no": company["case_no"], "error": result.error})
        return found, errors

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from warehouse.db import utcnow

        state = None
        while state is None:
            state = await asyncio.to_thread(handled_source_ids, self.warehouse)
            if state is None:
                await asyncio.sleep(self.interval)
        seen, cursors = state
        last_errors: dict[str, str | None] = {}
        queue: dict[str, dict] = {}  # found, not emitted yet (oldest first)
        errors: list[dict] = []
        outstanding: dict | None = None  # the last event: when, its disclosures
        log.info("watching the feeds of %s (%d disclosures handled before)", self.sources, len(seen))
        while True:
            try:
                found, new_errors = await asyncio.to_thread(self._poll, seen, cursors, last_errors)
            except Exception:  # noqa: BLE001 — a bad sources file or a bug: log, keep the watcher alive
                log.exception("polling the feeds of %s failed", self.sources)
                found, new_errors = [], []
            for d in found:
                seen.add(d["source_id"])
                queue.setdefault(d["source_id"], d)
            errors += new_errors
            if outstanding is not None:
                ids = list(outstanding["disclosures"])
                state = await asyncio.to_thread(unfinished, self.warehouse, outstanding["at"], ids)
                ran, left = state or (False, ids)
                if ran and not left:  # handled: its run published the outcome of every disclosure
                    outstanding = None
                elif time.monotonic() - outstanding["clock"] >= self.redeliver_after:
                    log.warning("no run finished the event of %s: emitting %d of its disclosures again",
                                outstanding["at"], len(left))
                    queue = {s: outstanding["disclosures"][s] for s in left} | queue
                    outstanding = None
            if outstanding is None:  # a failed disclosure whose retry is due goes with the next event
                retry_after = settings.retry_after() if self.retry_after is None else self.retry_after
                for d in await asyncio.to_thread(due_retries, self.warehouse, retry_after):
                    queue.setdefault(d["source_id"], d)
            if outstanding is None and (queue or errors):
                batch = list(queue.values())[:self.batch]
                for d in batch:
                    del queue[d["source_id"]]
                outstanding = {"at": utcnow(), "clock": time.monotonic(), "disclosures": {d["source_id"]: d for d in batch}}
                payload = {"kind": "disclosures", "disclosures": batch, "feed_errors": errors}
                errors = []
                log.info("event: %d disclosures, %d feed errors (%d more waiting)", len(batch),
                         len(payload["feed_errors"]), len(queue))
                yield TriggerEvent(payload)
            await asyncio.sleep(self.interval)
