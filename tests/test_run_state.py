"""What the `runs` table says when a run does not end well (issue 13)."""
from __future__ import annotations

import pytest

from warehouse.db import connect
from warehouse.snapshot import snapshot_path
from warehouse_fixtures import sample_warehouse


def test_a_failed_snapshot_publish_leaves_the_run_failed(tmp_path, monkeypatch):
    from carbonwatch.orchestration import tasks

    for name in ("CARBONWATCH_ALERT_WEBHOOK", "CARBONWATCH_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    wh = sample_warehouse(tmp_path / "wh.duckdb")
    con = connect(wh)
    con.execute("INSERT INTO runs (run_id, started_at, status) VALUES ('night-3', now(), 'running')")
    con.close()
    snapshot_path(wh).mkdir()  # something else sits where the snapshot goes: os.replace fails
    ctx = {"warehouse": str(wh), "outbox": str(tmp_path / "outbox"), "run_id": "night-3"}
    with pytest.raises(OSError):
        tasks.alert(ctx, {"alerts": 5})
    con = connect(wh, read_only=True)
    try:
        status, error = con.execute("SELECT status, error FROM runs WHERE run_id = 'night-3'").fetchone()
    finally:
        con.close()
    assert status == "failed"  # was: success, with no snapshot published
    assert error.startswith("snapshot not published: IsADirectoryError")


def test_end_run_keeps_a_closed_run_and_marks_a_running_one(tmp_path):
    from warehouse.guard import end_run

    wh = sample_warehouse(tmp_path / "wh.duckdb", editions=1)
    con = connect(wh)
    try:
        con.execute("INSERT INTO runs (run_id, started_at, status) VALUES ('r', now(), 'running')")
        assert end_run(con, "r", "stopped", "stopped by SIGTERM")
        assert not end_run(con, "sample-run-1", "stopped", "stopped by SIGTERM")  # closed: left alone
        got = dict(con.execute("SELECT run_id, status FROM runs WHERE run_id IN ('r', 'sample-run-1')").fetchall())
    finally:
        con.close()
    assert got == {"r": "stopped", "sample-run-1": "success"}


def test_a_second_writer_waits_a_bounded_time_then_gets_warehouse_busy(tmp_path):
    import threading
    import time

    from warehouse.guard import WarehouseBusy, holder, writer_lock

    wh = tmp_path / "wh.duckdb"
    with writer_lock(wh, "run manual__first") as held:
        t0 = time.monotonic()
        with pytest.raises(WarehouseBusy) as busy:
            with writer_lock(wh, "run manual__second", wait=1.0):
                pass
        assert 1.0 <= time.monotonic() - t0 < 3
        assert str(busy.value).startswith(f"warehouse busy (run manual__first since {held.since}, pid ")
        assert holder(wh)["owner"] == "run manual__first"
    # released: the next writer gets it at once; one that waits gets it when the first lets go
    done = threading.Event()

    def first():
        with writer_lock(wh, "run manual__a"):
            done.wait(5)

    th = threading.Thread(target=first)
    th.start()
    time.sleep(0.2)
    threading.Timer(0.5, done.set).start()
    with writer_lock(wh, "run manual__b", wait=5) as second:
        assert holder(wh)["owner"] == second.owner == "run manual__b"
    th.join()


def test_a_stop_request_survives_airflow_replacing_the_sigterm_handler():
    """Airflow's task runner installs its own SIGTERM handler for every task it runs in-process
    (it only calls the task's on_kill) and never restores ours: issue 13's ignored SIGTERM."""
    import os
    import signal
    import time

    from common import interrupt

    interrupt.reset()
    previous = interrupt.install()
    try:
        signal.signal(signal.SIGTERM, lambda signum, frame: None)  # what task_runner.run does
        os.kill(os.getpid(), signal.SIGTERM)
        deadline = time.monotonic() + 5
        while not interrupt.requested() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert interrupt.requested() and interrupt.reason() == "stopped by SIGTERM"
        with pytest.raises(interrupt.RunStopped, match="stopped by SIGTERM: load not started"):
            interrupt.check("load")
    finally:
        interrupt.restore(previous)
        interrupt.reset()
