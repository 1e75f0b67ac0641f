"""The walking skeleton end to end: the real DAG (dag.test) against the loopback mirror into a
temporary DuckDB file — bootstrap counts, edition-2 alerts, an idempotent third run."""
from __future__ import annotations

import csv
from collections import Counter

import pytest

from carbonwatch.demo.mirror import EDITION2_EDITS, MirrorServer, build_mirror, write_sources
from carbonwatch.orchestration.runner import run_nightly
from warehouse_fixtures import query as q

SECTOR_COUNTS = {"初级资源": 11, "工业制造": 33, "基础服务": 25, "商业消费": 31}
INDUSTRY_COUNTS = {"设备制造": 18, "材料制造": 11, "食品饮料": 10, "物流运输": 8, "信息技术": 8, "能源生产": 7,
                   "金融服务": 7, "商贸服务": 6, "房地产": 5, "工程建设": 4, "玩具日化": 4, "家电电子": 3,
                   "纺织家具": 3, "农林牧渔": 2, "矿产采掘": 2, "公共事业": 2}
DEAD_CASE = 7


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, report_cases, report_pdf):
    """Three nightly runs: edition 1, edition 2, edition 2 again. Yields the warehouse path."""
    tmp = tmp_path_factory.mktemp("pipeline")
    roots = build_mirror(report_cases, tmp / "mirror")
    with MirrorServer(roots[1]) as server:
        sources = write_sources(report_cases, tmp / "sources.csv", server.base_url)
        with sources.open("a", newline="", encoding="utf-8") as fh:  # one dead landing page
            csv.writer(fh).writerow([DEAD_CASE, "dead link", f"{server.base_url}/companies/gone/index.html",
                                     "127.0.0.1", "a landing page that 404s"])
        conf = {"sources": str(sources), "warehouse": str(tmp / "wh.duckdb"), "raw_dir": str(tmp / "raw"),
                "report": str(report_pdf), "outbox": str(tmp / "alerts"),
                "shard_size": 50}  # 101 companies in 3 shards: the maps have several items
        states = []
        for edition in (1, 2, 2):
            server.root = roots[edition]
            states.append(run_nightly(conf, tmp / f"run{len(states) + 1}.log"))
    yield {"warehouse": tmp / "wh.duckdb", "states": states}


def test_every_run_succeeds_despite_a_dead_site(pipeline):
    assert pipeline["states"] == ["success", "success", "success"]
    failed = q(pipeline["warehouse"], "SELECT case_no, error FROM documents WHERE fetch_status = 'failed'")
    assert [c for c, _ in failed] == [DEAD_CASE]
    assert "404" in failed[0][1]


def test_companies_match_the_reports_own_table(pipeline):
    wh = pipeline["warehouse"]
    # both seed reports: the 100-case report's 100 companies, 16 more from the AmCham report
    assert q(wh, "SELECT report_no, count(*) FROM companies GROUP BY 1 ORDER BY 1") == [(1, 100), (2, 16)]
    assert dict(q(wh, "SELECT sector, count(*) FROM companies WHERE report_no = 1 GROUP BY 1")) == SECTOR_COUNTS
    assert dict(q(wh, "SELECT industry, count(*) FROM companies WHERE report_no = 1 GROUP BY 1")) == INDUSTRY_COUNTS


def test_first_run_fetches_and_parses_every_company_without_alerts(pipeline):
    wh = pipeline["warehouse"]
    runs = q(wh, "SELECT run_id, documents_new, documents_failed, alerts FROM runs ORDER BY started_at")
    assert len(runs) == 4  # bootstrap + three nightly runs
    assert runs[1][1:] == (100, 1, 0)
    parsed = q(wh, "SELECT count(DISTINCT case_no) FROM documents WHERE case_no IS NOT NULL AND parse_status = 'parsed'")
    assert parsed == [(100,)]
    # every fact keeps its document and page, and the quote is on that page's case text
    assert q(wh, "SELECT count(*) FROM facts WHERE document_id IS NULL OR page IS NULL OR evidence = ''") == [(0,)]


def test_second_edition_raises_exactly_the_expected_alerts(pipeline):
    got = Counter(q(pipeline["warehouse"], "SELECT case_no, metric, change, old_value, new_value FROM alerts"))
    want = Counter((e.case_no, e.metric, e.change, e.old_value, e.new_value) for e in EDITION2_EDITS)
    assert EDITION2_EDITS, "edition 2 must change something"
    assert got == want
    evidence = q(pipeline["warehouse"], "SELECT old_evidence, new_evidence FROM alerts WHERE change = 'changed'")
    assert all(o and n for o, n in evidence)


def test_third_run_with_nothing_changed_adds_nothing(pipeline):
    wh = pipeline["warehouse"]
    last = q(wh, "SELECT documents_new, facts_added, history_rows, alerts FROM runs ORDER BY started_at DESC LIMIT 1")
    assert last == [(0, 0, 0, 0)]
    facts_by_run = dict(q(wh, "SELECT run_id, count(*) FROM facts GROUP BY 1"))
    last_run = q(wh, "SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1")[0][0]
    assert last_run not in facts_by_run
    # every report was asked for with a conditional GET and none was downloaded again
    statuses = dict(q(wh, f"SELECT http_status, count(*) FROM fetch_log WHERE run_id = '{last_run}' "
                          "AND url LIKE '%.pdf' GROUP BY 1"))
    assert statuses == {304: 104}


def test_an_unchanged_night_runs_one_extract_task_instance(pipeline):
    """extract maps over the shards that fetched a new document (at least one): on the third
    night nothing is new, so one extract task instance runs instead of one per shard."""
    from airflow.models import TaskInstance
    from airflow.utils.session import create_session

    runs = [r[0] for r in q(pipeline["warehouse"], "SELECT run_id FROM runs WHERE run_id LIKE 'manual__%' "
                                                   "ORDER BY started_at")]
    assert len(runs) == 3

    def instances(task_id: str) -> list[int]:
        with create_session() as session:
            return [session.query(TaskInstance).filter(TaskInstance.dag_id == "carbonwatch_nightly",
                                                       TaskInstance.run_id == run_id,
                                                       TaskInstance.task_id == task_id).count() for run_id in runs]

    fetch, extract = instances("fetch"), instances("extract")
    assert fetch[0] == fetch[1] == fetch[2] >= 2  # every night crawls every shard
    assert extract[0] >= 2 and extract[2] == 1
