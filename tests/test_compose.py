"""docker-compose.yml and the Dockerfile, checked as far as a machine without a Docker engine
allows: the file parses, has Airflow 3's reference services, and every service's command and
environment agree with the DAGs (executor, queues, pool, volumes for the warehouse and raw
documents, Variables). `docker compose config` runs only where the compose plugin exists."""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
COMPOSE = REPO / "docker-compose.yml"
AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
                    "airflow-worker", "airflow-worker-duckdb", "airflow-init"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def dag_tasks():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    return [t for d in bag.dags.values() for t in d.tasks]


def command(service: dict) -> list[str]:
    c = service.get("command", [])
    return shlex.split(c) if isinstance(c, str) else list(c)


def option(cmd: list[str], name: str) -> str | None:
    for i, a in enumerate(cmd):
        if a == name and i + 1 < len(cmd):
            return cmd[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def mounts(service: dict) -> dict[str, str]:
    """container path -> source (named volume or host path)."""
    out = {}
    for v in service.get("volumes", []):
        m = re.match(r"^(\$\{[^}]*\}|[^:]+):([^:]+)", v)  # source may be ${VAR:-default}
        out[m.group(2)] = m.group(1)
    return out


def test_reference_layout_with_celery_postgres_redis(compose, services):
    assert AIRFLOW_SERVICES | {"postgres", "redis"} <= set(services)
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://") and "@postgres/" in env[
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://") and "@redis:6379" in env["AIRFLOW__CELERY__BROKER_URL"]
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
        # the project's image, built from the repo's Dockerfile
        assert services[name]["build"] == {"context": ".", "dockerfile": "Dockerfile"}
    cmds = {n: " ".join(command(services[n])) for n in AIRFLOW_SERVICES - {"airflow-init"}}
    assert cmds["airflow-apiserver"] == "api-server"
    assert cmds["airflow-scheduler"] == "scheduler"
    assert cmds["airflow-dag-processor"] == "dag-processor"
    assert cmds["airflow-triggerer"] == "triggerer"
    assert cmds["airflow-worker"].startswith("celery worker")
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        assert services[name]["depends_on"]["airflow-init"] == {"condition": "service_completed_successfully"}
    assert set(compose["volumes"]) >= {"postgres-db-volume", "carbonwatch-warehouse", "carbonwatch-raw"}


def test_every_queue_of_the_dags_has_a_worker_and_the_writer_is_single(services, dag_tasks):
    workers = {n: command(s) for n, s in services.items() if command(s)[:2] == ["celery", "worker"]}
    consumed = {n: set((option(c, "--queues") or "default").split(",")) for n, c in workers.items()}
    queues = {t.queue for t in dag_tasks}
    assert queues == {"default", "duckdb_writer"}
    for q in queues:
        assert any(q in qs for qs in consumed.values()), f"no worker consumes queue {q}"
    writers = [n for n, qs in consumed.items() if "duckdb_writer" in qs]
    assert writers == ["airflow-worker-duckdb"]
    assert consumed["airflow-worker-duckdb"] == {"duckdb_writer"}
    assert option(workers["airflow-worker-duckdb"], "--concurrency") == "1"
    assert services["airflow-worker-duckdb"].get("deploy", {}).get("replicas", 1) == 1
    assert "duckdb_writer" not in consumed["airflow-worker"]


def test_pool_of_the_dags_is_created_by_airflow_init(services, dag_tasks):
    pools = {t.pool for t in dag_tasks} - {"default_pool"}
    assert pools == {"carbonwatch_duckdb_writer"}
    script = "\n".join(command(services["airflow-init"]))
    for pool in pools:
        assert re.search(rf"airflow pools set {pool} 1\b", script), f"airflow-init must create pool {pool} with 1 slot"
    env = services["airflow-init"]["environment"]
    assert env["_AIRFLOW_DB_MIGRATE"] == "true"


def test_volumes_hold_the_warehouse_and_raw_documents_where_the_tasks_run(compose, services):
    from common.settings import AIRFLOW_VARIABLES

    env = services["airflow-worker-duckdb"]["environment"]
    variables = {k[len("AIRFLOW_VAR_"):].lower(): v for k, v in env.items() if k.startswith("AIRFLOW_VAR_")}
    assert set(variables) <= set(AIRFLOW_VARIABLES), "every AIRFLOW_VAR_ is a Variable prepare reads"
    warehouse_dir = str(Path(variables["carbonwatch_warehouse"]).parent)
    raw_dir = variables["carbonwatch_raw_dir"]
    writer = mounts(services["airflow-worker-duckdb"])
    assert writer.get(warehouse_dir) == "carbonwatch-warehouse"
    assert writer.get(raw_dir) == "carbonwatch-raw"
    # the crawl/extract workers share the raw documents but never open the warehouse
    default = mounts(services["airflow-worker"])
    assert default.get(raw_dir) == "carbonwatch-raw"
    assert warehouse_dir not in default
    # GX context, outbox and reports: every worker (validate runs on default, alert on the writer)
    var = env["CARBONWATCH_VAR"]
    assert default.get(var) == writer.get(var) == "carbonwatch-var"
    assert variables["carbonwatch_outbox"].startswith(var)
    assert env["CARBONWATCH_GX"].startswith(var + "/") and not env["CARBONWATCH_GX"].startswith(warehouse_dir)
    # the 100-case report (bootstrap) and the sources file are mounted where prepare/discover run
    assert any(variables["carbonwatch_report"].startswith(t) for t in writer)
    assert any(variables["carbonwatch_sources"].startswith(t) for t in writer)
    common = compose["x-airflow-common"]["environment"]
    for name in AIRFLOW_SERVICES:  # every Airflow service sees the same settings
        assert services[name]["environment"].items() >= common.items(), name


def test_dockerfile_builds_the_project_on_the_pinned_airflow_image():
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    version = re.search(r'"apache-airflow==([\d.]+)"', pyproject).group(1)
    python = re.search(r'requires-python = ">=(\d+\.\d+)', pyproject).group(1)
    assert re.search(rf"^FROM apache/airflow:{re.escape(version)}-python{re.escape(python)}$", text, re.M)
    assert re.search(r"pip install .*-r \S*requirements\.lock", text)
    assert re.search(r"pip install .*--no-deps /opt/carbonwatch", text)
    assert "COPY --chown=airflow:root dags /opt/airflow/dags" in text
    for package in ("carbonwatch", "extractors", "transforms", "expectations", "warehouse"):
        assert f"COPY --chown=airflow:root {package} " in text, package
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", "var", ".git"} <= set(ignored)


def test_docker_compose_config_where_the_plugin_exists():
    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("no `docker compose` plugin on this machine: docker-compose.yml is only parsed and checked above")
    proc = subprocess.run([docker, "compose", "-f", str(COMPOSE), "config", "--quiet"], capture_output=True, text=True,
                          cwd=REPO)
    assert proc.returncode == 0, proc.stderr
