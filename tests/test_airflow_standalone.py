"""End to end on a real Airflow: `airflow standalone` (scheduler, dag-processor, triggerer,
api-server; LocalExecutor, SQLite) on 127.0.0.1 with its home in a temporary folder, the DAGs
of dags/, the offline mirror of five companies served from this process.

1. trigger carbonwatch_nightly through the REST API (/api/v2) on edition 1 → success, the
   warehouse holds both seed reports' companies (100 + 16) and the five companies' documents and facts, the writer
   tasks ran in the pool carbonwatch_duckdb_writer, and the asset event scheduled
   carbonwatch_reporting, which wrote the summary;
2. trigger it again on edition 2 with two failures injected in the served mirror (one landing
   page removed → 404, one report PDF corrupted) → still success, both failures recorded in
   `documents`, the other companies' target changes alerted.

Skipped (with the reason) only when Airflow cannot start here. ~3-5 min.
"""
from __future__ import annotations

import os
import shutil
import time
from datetime import datetime, timedelta, timezone

import duckdb
import pytest

from carbonwatch.demo.mirror import EDITION2_EDITS, MirrorServer, build_mirror, case_dir_name, write_sources
from carbonwatch.demo.standalone import Airflow
from common.settings import DUCKDB_POOL

CASES = (9, 30, 64, 67, 71)  # 30, 64, 67, 71 change a target in edition 2
GONE = 9  # edition 2 run: its landing page is removed (404)
BROKEN = 30  # edition 2 run: its new report PDF is corrupt (fetched, fails to parse)
NIGHTLY, REPORTING = "carbonwatch_nightly", "carbonwatch_reporting"
WRITER_TASKS = {"prepare", "discover", "load", "detect_changes", "alert"}


def previous_nightly_time(now: datetime) -> datetime:
    """The latest 02:00 Asia/Shanghai (18:00 UTC) at or before now: the run the scheduler
    would create on unpausing (catchup=False runs the latest missed interval)."""
    slot = now.replace(hour=18, minute=0, second=0, microsecond=0)
    return slot if slot <= now else slot - timedelta(days=1)


def q(path, sql, params=()):
    for attempt in range(20):  # the reporting DAG may hold a read lock for a moment
        try:
            con = duckdb.connect(str(path), read_only=True)
            break
        except duckdb.IOException:
            time.sleep(1)
    else:
        con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def airflow_runs(tmp_path_factory, report_cases, report_pdf):
    tmp = tmp_path_factory.mktemp("airflow-e2e")
    cases = [c for c in report_cases if c.case_no in CASES]
    roots = build_mirror(cases, tmp / "mirror")
    served2 = tmp / "mirror" / "edition2-faults"
    shutil.copytree(roots[2], served2)
    (served2 / "companies" / case_dir_name(GONE) / "index.html").unlink()
    pdf = served2 / "companies" / case_dir_name(BROKEN) / "reports" / "esg-2024.pdf"
    data = pdf.read_bytes()  # header and %%EOF kept (the crawler accepts it), the body zeroed
    pdf.write_bytes(data[:16] + b"\0" * (len(data) - 32) + data[-16:])

    airflow = Airflow(tmp / "airflow-home")
    airflow.home.mkdir()
    out = {"tmp": tmp, "warehouse": tmp / "var" / "warehouse.duckdb", "airflow": airflow, "times": {}}
    with MirrorServer(roots[1]) as server:
        sources = write_sources(cases, tmp / "sources.csv", server.base_url)
        conf = {"sources": str(sources), "warehouse": str(out["warehouse"]), "raw_dir": str(tmp / "var" / "raw"),
                "report": str(report_pdf), "outbox": str(tmp / "var" / "alerts"), "var": str(tmp / "var")}
        t0 = time.monotonic()
        try:
            airflow.start()
        except Exception as exc:
            airflow.stop()
            pytest.skip(f"Airflow cannot start on this machine ({exc}); log tail:\n{airflow.log_tail(1500)}")
        out["times"]["start"] = time.monotonic() - t0
        try:
            airflow.login()
            airflow.wait_for_dags(NIGHTLY, REPORTING)
            # Trigger while paused, at the latest 02:00 slot: the scheduler then has no missed
            # scheduled run of its own to add when the DAGs are unpaused.
            now = datetime.now(timezone.utc)
            t0 = time.monotonic()
            airflow.trigger("e2e-edition1", conf, previous_nightly_time(now))
            for dag_id in (NIGHTLY, REPORTING):
                airflow.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
            out["state1"] = airflow.wait_run(NIGHTLY, "e2e-edition1")
            out["times"]["run1"] = time.monotonic() - t0
            out["tasks1"] = airflow.task_instances(NIGHTLY, "e2e-edition1")
            out["reporting"] = wait_reporting(airflow)
            server.root = served2
            t0 = time.monotonic()
            airflow.trigger("e2e-edition2-faults", conf, now)
            out["state2"] = airflow.wait_run(NIGHTLY, "e2e-edition2-faults")
            out["times"]["run2"] = time.monotonic() - t0
            out["pool"] = airflow.api("GET", f"/pools/{DUCKDB_POOL}")
            out["runs"] = airflow.api("GET", f"/dags/{NIGHTLY}/dagRuns")["dag_runs"]
            yield out
        except BaseException:
            print(airflow.log_tail())
            raise
        finally:
            airflow.stop()
            print(f"timings: {out['times']}")


