"""An analyst's open read connection neither blocks nor breaks the nightly load, and never sees a
half-loaded state: analysts read the snapshot that is published atomically after each run.
Tested with a reader PROCESS holding a connection open (and opening new ones) during a load."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb

from warehouse.db import connect
from warehouse_fixtures import EDITION2, run, sample_warehouse
from warehouse.snapshot import connect_reader, publish_snapshot, reader_path, snapshot_path

REPO = Path(__file__).resolve().parent.parent
STATE_SQL = ("SELECT (SELECT count(*) FROM facts), (SELECT count(*) FROM documents), (SELECT count(*) FROM alerts), "
             "(SELECT count(*) FROM target_history), (SELECT count(*) FROM runs WHERE status <> 'success')")

READER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    import duckdb

    snap, stop, sql, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]
    # held: the analyst's session, one connection open all along; fresh: a new connection per
    # query (DuckDB shares one database instance per path and process, hence two processes)
    held = duckdb.connect(snap, read_only=True) if mode == "held" else None
    seen, errors = [], []
    print("ready", flush=True)
    while not stop.exists():
        try:
            con = held or duckdb.connect(snap, read_only=True)
            try:
                s = list(con.execute(sql).fetchone())
            finally:
                if con is not held:
                    con.close()
            if s not in seen:
                seen.append(s)
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.01)
    if held:
        held.close()
    print(json.dumps({"seen": seen, "errors": errors}), flush=True)
""")



def state(path) -> list:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return list(con.execute(STATE_SQL).fetchone())
    finally:
        con.close()


def test_a_reader_process_during_a_load_sees_whole_states_and_blocks_nothing(tmp_path):
    wh = sample_warehouse(tmp_path / "wh.duckdb", editions=1)
    snap = publish_snapshot(wh)
    before = state(snap)
    stop = tmp_path / "stop"
    readers = {mode: subprocess.Popen([sys.executable, "-c", READER, str(snap), str(stop), STATE_SQL, mode], cwd=REPO,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for mode in ("held", "fresh")}
    try:
        for reader in readers.values():
            assert reader.stdout.readline().strip() == "ready"
        # a slow nightly load (every step pauses) while the reader hammers the snapshot
        t0 = time.monotonic()
        con = connect(wh)  # the writer opens the live file read-write: not blocked by the reader
        try:
            counts = run(con, "run-2", EDITION2, on_step=lambda step: time.sleep(0.3))
            con.execute("CHECKPOINT")
        finally:
            con.close()
        assert all(r.poll() is None for r in readers.values()), "the readers must still run during the load"
        mid = state(snap)
        assert mid == before, "the snapshot must not change before the run is published"
        publish_snapshot(wh)
        after = state(snap)
        assert time.monotonic() - t0 < 60
        assert counts["alerts"] == 5 and after != before and after[-1] == 0
        time.sleep(0.5)  # let the reader open the new snapshot a few times
    finally:
        stop.touch()
        seen = {}
        for mode, reader in readers.items():
            out, err = reader.communicate(timeout=60)
            assert reader.returncode == 0, err
            seen[mode] = json.loads(out.strip().splitlines()[-1])
    assert seen["held"]["errors"] == [] and seen["fresh"]["errors"] == []
    # the open connection kept reading the old snapshot, whole, all along
    assert seen["held"]["seen"] == [before]
    # new connections saw the old state, then the new one — never anything in between
    assert seen["fresh"]["seen"] == [before, after]


def test_analyst_connections_open_the_snapshot_never_the_live_file(tmp_path):
    wh = sample_warehouse(tmp_path / "wh.duckdb", editions=1)
    assert reader_path(wh) == wh  # no snapshot yet: the file itself (read-only)
    publish_snapshot(wh)
    assert reader_path(wh) == snapshot_path(wh) == tmp_path / "wh.snapshot.duckdb"
    analyst = connect_reader(wh)
    try:
        writer = connect(wh)  # same process, same moment: works because they are different files
        try:
            run(writer, "run-2", EDITION2)
        finally:
            writer.close()
        assert analyst.execute("SELECT count(*) FROM alerts").fetchone() == (0,)
    finally:
        analyst.close()
    publish_snapshot(wh)
    analyst = connect_reader(wh)
    try:
        assert analyst.execute("SELECT count(*) FROM alerts").fetchone() == (5,)
    finally:
        analyst.close()


def test_publishing_leaves_no_temporary_files_and_is_readable(tmp_path):
    wh = sample_warehouse(tmp_path / "wh.duckdb", editions=2)
    for _ in range(3):
        publish_snapshot(wh)
    names = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("wh"))
    assert names == ["wh.duckdb", "wh.snapshot.duckdb"]
    mode = lambda p: p.stat().st_mode & 0o777  # noqa: E731
    assert mode(snapshot_path(wh)) == mode(wh)  # readable exactly as the warehouse is
    wh.chmod(0o600)  # issue 13: a private warehouse's snapshot was published 0644
    publish_snapshot(wh)
    assert mode(snapshot_path(wh)) == 0o600
