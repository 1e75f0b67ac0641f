"""`carbonwatch watch`: the embedded streaming watcher (no Airflow needed).

Every `interval` seconds it polls each feed of the sources file (extractors/feeds), claims the
new disclosures in the warehouse's log (warehouse/disclosures.py) and runs them through the
nightly's own task bodies — fetch → extract → validate → load → detect_changes → alert — then
records each outcome, advances the feeds' cursors and publishes the analysts' snapshot. It
holds DuckDB's write connection only inside those steps, never while polling or waiting; an
idle poll (nothing new, no errors) does not open the warehouse at all. SIGINT / SIGTERM stop it
between two documents: what was fetched is loaded, the rest stays pending for the next start.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from carbonwatch.orchestration import tasks

log = logging.getLogger("carbonwatch.watch")
BATCH = 25  # disclosures per run of the stages at most (a backlog is worked off in several runs)


@dataclass
class PollStats:
    polls: int = 0
    requests: int = 0
    feed_errors: int = 0
    new: int = 0
    replayed: int = 0
    duplicates: int = 0
    processed: list[dict] = field(default_factory=list)  # the disclosures rows as stored


def poll_feeds(feeds: list[tuple[dict, object]], ctx: dict, cursors: dict[str, str], seen: set[str],
               stop: threading.Event | None = None) -> tuple[list[dict], list]:
    """Ask each (company, feed) once through the polite fetcher. Returns the disclosures (JSON
    dicts) whose source_id is not in `seen`, and each feed's FeedResult (error, requests)."""
    from extractors.feeds import feed_urls, poll
    from extractors.feeds.http import feed_fetcher

    found, results = [], []
    for company, feed in feeds:
        if stop is not None and stop.is_set():
            break
        fetcher = feed_fetcher(feed_urls(feed.feed_id), Path(ctx["raw_dir"]) / ".tmp", [], ctx.get("per_host_delay", 0.0))
        try:
            result = poll(feed, company, fetcher, cursors.get(feed.feed_id))
        finally:
            fetcher.close()
        results.append(result)
        found += [d.to_json() for d in result.disclosures if d.source_id not in seen and d.source_id not in
                  {f["source_id"] for f in found}]
    return found, results


def feeds_of(sources_file: str) -> list[tuple[dict, object]]:
    """(company, Feed) for every feed of the sources file."""
    from extractors.sources import parse_feeds, read_sources

    return [({"case_no": s["case_no"], "name": s["name"]}, feed)
            for s in read_sources(sources_file) for feed in parse_feeds(";".join(s["feeds"]))]


def disclosure_line(row: dict) -> str:
    """One line per processed disclosure: who, what, outcome, latency published → alerted."""
    outcome = (f"facts {row.get('facts') or 0}, alerts {row.get('alerts') or 0}" if row["status"] == "done"
               else f"{row['status']}: {row.get('error')}")
    latency = row.get("latency_s")
    return (f"case {row['case_no']} {row.get('company') or ''} · {row['source_id']} · {row.get('title') or row['url']} · "
            f"{outcome} · latency {'?' if latency is None else f'{latency:.1f}s'}")


def warm_up() -> None:
    """Import what the first disclosure's stages need (Great Expectations, Airflow's notifier:
    tens of seconds on a busy machine) before polling, so that latency is not the import's."""
    import great_expectations  # noqa: F401

    import carbonwatch.alerting.notifiers  # noqa: F401
    import extractors.document  # noqa: F401