def wait_reporting(airflow: Airflow, timeout: float = 180) -> list[dict]:
    deadline = time.monotonic() + timeout
    runs = []
    while time.monotonic() < deadline:
        runs = airflow.api("GET", f"/dags/{REPORTING}/dagRuns")["dag_runs"]
        if runs and all(r["state"] in ("success", "failed") for r in runs):
            return runs
        time.sleep(3)
    raise AssertionError(f"carbonwatch_reporting did not finish: {runs}")


def test_first_trigger_succeeds_and_loads_the_warehouse(airflow_runs):
    assert airflow_runs["state1"] == "success"
    wh = airflow_runs["warehouse"]
    assert q(wh, "SELECT report_no, count(*) FROM companies GROUP BY 1 ORDER BY 1") == [(1, 100), (2, 16)]
    docs = q(wh, "SELECT case_no, fetch_status, parse_status FROM documents WHERE first_run_id = 'e2e-edition1' "
                 "ORDER BY case_no")
    assert docs == [(c, "fetched", "parsed") for c in CASES]
    assert q(wh, "SELECT count(DISTINCT case_no) FROM facts WHERE run_id = 'e2e-edition1'") == [(len(CASES),)]
    run = q(wh, "SELECT status, documents_new, documents_failed, alerts FROM runs WHERE run_id = 'e2e-edition1'")
    assert run == [("success", len(CASES), 0, 0)]
    # each run's validation results are kept
    assert q(wh, "SELECT count(*) > 0, bool_and(success) FROM validation_results WHERE run_id = 'e2e-edition1'") == [(True, True)]
    assert (airflow_runs["warehouse"].parent / "gx" / "data_docs" / "index.html").is_file()


def test_writer_tasks_ran_in_the_pool_and_mapped_tasks_per_shard(airflow_runs):
    from math import ceil

    from common.settings import DEFAULT_SHARD_SIZE

    tasks = airflow_runs["tasks1"]
    shards = ceil(len(CASES) / int(os.environ.get("CARBONWATCH_SHARD_SIZE") or DEFAULT_SHARD_SIZE))
    assert {t["task_id"] for t in tasks if t.get("pool") == DUCKDB_POOL} == WRITER_TASKS
    assert sorted(t["map_index"] for t in tasks if t["task_id"] == "fetch") == list(range(shards))
    assert sorted(t["map_index"] for t in tasks if t["task_id"] == "extract") == list(range(shards))
    assert all(t["state"] == "success" for t in tasks)
    assert airflow_runs["pool"]["slots"] == 1
    # only our two runs: no scheduled run was added behind them
    assert sorted(r["dag_run_id"] for r in airflow_runs["runs"]) == ["e2e-edition1", "e2e-edition2-faults"]


def test_the_warehouse_asset_schedules_the_reporting_dag(airflow_runs):
    runs = airflow_runs["reporting"]
    assert runs and runs[0]["state"] == "success"
    assert runs[0]["run_type"] == "asset_triggered"
    summary = airflow_runs["tmp"] / "var" / "reports" / "summary-e2e-edition1.txt"
    text = summary.read_text(encoding="utf-8")
    assert "companies: 116" in text and "100 cases, 100 companies (100 new)" in text


def test_second_trigger_with_mirror_faults_succeeds_and_records_them(airflow_runs):
    assert airflow_runs["state2"] == "success"
    wh = airflow_runs["warehouse"]
    gone = q(wh, "SELECT fetch_status, error FROM documents WHERE case_no = ? AND last_run_id = 'e2e-edition2-faults' "
                 "AND fetch_status = 'failed'", [GONE])
    assert len(gone) == 1 and "404" in gone[0][1]
    broken = q(wh, "SELECT fetch_status, parse_status, error FROM documents WHERE case_no = ? "
                   "AND first_run_id = 'e2e-edition2-faults'", [BROKEN])
    assert len(broken) == 1 and broken[0][:2] == ("fetched", "failed") and broken[0][2], broken
    run = q(wh, "SELECT status, documents_failed FROM runs WHERE run_id = 'e2e-edition2-faults'")
    assert run == [("success", 2)]
    got = set(q(wh, "SELECT case_no, metric, change FROM alerts WHERE run_id = 'e2e-edition2-faults'"))
    want = {(e.case_no, e.metric, e.change) for e in EDITION2_EDITS if e.case_no in CASES and e.case_no != BROKEN}
    assert got == want and want
