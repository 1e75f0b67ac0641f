"""The Airflow trigger of carbonwatch_disclosures without an Airflow server: the real
DisclosureFeedTrigger polls a loopback cninfo-shaped feed; its events are run through the
DAG's task bodies (orchestration/streaming.py) into a real DuckDB warehouse.

- several disclosures found by one poll become ONE event (payload: JSON), and one run processes
  all of them;
- flow control: while no run has handled the outstanding event, no second event is emitted
  (apache/airflow#56050 would leave it waiting); what arrives meanwhile is the next event;
- an event no run finishes is emitted again after `redeliver_after`; a claim left by a
  stopped run is taken over by the next run;
- a feed error rides in an event once (per change of error) and the run records it.
"""
from __future__ import annotations

import asyncio
import csv
import json
import shutil
from datetime import datetime, timezone

import pytest

from carbonwatch.demo.feeds import FeedServer
from carbonwatch.demo.mirror import build_mirror
from carbonwatch.orchestration import streaming
from carbonwatch.orchestration.trigger import RUN_ID_PREFIX, DisclosureFeedTrigger
from extractors.cases import case_record
from extractors.fetch import reset_shared_state
from warehouse.db import connect
from warehouse.runs import bootstrap
from warehouse.snapshot import publish_snapshot
from warehouse_fixtures import query

CASES = (64, 71)


@pytest.fixture(scope="module")
def template(tmp_path_factory, report_cases, report_pdf):
    tmp = tmp_path_factory.mktemp("trigger")
    roots = build_mirror([report_cases[n - 1] for n in CASES], tmp / "mirror")
    con = connect(tmp / "wh.duckdb")
    bootstrap(con, report_pdf, [case_record(c) for c in report_cases], run_id="bootstrap-test")
    con.close()
    publish_snapshot(tmp / "wh.duckdb")  # the trigger reads only the snapshot
    pdfs = {(n, y): roots[2] / "companies" / f"{n:03d}" / "reports" / f"esg-{y}.pdf" for n in CASES for y in (2023, 2024)}
    return tmp, pdfs, {c.case_no: c.name for c in report_cases}


@pytest.fixture()
def env(template, tmp_path, monkeypatch, report_pdf):
    reset_shared_state()
    tmp, pdfs, names = template
    for f in ("wh.duckdb", "wh.snapshot.duckdb"):
        shutil.copy(tmp / f, tmp_path / f)
    with FeedServer() as feeds:
        for key, value in feeds.env().items():
            monkeypatch.setenv(key, value)
        sources = tmp_path / "sources.csv"
        with sources.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([["case_no", "name", "landing_url", "feeds"]] +
                                     [[n, names[n], "", f"cninfo:999{n:03d}"] for n in CASES])
        conf = {"sources": str(sources), "warehouse": str(tmp_path / "wh.duckdb"), "report": str(report_pdf),
                "raw_dir": str(tmp_path / "raw"), "outbox": str(tmp_path / "alerts"), "var": str(tmp_path)}

        def publish(case_no, year):
            item = feeds.publish(case_no=case_no, company=names[case_no], code=f"999{case_no:03d}",
                                 title=f"{year}年度可持续发展报告", pdf=pdfs[(case_no, year)])
            return f"cninfo:{item.announcement_id}"

        yield conf, publish, feeds


class Events:
    """The trigger's run() in the background; its events on a queue."""

    def __init__(self, trigger: DisclosureFeedTrigger):
        self.queue: asyncio.Queue = asyncio.Queue()
        self.task = asyncio.create_task(self._pump(trigger))

    async def _pump(self, trigger):
        async for event in trigger.run():
            await self.queue.put(event.payload)

    async def next(self, timeout: float):
        return await asyncio.wait_for(self.queue.get(), timeout)

    async def none_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self.queue.get(), seconds)
        except asyncio.TimeoutError:
            return True
        return False

    def close(self):
        self.task.cancel()


def run_of(conf: dict, payloads: list[dict]) -> tuple[str, list[dict]]:
    """One run of carbonwatch_disclosures: its three task bodies in this process."""
    run_id = f"{RUN_ID_PREFIX}{datetime.now(timezone.utc).isoformat()}"
    rows = streaming.load_alert(streaming.fetch_extract_validate(streaming.prepare(conf, run_id, payloads)))
    return run_id, rows


def trigger_of(conf: dict, **kw) -> DisclosureFeedTrigger:
    return DisclosureFeedTrigger(sources=conf["sources"], warehouse=conf["warehouse"], interval=0.2,
                                 raw_dir=conf["raw_dir"], **kw)


