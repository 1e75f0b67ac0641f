"""Bad input, as a hostile new user gives it (issue 13): every case fails within seconds with a
one-line error and a non-zero exit, no traceback, and nothing written — no warehouse, no
bootstrap, no Airflow home."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
import time

import duckdb
import pytest

from crawl_server import make_pdf

HEADER = ["case_no", "name", "landing_url", "allowed_domains"]


def cli(*args, env_extra=None, tmp=None, timeout=60):
    env = os.environ | {"CARBONWATCH_VAR": str(tmp / "var"), "AIRFLOW_HOME": str(tmp / "airflow")} | (env_extra or {})
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "carbonwatch.cli", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=timeout)
    proc.elapsed = time.monotonic() - t0
    return proc


def one_line_error(proc, *words):
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, proc.stderr
    for w in words:
        assert w in lines[0], lines[0]
    assert proc.elapsed < 20
    return lines[0]


def write_csv(path, rows, header=HEADER, encoding="utf-8"):
    with path.open("w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh)
        if header:
            w.writerow(header)
        w.writerows(rows)
    return path


ROW = [1, "甲公司", "http://127.0.0.1:9/index.html", "127.0.0.1"]


@pytest.mark.parametrize("case", ["empty", "header-only", "missing-column", "latin-1", "too-many", "credentials"])
def test_bad_sources_file_fails_in_seconds_before_anything_is_written(tmp_path, case):
    src = tmp_path / "sources.csv"
    if case == "empty":
        src.write_bytes(b"")
        words = ["empty file"]
    elif case == "header-only":
        write_csv(src, [])
        words = ["no sources, only a header"]
    elif case == "missing-column":
        write_csv(src, [[1, "http://127.0.0.1:9/"]], header=["case_no", "landing_url"])
        words = ["missing required column(s) name"]
    elif case == "latin-1":
        write_csv(src, [[1, "Société Générale", "http://127.0.0.1:9/", "127.0.0.1"]], encoding="latin-1")
        words = ["not UTF-8 (byte 0xe9"]
    elif case == "too-many":
        write_csv(src, [[n, f"company {n}", f"http://127.0.0.1:9/{n}/", "127.0.0.1"] for n in range(1, 1026)])
        words = ["more than 1024 sources"]
    else:
        write_csv(src, [[1, "x", "http://reader:hunter2secret@127.0.0.1:9/index.html", "127.0.0.1"]])
        words = ["credentials", "***@127.0.0.1"]
    wh = tmp_path / "wh.duckdb"
    line = one_line_error(cli("run", "--sources", src, "--warehouse", wh, tmp=tmp_path), *words)
    assert "hunter2secret" not in line
    assert not wh.exists() and not (tmp_path / "airflow").exists()


def _objects(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return sorted(r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal"
        ).fetchall())
    finally:
        con.close()


@pytest.mark.parametrize("table", ["sales", "companies"])  # someone else's data; a colliding name
def test_run_refuses_someone_elses_duckdb_file(tmp_path, table):
    src = write_csv(tmp_path / "sources.csv", [ROW])
    wh = tmp_path / "theirs.duckdb"
    con = duckdb.connect(str(wh))
    con.execute(f"CREATE TABLE {table} (id INTEGER, amount DOUBLE)")
    con.execute(f"INSERT INTO {table} VALUES (1, 9.5)")
    con.close()
    before = _objects(wh)
    one_line_error(cli("run", "--sources", src, "--warehouse", wh, tmp=tmp_path),
                   "not a carbonwatch warehouse", table)
    assert _objects(wh) == before == [table]  # nothing created, nothing left behind
    # and the library refuses it too (the DAG's prepare task opens it this way)
    from warehouse.db import NotAWarehouse, connect

    with pytest.raises(NotAWarehouse):
        connect(wh)
    assert _objects(wh) == [table]
    assert not (tmp_path / "airflow").exists()


def test_run_refuses_a_file_that_is_not_duckdb(tmp_path):
    src = write_csv(tmp_path / "sources.csv", [ROW])
    wh = tmp_path / "notes.duckdb"
    wh.write_text("meeting notes, not a database\n")
    one_line_error(cli("run", "--sources", src, "--warehouse", wh, tmp=tmp_path), "is not a DuckDB file")
    assert wh.read_text() == "meeting notes, not a database\n"


def test_a_warehouse_has_a_schema_marker_and_an_older_one_is_migrated(tmp_path):
    from warehouse.db import MARKER, SCHEMA_VERSION, check_warehouse, connect, schema_sql

    new = tmp_path / "new.duckdb"
    connect(new).close()
    assert check_warehouse(new) == SCHEMA_VERSION and MARKER in _objects(new)
    # a warehouse made before the marker (version 1: no runs.error column) is adopted and migrated
    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))
    con.execute(schema_sql().replace(",\n    error               VARCHAR", ""))
    con.close()
    assert check_warehouse(old) == 1
    con = connect(old)
    try:
        assert con.execute(f"SELECT max(version) FROM {MARKER}").fetchone()[0] == SCHEMA_VERSION
        assert "error" in [r[0] for r in con.execute("DESCRIBE runs").fetchall()]
        con.execute(f"INSERT INTO {MARKER} (version) VALUES ({SCHEMA_VERSION + 1})")  # from a newer carbonwatch
    finally:
        con.close()
    from warehouse.db import NotAWarehouse

    with pytest.raises(NotAWarehouse, match="newer than this carbonwatch"):
        connect(old)


def test_cases_on_a_non_pdf_and_on_an_unrelated_pdf(tmp_path):
    txt = tmp_path / "report.pdf"
    txt.write_text("this is not a PDF")
    one_line_error(cli("cases", txt, tmp=tmp_path), "not a readable PDF")
    other = tmp_path / "other.pdf"
    other.write_bytes(make_pdf("An unrelated one-page memo"))
    one_line_error(cli("cases", other, tmp=tmp_path), "no company cases found")


@pytest.mark.parametrize("command", [["summary", "{wh}"], ["query", "SELECT 1", "-w", "{wh}"], ["alerts", "-w", "{wh}"]])
def test_analyst_commands_on_a_file_that_is_not_a_warehouse(tmp_path, command):
    wh = tmp_path / "x.duckdb"
    wh.write_bytes(b"\x00garbage" * 100)
    one_line_error(cli(*[c.format(wh=wh) for c in command], tmp=tmp_path), "is not a DuckDB file")
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE sales (id INTEGER)")
    con.close()
    one_line_error(cli(*[c.format(wh=other) for c in command], tmp=tmp_path), "not a carbonwatch warehouse")


def test_export_refuses_a_folder_that_is_not_empty(tmp_path):
    from warehouse_fixtures import sample_warehouse

    wh = sample_warehouse(tmp_path / "wh.duckdb", editions=1)
    out = tmp_path / "out"
    out.mkdir()
    (out / "runs.parquet").write_text("someone's file")
    one_line_error(cli("export", "--parquet", out, "-w", wh, tmp=tmp_path), "is not empty", "--force")
    assert (out / "runs.parquet").read_text() == "someone's file"
    proc = cli("export", "--parquet", out, "-w", wh, "--force", "--no-views", tmp=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (out / "runs.parquet").read_bytes().startswith(b"PAR1")
