"""Run the nightly DAG in-process (Airflow's `dag.test()`), with Airflow's home under ./var."""
from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from common import settings
from common.settings import DUCKDB_POOL, DUCKDB_POOL_DESCRIPTION

DAG_ID = "carbonwatch_nightly"
DAGS_FOLDER = settings.REPO / "dags"


def airflow_env() -> dict:
    """Environment Airflow needs before it is imported: its home, our DAGs, no examples."""
    home = Path(os.environ.get("AIRFLOW_HOME") or settings.var_dir() / "airflow").resolve()
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": os.environ.get("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS_FOLDER)),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": os.environ.get("AIRFLOW__CORE__UNIT_TEST_MODE", "False"),
        "GX_ANALYTICS_ENABLED": "false",
    }


def airflow_cli() -> list[str]:
    airflow = Path(sys.executable).with_name("airflow")
    return [str(airflow)] if airflow.exists() else [sys.executable, "-m", "airflow"]


def _airflow(args: list[str], env: dict, what: str) -> None:
    proc = subprocess.run(airflow_cli() + args, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"airflow {what} failed in {env.get('AIRFLOW_HOME')}:\n{proc.stderr[-2000:]}")


def prepare_airflow_home(env: dict) -> Path:
    """`airflow db migrate` once per AIRFLOW_HOME, then the pool `carbonwatch_duckdb_writer`
    (size 1; the scheduler never runs tasks of a pool that does not exist). `env` is the
    complete environment of the airflow commands (AIRFLOW_HOME etc.)."""
    home = Path(env["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    migrated = home / ".migrated"
    if not migrated.exists():
        _airflow(["db", "migrate"], env, "db migrate")
        migrated.write_text("ok\n")
    pooled = home / f".pool-{DUCKDB_POOL}"
    if not pooled.exists():
        _airflow(["pools", "set", DUCKDB_POOL, "1", DUCKDB_POOL_DESCRIPTION], env, "pools set")
        pooled.write_text("1\n")
    return home


def ensure_airflow_db() -> Path:
    """Airflow's metadata DB (dag.test needs its tables) and the DuckDB writer pool.

    If this process imported Airflow before (a caller imported airflow.sdk first), Airflow has
    already read its settings: point its configuration at our DAGs folder too, or dag.test()
    syncs the DAG from `$AIRFLOW_HOME/dags` and fails with "the dag is not serialized"."""
    os.environ.update(airflow_env())
    if "airflow.configuration" in sys.modules:
        import airflow.configuration
        from airflow.configuration import conf

        if Path(airflow.configuration.AIRFLOW_HOME).resolve() != Path(os.environ["AIRFLOW_HOME"]).resolve():
            # its metadata DB is another home's: dag.test() would fail on "no such table"
            raise RuntimeError(f"Airflow was imported with AIRFLOW_HOME={airflow.configuration.AIRFLOW_HOME} before "
                               f"carbonwatch set it to {os.environ['AIRFLOW_HOME']}: set AIRFLOW_HOME before starting")

        conf.set("core", "dags_folder", os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
        conf.set("core", "load_examples", "False")
        import airflow.settings

        airflow.settings.DAGS_FOLDER = os.environ["AIRFLOW__CORE__DAGS_FOLDER"]  # the dags-folder bundle's path
    return prepare_airflow_home(os.environ.copy())


def load_dag():
    spec = importlib.util.spec_from_file_location("carbonwatch_nightly_dag", DAGS_FOLDER / "carbonwatch_nightly.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.nightly_dag


@contextlib.contextmanager
def _output_to(path: Path | None):
    """Send Airflow's task logs (stdout/stderr, at the fd level) to a file."""
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("ab") as fh:
        os.dup2(fh.fileno(), 1)
        os.dup2(fh.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def run_nightly(conf: dict, log_file: Path | None = None) -> str:
    """Run carbonwatch_nightly once; returns the DagRun's state ('success' or 'failed')."""
    return run_once(conf, log_file)[0]


def new_run_id(logical_date):
    """The id dag.test() gives a manual run of this logical date (known before it starts, so a
    lock can name it and the CLI reports this run, not whichever ran last)."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.types import DagRunType

    return DagRun.generate_run_id(run_type=DagRunType.MANUAL, logical_date=logical_date, run_after=logical_date)


def run_once(conf: dict, log_file: Path | None = None, logical_date=None, on_run_id=None) -> tuple[str, str]:
    """Run carbonwatch_nightly once; returns (state, run_id). `on_run_id(run_id)` is called
    before the run starts. A stop request (common.interrupt) ends it between steps: every task
    body checks it before it starts, and the crawler inside its downloads."""
    from datetime import datetime, timezone

    ensure_airflow_db()
    logical_date = logical_date or datetime.now(timezone.utc)
    with _output_to(log_file):
        run_id = new_run_id(logical_date)
        if on_run_id:
            on_run_id(run_id)
        dag = load_dag()
        dag_run = dag.test(run_conf=conf, logical_date=logical_date, run_after=logical_date)
    return str(getattr(dag_run, "state", "failed")), getattr(dag_run, "run_id", run_id)
