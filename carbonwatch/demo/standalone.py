"""A real `airflow standalone` (scheduler, dag-processor, triggerer, api-server; LocalExecutor,
SQLite) on 127.0.0.1 with its home in a given folder and the DAGs of dags/, driven through its
REST API (/api/v2): what the Airflow end-to-end tests and the Airflow streaming benchmark run.

    airflow = Airflow(home)          # a free port on 127.0.0.1
    airflow.start(); airflow.login(); airflow.wait_for_dags("carbonwatch_nightly")
    ...
    airflow.stop()                   # SIGTERM to its process group, then SIGKILL

It needs the venv's bin on PATH (standalone starts `airflow` subprocesses: env() does it).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import requests

from carbonwatch.orchestration.runner import prepare_airflow_home

REPO = Path(__file__).resolve().parent.parent.parent
NIGHTLY = "carbonwatch_nightly"
START_TIMEOUT = 240
RUN_TIMEOUT = 420


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Airflow:
    def __init__(self, home: Path, port: int | None = None, start_timeout: float = START_TIMEOUT):
        self.home, self.port = home, port or free_port()
        self.start_timeout = start_timeout
        self.base = f"http://127.0.0.1:{self.port}"
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
        deadline = time.monotonic() + self.start_timeout
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
        raise RuntimeError(f"airflow standalone not healthy on {self.base} after {self.start_timeout}s")

    def stop(self, grace: float = 30.0) -> None:
        """SIGTERM to the whole process group (scheduler, dag-processor, triggerer, api-server,
        the task processes); those still alive after `grace` seconds get SIGKILL."""
        if self.proc is None or self.proc.poll() is not None:
            return
        pgid = os.getpgid(self.proc.pid)
        os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while self._group_alive(pgid) and time.monotonic() < deadline:
            self.proc.poll()  # reap the standalone itself
            time.sleep(0.5)
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass

    @staticmethod
    def _group_alive(pgid: int) -> bool:
        import psutil

        for p in psutil.process_iter(["status"]):
            try:
                if os.getpgid(p.pid) == pgid and p.info["status"] != psutil.STATUS_ZOMBIE:
                    return True
            except (ProcessLookupError, psutil.Error):
                continue
        return False

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

    def trigger(self, run_id: str, conf: dict, logical_date: datetime, dag_id: str = NIGHTLY) -> None:
        self.api("POST", f"/dags/{dag_id}/dagRuns",
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
