"""The embedded watcher end to end: loopback feeds (cninfo-shaped JSON, RSS) announce edition-2
reports of the mirror; the watcher runs them through the nightly's task bodies into a real
DuckDB file (bootstrapped from the real report) and alerts. Exactly once across replays,
duplicates and restarts; bad feeds and dead PDFs are recorded and never stop it."""
from __future__ import annotations

import csv
import shutil
import threading

import duckdb
import pytest

from carbonwatch.demo.feeds import FeedServer, wait_until
from carbonwatch.demo.mirror import EDITION2_EDITS, build_mirror
from carbonwatch.orchestration.watch import Watcher
from extractors.cases import case_record
from extractors.fetch import reset_shared_state
from warehouse_fixtures import query
from warehouse.db import connect
from warehouse.runs import bootstrap

EDITED = [e.case_no for e in EDITION2_EDITS]  # 64, 71, 67, 30


@pytest.fixture(scope="module")
def template(tmp_path_factory, report_cases, report_pdf):
    """A bootstrapped warehouse (the report's 100 cases) and the mirror's edition-2 PDFs."""
    tmp = tmp_path_factory.mktemp("watch")
    roots = build_mirror([report_cases[n - 1] for n in EDITED], tmp / "mirror")
    con = connect(tmp / "wh.duckdb")  # what `watch` does on a new file, without segmenting the report again
    bootstrap(con, report_pdf, [case_record(c) for c in report_cases], run_id="bootstrap-test")
    con.close()
    pdfs = {(n, year): roots[2] / "companies" / f"{n:03d}" / "reports" / f"esg-{year}.pdf"
            for n in EDITED for year in (2023, 2024)}
    return tmp / "wh.duckdb", pdfs, {c.case_no: c.name for c in report_cases}


def _sources(path, rows) -> str:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["case_no", "name", "landing_url", "feeds"]] + rows)
    return str(path)


@pytest.fixture()
def env(template, tmp_path, monkeypatch, report_pdf):
    reset_shared_state()
    warehouse, pdfs, names = template
    shutil.copy(warehouse, tmp_path / "wh.duckdb")
    with FeedServer() as feeds:
        for key, value in feeds.env().items():
            monkeypatch.setenv(key, value)
        rows = [[64, names[64], "", "cninfo:999064"], [71, names[71], "", f"rss:{feeds.base_url}/rss/999071.xml"]]
        conf = {"sources": _sources(tmp_path / "sources.csv", rows), "warehouse": str(tmp_path / "wh.duckdb"),
                "report": str(report_pdf), "raw_dir": str(tmp_path / "raw"), "outbox": str(tmp_path / "alerts")}
        yield feeds, conf, pdfs, names


def _publish(feeds, names, pdfs, case_no, year=2024, **kw):
    """The mirror's report of `year` for the company (2023: its own first report, the baseline;
    2024: the demo edition's changed targets)."""
    code = {64: "999064", 71: "999071"}.get(case_no, f"999{case_no:03d}")
    return feeds.publish(case_no=case_no, company=names[case_no], code=code, title=f"{year}年度可持续发展报告",
                         pdf=pdfs[(case_no, year)], **kw)


def _q(conf, sql, params=()):
    return query(conf["warehouse"], sql, params)


