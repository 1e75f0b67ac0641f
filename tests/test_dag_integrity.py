"""DAG integrity for every file in dags/: it imports (DagBag, no import errors), has no cycles,
and every task has an owner, retries and a timeout. Plus the production wiring of the two DAGs:
schedule, pool/queue of the DuckDB tasks, the warehouse asset, failure callbacks."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DAGS = REPO / "dags"
DAG_FILES = sorted(p for p in DAGS.glob("*.py") if not p.name.startswith("_"))
FLOW = ["prepare", "discover", "fetch", "pick_new", "extract", "validate", "load", "detect_changes", "alert"]
WRITERS = {"prepare", "discover", "load", "detect_changes", "alert"}


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_every_dag_file_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    files = {Path(d.fileloc).name for d in dagbag.dags.values()}
    assert files == {p.name for p in DAG_FILES}, "every file in dags/ defines a DAG"
    assert set(dagbag.dags) == {"carbonwatch_nightly", "carbonwatch_reporting", "carbonwatch_disclosures"}


@pytest.mark.parametrize("dag_file", [p.name for p in DAG_FILES])
def test_no_cycles_and_default_args(dagbag, dag_file):
    from airflow.utils.dag_cycle_tester import check_cycle

    dags = [d for d in dagbag.dags.values() if Path(d.fileloc).name == dag_file]
    assert dags
    for dag in dags:
        check_cycle(dag)  # raises on a cycle
        assert dag.default_args.get("owner") and dag.default_args["owner"] != "airflow"
        assert dag.default_args.get("retries", 0) >= 1
        assert dag.default_args.get("execution_timeout") is not None
        assert dag.default_args.get("on_failure_callback") is not None
        assert dag.on_failure_callback is not None
        assert dag.max_active_runs == 1 and dag.catchup is False
        assert dag.dagrun_timeout is not None
        assert dag.doc_md
        for t in dag.tasks:
            assert t.owner == dag.default_args["owner"], t.task_id
            assert t.retries >= 1, t.task_id
            assert t.execution_timeout is not None, t.task_id
            # one XCom per return value: Airflow would infer multiple_outputs from `-> dict`
            # and push every key apart (a round trip each)
            outputs = t.partial_kwargs.get("multiple_outputs") if hasattr(t, "partial_kwargs") else None
            assert not (getattr(t, "multiple_outputs", False) or outputs), t.task_id


def test_nightly_schedule_flow_and_duckdb_pool(dagbag):
    dag = dagbag.dags["carbonwatch_nightly"]
    assert dag.timetable._expression == "0 2 * * *" and str(dag.timetable._timezone) == "Asia/Shanghai"
    assert [t.task_id for t in dag.topological_sort()] == FLOW or set(dag.task_ids) == set(FLOW)
    for a, b in zip(FLOW, FLOW[1:]):
        assert b in dag.task_dict[a].downstream_task_ids, f"{a} -> {b}"
    assert type(dag.task_dict["fetch"]).__name__.endswith("MappedOperator")
    assert type(dag.task_dict["extract"]).__name__.endswith("MappedOperator")
    # mapped over shards (fetch(shard=...), extract(fetched=...)), never one task per company
    assert set(dag.task_dict["fetch"].op_kwargs_expand_input.value) == {"shard"}
    assert set(dag.task_dict["extract"].op_kwargs_expand_input.value) == {"fetched"}
    # return values are paths and counts; task logs do not print them
    assert all(t.partial_kwargs.get("show_return_value_in_logs") is False if hasattr(t, "partial_kwargs")
               else t.show_return_value_in_logs is False for t in dag.tasks)
    for t in dag.tasks:
        if t.task_id in WRITERS:
            assert (t.pool, t.queue) == ("carbonwatch_duckdb_writer", "duckdb_writer"), t.task_id
        else:
            assert (t.pool, t.queue) == ("default_pool", "default"), t.task_id


def test_warehouse_asset_links_nightly_to_reporting(dagbag):
    nightly, reporting = dagbag.dags["carbonwatch_nightly"], dagbag.dags["carbonwatch_reporting"]
    outlets = [a for t in nightly.tasks for a in t.outlets]
    assert [(a.name, a.uri) for a in outlets] == [("carbonwatch_warehouse", "file:///carbonwatch/warehouse.duckdb")]
    assert nightly.task_dict["alert"].outlets == outlets
    assert type(reporting.timetable).__name__ == "AssetTriggeredTimetable"
    assert [(a.name, a.uri) for a in reporting.timetable.asset_condition.objects] == [(outlets[0].name, outlets[0].uri)]
    (summary,) = reporting.tasks
    assert (summary.pool, summary.queue) == ("carbonwatch_duckdb_writer", "duckdb_writer")


def test_airflow_settings_outside_a_task_are_empty():
    from common.settings import AIRFLOW_VARIABLES, airflow_values

    assert airflow_values() == {}
    assert set(AIRFLOW_VARIABLES) >= {"carbonwatch_sources", "carbonwatch_warehouse"}


class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


def test_failure_callback_writes_the_outbox_and_posts_the_webhook(tmp_path):
    from carbonwatch.alerting.callbacks import FAILURES_FILE, on_dag_failure, on_task_failure

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"

        class TI:
            dag_id, task_id, map_index, try_number = "carbonwatch_nightly", "fetch", 3, 3

        class Run:
            run_id = "manual__x"
            conf = {"outbox": str(tmp_path / "outbox"), "alert_webhook": url}

        on_task_failure({"ti": TI(), "dag_run": Run(), "run_id": "manual__x", "exception": RuntimeError("worker lost")})
        on_dag_failure({"dag_run": Run(), "reason": "dagrun_timeout"})
        # a broken channel must not raise
        Run.conf = {"outbox": str(tmp_path / "outbox"), "alert_webhook": "http://127.0.0.1:9/nothing"}
        on_task_failure({"ti": TI(), "dag_run": Run()})
    finally:
        server.shutdown()
        server.server_close()
    lines = [json.loads(x) for x in (tmp_path / "outbox" / FAILURES_FILE).read_text().splitlines()]
    assert [x["kind"] for x in lines] == ["task_failed", "dag_run_failed", "task_failed"]
    assert lines[0]["task_id"] == "fetch" and lines[0]["map_index"] == 3
    assert lines[0]["exception"] == "RuntimeError: worker lost"
    assert lines[1]["reason"] == "dagrun_timeout"
    assert len(_Hook.received) == 2 and _Hook.received[0]["failure"]["task_id"] == "fetch"
    assert "fetch[3]" in _Hook.received[0]["text"]


def test_airflow_variables_feed_the_settings(monkeypatch):
    import airflow.sdk
    from common import settings

    values = {"carbonwatch_warehouse": "/data/wh.duckdb", "carbonwatch_sources": "/data/companies.csv"}
    monkeypatch.setattr(airflow.sdk.Variable, "get", staticmethod(lambda key, default=None: values.get(key, default)))
    monkeypatch.setattr(settings, "webhook_connection", lambda: settings.WebhookTarget("http://127.0.0.1:9/hook"))
    got = settings.airflow_values()
    assert got == {"warehouse": "/data/wh.duckdb", "sources": "/data/companies.csv",
                   "alert_webhook": "http://127.0.0.1:9/hook"}
    # the run's conf wins over Variables, Variables over the environment (as the prepare task merges them)
    monkeypatch.setenv("CARBONWATCH_WAREHOUSE", "/env/wh.duckdb")
    ctx = settings.resolve(got | {"sources": "/conf/s.csv"})
    assert (ctx["warehouse"], ctx["sources"]) == ("/data/wh.duckdb", "/conf/s.csv")


def test_disclosures_dag_is_fed_by_an_asset_watcher_with_an_installed_event_trigger(dagbag):
    from airflow.triggers.base import BaseEventTrigger

    from carbonwatch.orchestration.trigger import DisclosureFeedTrigger
    from common.settings import DUCKDB_POOL

    dag = dagbag.dags["carbonwatch_disclosures"]
    (asset,) = dag.timetable.asset_condition.objects
    (watcher,) = asset.watchers
    assert isinstance(watcher.trigger, BaseEventTrigger) and isinstance(watcher.trigger, DisclosureFeedTrigger)
    classpath, kwargs = watcher.trigger.serialize()
    assert classpath == "carbonwatch.orchestration.trigger.DisclosureFeedTrigger"  # importable by the triggerer
    assert set(kwargs) == {"sources", "warehouse", "interval", "raw_dir", "batch", "redeliver_after", "retry_after"}
    assert type(watcher.trigger)(**kwargs).serialize() == (classpath, kwargs)  # what the triggerer rebuilds
    # three fat task instances; the two that open DuckDB share the nightly's writer pool
    assert [t.task_id for t in dag.topological_sort()] == ["prepare", "fetch_extract_validate", "load_alert"]
    writers = {t.task_id for t in dag.tasks if t.pool == DUCKDB_POOL}
    assert writers == {"prepare", "load_alert"}