class Watcher:
    def __init__(self, conf: dict, interval: float = 60.0, echo=print, stop: threading.Event | None = None,
                 retry_after: float | None = None):
        from common import settings

        self.ctx = settings.resolve(conf)
        self.interval = interval
        self.echo = echo
        self.stop = stop or threading.Event()
        self.feeds = feeds_of(self.ctx["sources"])
        self.seen: set[str] = set()
        self.cursors: dict[str, str] = {}
        self.unflushed_polls: dict[str, dict] = {}
        self.backlog = False  # pending disclosures in the log (e.g. left by a stopped watcher)
        self.retry_after = settings.retry_after() if retry_after is None else retry_after  # a failed disclosure's next try
        self.next_retry: datetime | None = None
        self.totals = PollStats()

    # ------------------------------------------------------------------ warehouse
    def open(self) -> None:
        """Bootstrap a new warehouse (like `run`), then read the log: what was seen, the cursors."""
        from common import settings
        from warehouse.db import connect
        from warehouse.disclosures import cursors, known_source_ids, next_retry, pending
        from warehouse.runs import is_bootstrapped

        con = connect(self.ctx["warehouse"])
        try:
            if not is_bootstrapped(con):
                self.echo(f"new warehouse {self.ctx['warehouse']}: loading the report's cases first")
                tasks.bootstrap_warehouse(con, self.ctx["report"], gx_root=settings.gx_root(self.ctx),
                                          run_name="bootstrap-watch")
            self.seen = known_source_ids(con)
            self.cursors = cursors(con)
            self.backlog = bool(pending(con, limit=1, retry_after=self.retry_after, owner="watch"))
            self.next_retry = next_retry(con, self.retry_after)
        finally:
            con.close()
        warm_up()

    def _claim(self, found: list[dict]) -> list[dict]:
        from warehouse.db import connect
        from warehouse.disclosures import claim, cursors, pending, record_polls
        from warehouse.db import utcnow

        con = connect(self.ctx["warehouse"])
        try:
            record_polls(con, list(self.unflushed_polls.values()), utcnow())
            self.unflushed_polls.clear()
            counts = claim(con, found, utcnow()) if found else {"new": 0, "replayed": 0, "duplicates": 0}
            todo = pending(con, retry_after=self.retry_after, owner="watch")
            self.cursors = cursors(con)
        finally:
            con.close()
        for k in ("new", "replayed", "duplicates"):
            setattr(self.totals, k, getattr(self.totals, k) + counts[k])
        self.seen |= {d["source_id"] for d in found}
        return todo

    # ------------------------------------------------------------------ one poll
    def poll(self) -> list[dict]:
        """Ask every feed once; returns the disclosures not seen before. Feed errors are recorded."""
        found, results = poll_feeds(self.feeds, self.ctx, self.cursors, self.seen, self.stop)
        for (company, feed), result in zip(self.feeds, results):
            self.totals.polls += 1
            self.totals.requests += result.requests
            stats = self.unflushed_polls.setdefault(feed.feed_id, {"feed": feed.feed_id, "case_no": company["case_no"],
                                                                    "polls": 0, "errors": 0, "error": None})
            stats["polls"] += 1
            if result.error:
                self.totals.feed_errors += 1
                stats["errors"] += 1
                stats["error"] = result.error
                self.echo(f"feed {feed.feed_id} (case {company['case_no']}): {result.error}")
        return found

    def run_once(self) -> list[dict]:
        """One poll, then every new (or left-over) disclosure through the stages. Returns their rows."""
        found = self.poll()
        from warehouse.db import utcnow

        errors = any(s["errors"] for s in self.unflushed_polls.values())
        retry_due = self.next_retry is not None and self.next_retry <= utcnow()
        if not (found or errors or self.backlog or retry_due):
            return []  # idle: the warehouse is not opened
        from common import settings
        from warehouse.guard import WarehouseBusy, writer_lock

        # One writer at a time (warehouse/guard.py): a nightly `run` holds the lock for its whole
        # run; the watcher holds it per poll's work, so the two take turns. Busy: nothing was
        # claimed and the cursors did not move, so the next poll finds the same disclosures.
        try:
            with writer_lock(self.ctx["warehouse"], "carbonwatch watch", wait=settings.lock_wait()):
                todo = self._claim(found)
                done: list[dict] = []
                while todo and not self.stop.is_set():
                    batch, todo = todo[:BATCH], todo[BATCH:]
                    done += self.process(batch)
                self.backlog = bool(todo)
                self._note_retries()
        except WarehouseBusy as exc:
            self.echo(f"{exc}; trying again at the next poll")
            self.backlog = True
            return []
        return done

    def _note_retries(self) -> None:
        from warehouse.db import connect
        from warehouse.disclosures import next_retry

        con = connect(self.ctx["warehouse"], read_only=True)
        try:
            self.next_retry = next_retry(con, self.retry_after)
        finally:
            con.close()

    def process(self, batch: list[dict]) -> list[dict]:
        """The nightly's task bodies on these disclosures, one run; stops between documents."""
        from carbonwatch.orchestration.inprocess import stream_run

        run_id = f"watch__{datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%S.%f}"
        rows = stream_run(self.ctx, run_id, batch, self.stop, self.retry_after)
        for row in rows:
            self.echo(disclosure_line(row))
        self.totals.processed += rows
        return rows

    def run(self, once: bool = False) -> PollStats:
        """Poll until stopped (or once); SIGINT / SIGTERM stop it between documents."""
        previous = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                previous[sig] = signal.signal(sig, lambda *_: self.stop.set())
        try:
            self.open()
            while not self.stop.is_set():
                started = time.monotonic()
                self.run_once()
                if once:
                    break
                self.stop.wait(max(0.0, self.interval - (time.monotonic() - started)))
            if self.unflushed_polls:
                self._claim([])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return self.totals
