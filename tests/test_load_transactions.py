"""Loads are transactional: a load process KILLED mid-transaction (SIGKILL, no cleanup) leaves
the previous state, and the next run loads everything. Exceptions roll back too."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from warehouse.db import connect
from warehouse_fixtures import EDITION2, EDITION2_ALERTS, run, sample_warehouse

REPO = Path(__file__).resolve().parent.parent
HISTORY_TABLES = ("companies", "target_history", "alerts")
TABLES = ("companies", "documents", "facts", "quarantined_facts", "validation_results", "fetch_log",
          "target_history", "alerts", "alert_deliveries")


def state(path: Path) -> dict:
    """Every table's content (sorted rows), except runs (start_run commits before the load)."""
    con = connect(path, read_only=True)
    try:
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLES}
    finally:
        con.close()


KILLER = textwrap.dedent("""
    import os, signal, sys
    from datetime import datetime
    sys.path.insert(0, os.path.join(os.getcwd(), "tests"))
    from warehouse.db import connect
    from warehouse_fixtures import EDITION2, run

    step_to_die_at = sys.argv[2]

    def hook(step):
        if step == step_to_die_at:
            print("killing myself at", step, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    con = connect(sys.argv[1])
    run(con, "killed-run", EDITION2, now=datetime(2026, 3, 6, 2, 0), on_step=hook)
    print("not killed", flush=True)
""")


@pytest.mark.parametrize("step", ["documents", "facts", "history"])
def test_a_killed_load_leaves_the_previous_state(tmp_path, step):
    from warehouse.snapshot import publish_snapshot

    wh = sample_warehouse(tmp_path / "wh.duckdb", editions=1)
    snap = publish_snapshot(wh)
    before = state(wh)
    proc = subprocess.run([sys.executable, "-c", KILLER, str(wh), step], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == -9, proc.stdout + proc.stderr
    assert f"killing myself at {step}" in proc.stdout
    assert state(snap) == before  # analysts' snapshot untouched
    # reopen (DuckDB replays its write-ahead log: only committed transactions survive)
    after = state(wh)
    if step == "history":
        # load (one transaction, the `load` task) committed; the diff (`detect_changes`) did not
        assert len(after["documents"]) == len(before["documents"]) + len(EDITION2)
        after = {t: v for t, v in after.items() if t in HISTORY_TABLES}
        before = {t: v for t, v in before.items() if t in HISTORY_TABLES}
    assert after == before
    con = connect(wh)
    try:
        assert con.execute("SELECT status FROM runs WHERE run_id = 'killed-run'").fetchall() in ([("running",)], [])
        # the next run loads the edition completely, as if the killed one had never happened
        counts = run(con, "next-run", EDITION2)
        assert counts["documents_new"] == (0 if step == "history" else len(EDITION2))
        got = set(con.execute("SELECT case_no, metric, change, old_value, new_value FROM alerts").fetchall())
        assert got == EDITION2_ALERTS
    finally:
        con.close()


def test_an_exception_mid_load_rolls_back(tmp_path):
    wh = sample_warehouse(tmp_path / "wh.duckdb", editions=1)
    before = state(wh)

    def boom(step):
        if step == "history":
            raise RuntimeError("disk on fire")

    con = connect(wh)
    try:
        with pytest.raises(RuntimeError, match="disk on fire"):
            run(con, "failing-run", EDITION2, on_step=boom)
    finally:
        con.close()
    after = state(wh)
    # load_batch committed (its own transaction); update_history rolled back entirely
    assert after["target_history"] == before["target_history"]
    assert after["alerts"] == before["alerts"] == []
    assert after["companies"] == before["companies"]


def test_a_rerun_of_the_same_batch_adds_nothing(tmp_path):
    wh = sample_warehouse(tmp_path / "wh.duckdb", editions=2)
    before = state(wh)
    con = connect(wh)
    try:
        for i in range(2):
            counts = run(con, f"again-{i}", EDITION2)
            assert (counts["documents_new"], counts["facts_added"], counts["history_rows"], counts["alerts"]) == \
                (0, 0, 0, 0)
    finally:
        con.close()
    after = state(wh)
    per_run = ("documents", "validation_results")  # last_run_id moves; each run records its validations
    assert {t: v for t, v in after.items() if t not in per_run} == {t: v for t, v in before.items() if t not in per_run}
    assert len(after["documents"]) == len(before["documents"])  # only last_run_id moved