def test_one_event_per_batch_one_run_for_all_and_the_next_waits_for_it(env):
    conf, publish, _ = env
    first = {publish(64, 2023), publish(71, 2023)}

    async def scenario():
        events = Events(trigger_of(conf))
        try:
            event = await events.next(60)
            json.dumps(event)  # the payload is plain JSON
            assert event["kind"] == "disclosures" and event["feed_errors"] == []
            assert {d["source_id"] for d in event["disclosures"]} == first  # both in ONE event
            later = publish(64, 2024)
            # no run has handled the first event yet: nothing more is emitted, however long
            assert await events.none_within(3)
            run_id, rows = await asyncio.to_thread(run_of, conf, [event])
            second = await events.next(60)  # the run published its outcome: the next batch goes
            return run_id, rows, later, second
        finally:
            events.close()

    run_id, rows, later, second = asyncio.run(scenario())
    assert {(r["source_id"], r["status"]) for r in rows} == {(s, "done") for s in first}
    assert query(conf["warehouse"], "SELECT DISTINCT run_id FROM disclosures WHERE source_id IN (SELECT unnest(?))",
                 [sorted(first)]) == [(run_id,)]  # one run processed both
    assert [d["source_id"] for d in second["disclosures"]] == [later]


def test_an_unreported_event_is_emitted_again_and_a_stopped_runs_claim_is_taken_over(env):
    conf, publish, _ = env
    source_id = publish(64, 2023)

    async def two_events():
        events = Events(trigger_of(conf, redeliver_after=2))
        try:
            return await events.next(60), await events.next(60)
        finally:
            events.close()

    first, again = asyncio.run(two_events())  # no run reported on the first within 2 s
    assert [d["source_id"] for d in first["disclosures"]] == [d["source_id"] for d in again["disclosures"]] == [source_id]
    # a run that claimed it and was stopped before processing it (a restart) ...
    stopped = streaming.prepare(conf, f"{RUN_ID_PREFIX}stopped", [first])
    assert [i["disclosure"]["source_id"] for i in stopped["items"]] == [source_id]
    # ... leaves it claimed; the next run (max_active_runs=1: the other one ended) takes it over
    _, rows = run_of(conf, [again])
    assert [(r["source_id"], r["status"], r["attempts"]) for r in rows] == [(source_id, "done", 1)]


def test_a_feed_error_rides_in_an_event_once_and_the_run_records_it(env):
    conf, _, feeds = env
    feeds.fault["/new/hisAnnouncement/query"] = "500"

    async def scenario():
        events = Events(trigger_of(conf))
        try:
            event = await events.next(120)
            await asyncio.to_thread(run_of, conf, [event])
            return event, await events.none_within(3)  # the same error is not reported again
        finally:
            events.close()

    event, quiet = asyncio.run(scenario())
    assert event["disclosures"] == [] and {e["feed"] for e in event["feed_errors"]} == {"cninfo:999064", "cninfo:999071"}
    assert quiet
    errors = query(conf["warehouse"], "SELECT feed, errors, last_error FROM feed_cursors ORDER BY feed")
    assert [(f, n) for f, n, _ in errors] == [("cninfo:999064", 1), ("cninfo:999071", 1)]
    assert all("500" in e for _, _, e in errors)


def test_a_failed_disclosure_is_emitted_again_when_its_retry_is_due(env, template, monkeypatch):
    """A disclosure whose PDF is 404 fails its run; once its retry is due (backoff, the setting
    CARBONWATCH_RETRY_AFTER) the trigger emits it again, though the feed has nothing new, and
    the next run loads it: under Airflow a failed disclosure no longer waits for a restart."""
    conf, _, feeds = env
    _, pdfs, names = template
    item = feeds.publish(case_no=64, company=names[64], code="999064", title="2023年度可持续发展报告",
                         pdf=pdfs[(64, 2023)])
    feeds.missing.add("/static/" + item.path)
    source_id = f"cninfo:{item.announcement_id}"
    monkeypatch.setenv("CARBONWATCH_RETRY_AFTER", "1")

    async def scenario():
        events = Events(trigger_of(conf))
        try:
            first = await events.next(60)
            _, failed = await asyncio.to_thread(run_of, conf, [first])
            feeds.missing.clear()  # the site heals
            again = await events.next(60)
            _, done = await asyncio.to_thread(run_of, conf, [again])
            return first, failed, again, done
        finally:
            events.close()

    first, failed, again, done = asyncio.run(scenario())
    assert [d["source_id"] for d in first["disclosures"]] == [source_id]
    assert [(r["source_id"], r["status"]) for r in failed] == [(source_id, "failed")] and "404" in failed[0]["error"]
    assert [d["source_id"] for d in again["disclosures"]] == [source_id]
    assert [(r["source_id"], r["status"], r["attempts"]) for r in done] == [(source_id, "done", 2)]
