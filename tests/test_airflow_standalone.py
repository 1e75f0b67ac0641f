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

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest
import requests

from carbonwatch.demo.mirror import EDITION2_EDITS, MirrorServer, build_mirror, case_dir_name, write_sources
from carbonwatch.orchestration.runner import prepare_airflow_home
from common.settings import DUCKDB_POOL

REPO = Path(__file__).resolve().parent.parent
CASES = (9, 30, 64, 67, 71)  # 30, 64, 67, 71 change a target in edition 2
GONE = 9  # edition 2 run: its landing page is removed (404)
BROKEN = 30  # edition 2 run: its new report PDF is corrupt (fetched, fails to parse)
NIGHTLY, REPORTING = "carbonwatch_nightly", "carbonwatch_reporting"
WRITER_TASKS = {"prepare", "discover", "load", "detect_changes", "alert"}
START_TIMEOUT = 240
RUN_TIMEOUT = 420


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def previous_nightly_time(now: datetime) -> datetime:
    """The latest 02:00 Asia/Shanghai (18:00 UTC) at or before now: the run the scheduler
    would create on unpausing (catchup=False runs the latest missed interval)."""
    slot = now.replace(hour=18, minute=0, second=0, microsecond=0)
    return slot if slot <= now else slot - timedelta(days=1)


class Airflow:
    def __init__(self, home: Path, port: int):
        self.home, self.port = home, port
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None
        self.log = home / "standalone.log"
        self.session = requests.Session()
        self.session.trust_env = False  # never a proxy: everything stays on 127.0.0.1

    def env(self) -> dict:
        venv_bin = str(Path(sys.executable).parent)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CARBONWATCH_"))}
        env.update({
            "PATH": venv_bin + os.pathsep + env.get("PATH", ""),
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "2",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base}/execution/",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "GX_ANALYTICS_ENABLED": "false",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "PYTHONPATH": str(REPO),
        })
        return env

    def start(self) -> None:
        env = self.env()
        prepare_airflow_home(env)  # airflow db migrate + airflow pools set (as runner does)
        fh = self.log.open("ab")
        self.proc = subprocess.Popen(["airflow", "standalone"], env=env, cwd=self.home, stdout=fh,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"airflow standalone exited with {self.proc.returncode}")
            try:
                health = self.session.get(f"{self.base}/api/v2/monitor/health", timeout=5).json()
                if all(health.get(k, {}).get("status") == "healthy" for k in ("metadatabase", "scheduler", "dag_processor")):
                    return
            except (requests.RequestException, ValueError):
                pass
            time.sleep(2)
        raise RuntimeError(f"airflow standalone not healthy on {self.base} after {START_TIMEOUT}s")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        pgid = os.getpgid(self.proc.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    # -- REST ------------------------------------------------------------------------------
    def login(self) -> None:
        passwords = json.loads((self.home / "simple_auth_manager_passwords.json.generated").read_text())
        user, password = next(iter(passwords.items()))
        r = self.session.post(f"{self.base}/auth/token", json={"username": user, "password": password}, timeout=30)
        r.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def api(self, method: str, path: str, **kw) -> dict:
        # A read (GET) that times out on a busy machine is asked again: the scheduler and the API
        # server share the cores with the run itself; only a write must not be repeated.
        attempts = 4 if method == "GET" else 1
        for attempt in range(attempts):
            try:
                r = self.session.request(method, f"{self.base}/api/v2{path}", timeout=60, **kw)
                break
            except requests.Timeout:
                if attempt == attempts - 1:
                    raise
        if r.status_code >= 400:
            raise AssertionError(f"{method} {path}: {r.status_code} {r.text[:1000]}")
        return r.json() if r.content else {}

    def wait_for_dags(self, *dag_ids: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.session.get(f"{self.base}/api/v2/dags", params={"dag_id_pattern": "carbonwatch"}, timeout=30)
            if r.ok and set(dag_ids) <= {d["dag_id"] for d in r.json()["dags"]}:
                errors = self.api("GET", "/importErrors")["import_errors"]
                assert not errors, errors
                return
            time.sleep(2)
        raise AssertionError(f"DAGs {dag_ids} not parsed after {timeout}s; import errors: "
                             f"{self.api('GET', '/importErrors')}")

    def trigger(self, run_id: str, conf: dict, logical_date: datetime) -> None:
        self.api("POST", f"/dags/{NIGHTLY}/dagRuns",
                 json={"dag_run_id": run_id, "logical_date": logical_date.isoformat(), "conf": conf})

    def wait_run(self, dag_id: str, run_id: str, timeout: float = RUN_TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]
            if state in ("success", "failed"):
                return state
            time.sleep(3)
        raise AssertionError(f"{dag_id} run {run_id} still {state} after {timeout}s; tasks: {self.task_states(dag_id, run_id)}")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 100})["task_instances"]

    def task_states(self, dag_id: str, run_id: str) -> dict:
        return {(t["task_id"], t.get("map_index")): t["state"] for t in self.task_instances(dag_id, run_id)}


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

    airflow = Airflow(tmp / "airflow-home", free_port())
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