def test_new_disclosures_become_facts_history_and_alerts(env):
    feeds, conf, pdfs, names = env
    _publish(feeds, names, pdfs, 64, year=2023)
    _publish(feeds, names, pdfs, 71, year=2023)
    lines = []
    first = Watcher(conf, echo=lines.append).run(once=True)
    assert [r["status"] for r in first.processed] == ["done", "done"], lines
    assert sum(r["alerts"] for r in first.processed) == 0  # a company's first own report is its baseline
    _publish(feeds, names, pdfs, 64)
    _publish(feeds, names, pdfs, 71)
    watcher = Watcher(conf, echo=lines.append)
    totals = watcher.run(once=True)
    assert [r["status"] for r in totals.processed] == ["done", "done"], lines
    assert [r["alerts"] for r in totals.processed] == [1, 1]
    assert {r["case_no"] for r in totals.processed} == {64, 71}
    assert all(r["latency_s"] is not None and 0 <= r["latency_s"] < 120 for r in totals.processed)
    assert sum(1 for line in lines if "latency" in line) == 4
    changes = set(_q(conf, "SELECT case_no, metric, old_value, new_value FROM alerts WHERE run_id LIKE 'watch__%'"))
    assert (64, "carbon_neutral", "2060", "2050") in changes and (71, "net_zero", "2030", "2028") in changes
    delivered = (conf["outbox"] + "/alerts.jsonl")
    assert sum(1 for _ in open(delivered, encoding="utf-8")) >= 2
    # the snapshot analysts read already has the new facts
    snap = conf["warehouse"].replace(".duckdb", ".snapshot.duckdb")
    con = duckdb.connect(snap, read_only=True)
    assert con.execute("SELECT count(*) FROM disclosures WHERE status = 'done'").fetchone()[0] == 4
    con.close()
    # cursors sit at the newest processed announcement of each feed
    assert {f for f, in _q(conf, "SELECT feed FROM feed_cursors WHERE cursor_published_at IS NOT NULL")} == {
        "cninfo:999064", f"rss:{feeds.base_url}/rss/999071.xml"}
    # polled again: nothing new, the warehouse is not even opened (no run is added)
    runs = _q(conf, "SELECT count(*) FROM runs")[0][0]
    assert Watcher(conf, echo=lines.append).run(once=True).processed == []
    assert _q(conf, "SELECT count(*) FROM runs")[0][0] == runs


def test_replays_duplicate_ids_and_same_bytes_are_one_document(env):
    feeds, conf, pdfs, names = env
    first = _publish(feeds, names, pdfs, 64, year=2023)
    _publish(feeds, names, pdfs, 64, year=2023, announcement_id=first.announcement_id)  # duplicate id in one answer
    totals = Watcher(conf, echo=lambda line: None).run(once=True)
    assert [r["source_id"] for r in totals.processed] == [f"cninfo:{first.announcement_id}"]
    # the same bytes announced again under a new id and URL: processed, but one document, no new facts
    again = _publish(feeds, names, pdfs, 64, year=2023, path="finalpage/other/copy.PDF")
    totals = Watcher(conf, echo=lambda line: None).run(once=True)  # a restart: it knows what it has seen
    assert [(r["source_id"], r["status"]) for r in totals.processed] == [(f"cninfo:{again.announcement_id}", "done")]
    assert totals.processed[0]["document_id"] == _q(conf, "SELECT document_id FROM disclosures WHERE source_id = ?",
                                                   [f"cninfo:{first.announcement_id}"])[0][0]
    assert _q(conf, "SELECT count(*) FROM documents WHERE case_no = 64")[0][0] == 1
    # the same announcement once more (a replayed old item): nothing to do
    assert Watcher(conf, echo=lambda line: None).run(once=True).processed == []
    assert _q(conf, "SELECT count(*), count(DISTINCT source_id) FROM disclosures") == [(2, 2)]


