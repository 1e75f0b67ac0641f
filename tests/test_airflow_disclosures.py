"""Streaming under a real Airflow: `airflow standalone` (scheduler, dag-processor, triggerer,
api-server) on 127.0.0.1. The AssetWatcher's DisclosureFeedTrigger (installed package) polls a
loopback cninfo-shaped feed; a report published there becomes an asset event, a run of
carbonwatch_disclosures (three task instances) processes exactly that disclosure with the
nightly's task bodies in the writer pool, and the changed target is alerted. Prints the latency (published → alerted).

The warehouse starts as the embedded watcher leaves it after the company's first own report (its
baseline), so the Airflow part has a real change to alert on. Skipped only when Airflow cannot
start here. ~3-5 min.
"""
from __future__ import annotations

import csv
import time

import pytest
import requests

from carbonwatch.demo.feeds import FeedServer, wait_until
from carbonwatch.demo.mirror import build_mirror
from carbonwatch.orchestration.watch import Watcher
from common.settings import DUCKDB_POOL
from extractors.cases import case_record
from carbonwatch.demo.standalone import Airflow
from test_airflow_standalone import q
from warehouse.db import connect
from warehouse.runs import bootstrap

DAG_ID = "carbonwatch_disclosures"
CASE, CODE = 64, "999064"


@pytest.fixture(scope="module")
def streamed(tmp_path_factory, report_cases, report_pdf):
    tmp = tmp_path_factory.mktemp("airflow-stream")
    roots = build_mirror([report_cases[CASE - 1]], tmp / "mirror")
    pdf = {y: roots[2] / "companies" / f"{CASE:03d}" / "reports" / f"esg-{y}.pdf" for y in (2023, 2024)}
    var = tmp / "var"
    warehouse = var / "warehouse.duckdb"
    con = connect(warehouse)
    bootstrap(con, report_pdf, [case_record(c) for c in report_cases], run_id="bootstrap-test")
    con.close()
    name = report_cases[CASE - 1].name
    out = {"warehouse": warehouse}
    with FeedServer() as feeds:
        sources = tmp / "sources.csv"
        with sources.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([["case_no", "name", "landing_url", "feeds"], [CASE, name, "", f"cninfo:{CODE}"]])
        settings_env = feeds.env() | {"CARBONWATCH_SOURCES": str(sources), "CARBONWATCH_WAREHOUSE": str(warehouse),
                                      "CARBONWATCH_VAR": str(var), "CARBONWATCH_RAW": str(var / "raw"),
                                      "CARBONWATCH_REPORT": str(report_pdf), "CARBONWATCH_WATCH_INTERVAL": "2"}
        mp = pytest.MonkeyPatch()
        for k, v in settings_env.items():
            mp.setenv(k, v)
        try:
            feeds.publish(case_no=CASE, company=name, code=CODE, title="2023年度可持续发展报告", pdf=pdf[2023])
            baseline = Watcher({}, echo=lambda line: None).run(once=True)  # the company's first own report
            assert [r["status"] for r in baseline.processed] == ["done"]
        finally:
            mp.undo()
        # this test starts its own standalone; give a busy machine longer than the nightly test does
        airflow = Airflow(tmp / "airflow-home", start_timeout=600)
        airflow.home.mkdir()
        base_env = airflow.env
        airflow.env = lambda: base_env() | settings_env
        try:
            airflow.start()
        except Exception as exc:
            airflow.stop()
            pytest.skip(f"Airflow cannot start on this machine ({exc}); log tail:\n{airflow.log_tail(1500)}")
        try:
            airflow.login()
            airflow.wait_for_dags(DAG_ID)
            polls = feeds.hits.get("/new/hisAnnouncement/query", 0)
            airflow.api("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False})  # watchers run for unpaused DAGs only
            assert wait_until(lambda: feeds.hits.get("/new/hisAnnouncement/query", 0) > polls + 1, 180), \
                "the triggerer never polled the feed"
            t0 = time.monotonic()
            item = feeds.publish(case_no=CASE, company=name, code=CODE, title="2024年度可持续发展报告", pdf=pdf[2024])
            source_id = f"cninfo:{item.announcement_id}"

            def done():
                try:
                    runs = airflow.api("GET", f"/dags/{DAG_ID}/dagRuns")["dag_runs"]
                except requests.RequestException:  # a busy api-server: ask again
                    return False
                return runs and all(r["state"] in ("success", "failed") for r in runs) and q(
                    warehouse.with_name("warehouse.snapshot.duckdb"),
                    "SELECT count(*) FROM disclosures WHERE source_id = ? AND status = 'done'", [source_id]) == [(1,)]

            assert wait_until(done, 900, step=5), airflow.log_tail()
            out["wall"] = time.monotonic() - t0
            out["runs"] = airflow.api("GET", f"/dags/{DAG_ID}/dagRuns")["dag_runs"]
            out["tasks"] = airflow.task_instances(DAG_ID, out["runs"][0]["dag_run_id"])
            out["source_id"] = source_id
            out["events"] = airflow.api("GET", "/assets/events", params={"limit": 50})["asset_events"]
            yield out
        except BaseException:
            print(airflow.log_tail())
            raise
        finally:
            airflow.stop()
            mp.undo()


def test_a_published_disclosure_becomes_an_alert_under_airflow(streamed):
    wh = streamed["warehouse"]
    status, alerts, latency, run_id = q(wh, "SELECT status, alerts, latency_s, run_id FROM disclosures WHERE source_id = ?",
                                        [streamed["source_id"]])[0]
    print(f"\nAirflow latency published → alerted: {latency:.1f}s (observed by the test: {streamed['wall']:.1f}s)")
    assert status == "done" and alerts == 1 and latency < 600
    assert q(wh, "SELECT metric, old_value, new_value FROM alerts WHERE run_id = ?", [run_id]) == [
        ("carbon_neutral", "2060", "2050")]
    assert run_id in {r["dag_run_id"] for r in streamed["runs"]}


def test_the_run_was_asset_triggered_and_its_writers_used_the_pool(streamed):
    runs = streamed["runs"]
    assert runs and all(r["run_type"] == "asset_triggered" and r["state"] == "success" for r in runs)
    tasks = streamed["tasks"]
    assert {t["task_id"] for t in tasks if t.get("pool") == DUCKDB_POOL} == {"prepare", "load_alert"}
    assert {t["task_id"] for t in tasks} == {"prepare", "fetch_extract_validate", "load_alert"}
    payloads = [e["extra"].get("payload") for e in streamed["events"] if e.get("extra", {}).get("from_trigger")]
    # the payload is the batch of disclosures of one poll, as JSON
    assert [d["source_id"] for p in payloads if p for d in p["disclosures"]] == [streamed["source_id"]]
