"""`carbonwatch run --sources FILE.csv --warehouse FILE.duckdb` as a user types it: a new
warehouse is bootstrapped from the report, the run exits 0 and says what it did, and a dead
site is a recorded failure, not a failed run."""
from __future__ import annotations

import csv
import os
import subprocess
import sys

import duckdb
import pytest

from carbonwatch.demo.mirror import MirrorServer, build_mirror, write_sources

CASES = (64, 67)


@pytest.fixture(scope="module")
def site(tmp_path_factory, report_cases):
    tmp = tmp_path_factory.mktemp("cli-run")
    cases = [report_cases[n - 1] for n in CASES]
    roots = build_mirror(cases, tmp / "mirror", edits=())
    with MirrorServer(roots[1]) as server:
        sources = write_sources(cases, tmp / "sources.csv", server.base_url)
        with sources.open("a", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerow([1, "dead", "http://127.0.0.1:9/index.html", "127.0.0.1", "nothing listens on port 9"])
        yield tmp, sources


def test_run_bootstraps_a_new_warehouse_and_records_a_dead_site(site, report_pdf):
    tmp, sources = site
    warehouse = tmp / "new" / "wh.duckdb"
    env = os.environ | {"CARBONWATCH_REPORT": str(report_pdf), "CARBONWATCH_VAR": str(tmp / "var")}
    proc = subprocess.run([sys.executable, "-m", "carbonwatch.cli", "run", "--sources", str(sources),
                           "--warehouse", str(warehouse)], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "success" in proc.stdout and "companies 3" in proc.stdout
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM companies WHERE report_no = 1").fetchone()[0] == 100
        assert con.execute("SELECT count(*) FROM reports").fetchone()[0] == 2  # both seed reports
        parsed = {r[0] for r in con.execute(
            "SELECT case_no FROM documents WHERE parse_status = 'parsed' AND case_no IS NOT NULL").fetchall()}
        assert parsed == set(CASES)
        failed = con.execute("SELECT case_no, error FROM documents WHERE fetch_status = 'failed'").fetchall()
        assert [c for c, _ in failed] == [1] and failed[0][1]
    finally:
        con.close()


def test_run_refuses_a_missing_sources_file_clearly(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "carbonwatch.cli", "run", "--sources", str(tmp_path / "none.csv"),
                           "--warehouse", str(tmp_path / "wh.duckdb")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "none.csv" in proc.stderr and "does not exist" in proc.stderr