def test_bad_feeds_and_a_dead_pdf_are_recorded_and_the_watcher_goes_on(env):
    feeds, conf, pdfs, names = env
    lines = []
    watcher = Watcher(conf, echo=lines.append, retry_after=3600)  # no retry within this test's polls
    watcher.open()
    dead = _publish(feeds, names, pdfs, 71, year=2023)
    feeds.missing.add("/static/" + dead.path)
    for fault in ("500", "html", "garbage"):
        feeds.fault["/new/hisAnnouncement/query"] = fault
        watcher.run_once()
    rss = f"rss:{feeds.base_url}/rss/999071.xml"
    (errors, last_error), = _q(conf, "SELECT errors, last_error FROM feed_cursors WHERE feed = 'cninfo:999064'")
    assert errors == 3 and "not JSON" in last_error
    assert sum("HTTP 500" in line for line in lines) == 1 and sum("HTML" in line for line in lines) == 1
    status, error, attempts = _q(conf, "SELECT status, error, attempts FROM disclosures WHERE feed = ?", [rss])[0]
    assert status == "failed" and "404" in error and attempts >= 1
    assert _q(conf, "SELECT cursor_published_at FROM feed_cursors WHERE feed = ?", [rss]) in ([], [(None,)])
    # healed: the failed disclosure is retried, the cursor moves past it; the cninfo feed answers again
    feeds.missing.clear()
    feeds.fault.clear()
    watcher.retry_after = 0
    later = _publish(feeds, names, pdfs, 64, year=2023)
    done = watcher.run_once()
    assert {(r["source_id"], r["status"]) for r in done} == {(f"rss:{dead.announcement_id}", "done"),
                                                             (f"cninfo:{later.announcement_id}", "done")}
    assert _q(conf, "SELECT cursor_source_id FROM feed_cursors WHERE feed = ?", [rss]) == [(f"rss:{dead.announcement_id}",)]


def test_a_stopped_watcher_leaves_claimed_disclosures_pending_and_the_next_one_finishes_them(env):
    feeds, conf, pdfs, names = env
    _publish(feeds, names, pdfs, 64, year=2023)
    _publish(feeds, names, pdfs, 71, year=2023)
    crashed = Watcher(conf, echo=lambda line: None)
    crashed.open()
    crashed._claim(crashed.poll())  # seen and claimed, then the process dies before the stages
    assert _q(conf, "SELECT count(*) FROM disclosures WHERE status = 'pending'") == [(2,)]
    assert _q(conf, "SELECT count(*) FROM feed_cursors WHERE cursor_published_at IS NOT NULL") == [(0,)]
    stop = threading.Event()
    restarted = Watcher(conf, interval=0.5, echo=lambda line: None, stop=stop)
    runner = threading.Thread(target=restarted.run)
    runner.start()
    try:
        assert wait_until(lambda: len(restarted.totals.processed) == 2, timeout=300)
    finally:
        stop.set()
        runner.join(timeout=120)
    assert not runner.is_alive()
    assert _q(conf, "SELECT status, attempts FROM disclosures") == [("done", 1), ("done", 1)]
    assert _q(conf, "SELECT count(*) FROM documents WHERE case_no IN (64, 71)") == [(2,)]


def test_watch_command_prints_latency_and_stops_on_sigterm(env):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    feeds, conf, pdfs, names = env
    _publish(feeds, names, pdfs, 64, year=2023)
    cli = Path(sys.executable).with_name("carbonwatch")
    proc = subprocess.Popen([str(cli), "watch", "--sources", conf["sources"], "--warehouse", conf["warehouse"],
                             "--raw-dir", conf["raw_dir"], "--outbox", conf["outbox"], "--interval", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=os.environ.copy())
    out = []
    try:
        deadline = time.monotonic() + 300
        for line in proc.stdout:
            out.append(line)
            if "latency" in line or time.monotonic() > deadline:
                break
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = "".join(out) + rest
    assert proc.returncode == 0, text
    assert "cninfo:1200000001" in text and "latency" in text and "1 disclosures processed" in text


def test_a_watcher_takes_turns_with_a_run_holding_the_writer_lock(env):
    """While another writer (a nightly `run`) holds the warehouse's lock, the watcher claims
    nothing and says so; once the lock is free, the next poll processes the same disclosure."""
    from warehouse.guard import writer_lock

    feeds, conf, pdfs, names = env
    _publish(feeds, names, pdfs, 64, year=2023)
    lines = []
    watcher = Watcher(conf, echo=lines.append)
    watcher.open()
    with writer_lock(conf["warehouse"], "carbonwatch run manual__test"):
        assert watcher.run_once() == []
    assert any("warehouse busy (carbonwatch run manual__test" in line for line in lines), lines
    assert _q(conf, "SELECT count(*) FROM disclosures")[0][0] == 0  # nothing claimed, cursor unmoved
    done = watcher.run_once()
    assert [r["status"] for r in done] == ["done"], lines
