"""The Airflow 3 side of streaming: an event trigger that polls the disclosure feeds.

`DisclosureFeedTrigger` is a `BaseEventTrigger` for an `AssetWatcher` (dags/carbonwatch_disclosures.py):
the triggerer runs it, it polls every feed of the sources file each `interval` seconds and
yields one `TriggerEvent` per new disclosure; its payload (the asset event's extra["payload"])
is the disclosure as plain JSON. The DAG then processes exactly the triggering disclosures.

It lives in the installed package, not in the DAGs folder: the triggerer imports it by its
class path, which code of the DAG bundle cannot be (apache/airflow#65455). It never writes to
the warehouse (DuckDB has one writer, the DAG's pool `carbonwatch_duckdb_writer`): it learns
what was already handled from the analysts' snapshot, which every run publishes, and keeps what
it emitted since in memory. A disclosure emitted twice (a triggerer restart before its run
finished) is claimed once by the DAG (warehouse/disclosures.py). A feed error is emitted once
per change of error, so the DAG records it in feed_cursors.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, AsyncIterator

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

log = logging.getLogger("carbonwatch.trigger")


def handled_source_ids(warehouse: str) -> tuple[set[str], dict[str, str]] | None:
    """Source ids finished or claimed, and the feeds' cursors, from the published snapshot
    (None while no snapshot can be read: the trigger waits rather than re-announce everything)."""
    from warehouse.disclosures import cursors
    from warehouse.snapshot import connect_reader, snapshot_path

    from pathlib import Path

    if not snapshot_path(warehouse).exists():
        return (set(), {}) if not Path(warehouse).exists() else None  # a new warehouse: nothing handled yet
    try:
        con = connect_reader(warehouse)
    except Exception as exc:  # noqa: BLE001 — a snapshot being replaced: try again next poll
        log.warning("snapshot of %s not readable yet: %s", warehouse, exc)
        return None
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "disclosures" not in tables:
            return set(), {}
        seen = {r[0] for r in con.execute("SELECT source_id FROM disclosures WHERE status <> 'failed'").fetchall()}
        return seen, cursors(con)
    finally:
        con.close()


class DisclosureFeedTrigger(BaseEventTrigger):
    """Poll the feeds of `sources` every `interval` seconds; one event per new disclosure.

    :param sources: the sources CSV (its `feeds` column)
    :param warehouse: the DuckDB file the DAG loads (only its snapshot is read)
    :param interval: seconds between two polls
    :param raw_dir: where the fetcher may keep temporary files
    """

    def __init__(self, sources: str, warehouse: str, interval: float = 60.0, raw_dir: str | None = None):
        super().__init__()
        self.sources = sources
        self.warehouse = warehouse
        self.interval = float(interval)
        self.raw_dir = raw_dir

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (f"{type(self).__module__}.{type(self).__qualname__}",
                {"sources": self.sources, "warehouse": self.warehouse, "interval": self.interval,
                 "raw_dir": self.raw_dir})

    def _poll(self, seen: set[str], cursors: dict[str, str], last_errors: dict[str, str | None]) -> list[dict]:
        from pathlib import Path

        from carbonwatch.orchestration.watch import feeds_of, poll_feeds

        feeds = feeds_of(self.sources)
        ctx = {"raw_dir": self.raw_dir or str(Path(self.warehouse).parent / "raw")}
        found, results = poll_feeds(feeds, ctx, cursors, seen)
        events = [{"kind": "disclosure", **d} for d in found]
        for (company, feed), result in zip(feeds, results):
            if result.error != last_errors.get(feed.feed_id):  # report a feed's error once, and its recovery
                last_errors[feed.feed_id] = result.error
                if result.error:
                    log.warning("feed %s: %s", feed.feed_id, result.error)
                    events.append({"kind": "feed_error", "feed": feed.feed_id, "case_no": company["case_no"],
                                   "error": result.error})
        return events

    async def run(self) -> AsyncIterator[TriggerEvent]:
        state = None
        while state is None:
            state = await asyncio.to_thread(handled_source_ids, self.warehouse)
            if state is None:
                await asyncio.sleep(self.interval)
        seen, cursors = state
        last_errors: dict[str, str | None] = {}
        log.info("watching the feeds of %s (%d disclosures handled before)", self.sources, len(seen))
        while True:
            try:
                events = await asyncio.to_thread(self._poll, seen, cursors, last_errors)
            except Exception:  # noqa: BLE001 — a bad sources file or a bug: log, keep the watcher alive
                log.exception("polling the feeds of %s failed", self.sources)
                events = []
            for payload in events:
                if payload["kind"] == "disclosure":
                    seen.add(payload["source_id"])
                yield TriggerEvent(payload)
            await asyncio.sleep(self.interval)
