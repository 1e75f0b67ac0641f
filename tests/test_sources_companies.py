"""Companies beyond the seed cases: sources rows with an empty case_no and the user's
company_id become companies of the warehouse (new keys above the seed cases) with documents,
facts, history and alerts — three nights through the task bodies, in shards of one company."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from carbonwatch.demo.mirror import MirrorServer, build_mirror
from carbonwatch.demo.synthetic import build_synthetic_mirror, synthetic_id, write_synthetic_sources
from carbonwatch.orchestration.inprocess import run_in_process

TEMPLATES = [64, 71]  # mirror cases whose edition 2 changes a target (carbonwatch.demo.mirror.EDITION2_EDITS)


@pytest.fixture(scope="module")
def nights(tmp_path_factory, report_cases, report_pdf):
    tmp = tmp_path_factory.mktemp("sources-companies")
    mirror = build_mirror([report_cases[n - 1] for n in TEMPLATES], tmp / "mirror")
    roots = build_synthetic_mirror(mirror, tmp / "synthetic", len(TEMPLATES), case_nos=TEMPLATES)
    names = {c.case_no: c.name for c in report_cases}
    with MirrorServer(roots[1]) as server:
        sources = write_synthetic_sources(len(TEMPLATES), tmp / "sources.csv", server.base_url, names, TEMPLATES)
        with sources.open("a", newline="", encoding="utf-8") as fh:  # the user's company whose site is gone
            csv.writer(fh).writerow(["", "user-dead-1", "a company whose site is gone",
                                     f"{server.base_url}/companies/gone/index.html", "127.0.0.1", ""])
        conf = {"sources": str(sources), "warehouse": str(tmp / "wh.duckdb"), "raw_dir": str(tmp / "raw"),
                "report": str(report_pdf), "outbox": str(tmp / "alerts"), "shard_size": 1,
                "second_report": "none"}  # the 100-case report's cases alone: keys 1-100, then the user's
        counts = []
        for edition, run_id in ((1, "night-1"), (2, "night-2"), (2, "night-3")):
            server.root = roots[edition]
            counts.append(run_in_process(conf, run_id, workers=2))
    con = duckdb.connect(conf["warehouse"], read_only=True)
    yield {"con": con, "counts": counts, "work": tmp / "raw" / "work"}
    con.close()


def q(nights, sql, params=()):
    return nights["con"].execute(sql, params).fetchall()


def test_sources_companies_get_keys_above_the_seed_cases_and_seed_cases_stay(nights):
    assert q(nights, "SELECT count(*), min(case_no), max(case_no) FROM companies WHERE company_id IS NULL") == [(100, 1, 100)]
    own = q(nights, "SELECT company_id, case_no, name, sector FROM companies WHERE company_id IS NOT NULL ORDER BY case_no")
    assert [(cid, key) for cid, key, _, _ in own] == [(synthetic_id(1), 101), (synthetic_id(2), 102), ("user-dead-1", 103)]
    assert all(sector is None and name for _, _, name, sector in own)  # nothing invented: no sector
    assert own[0][2].startswith("SYNTHETIC 00001 (copy of case 64")


def test_their_documents_facts_and_history_are_loaded(nights):
    parsed = dict(q(nights, "SELECT case_no, count(*) FROM documents WHERE parse_status = 'parsed' "
                            "AND case_no > 100 GROUP BY 1"))
    assert parsed == {101: 2, 102: 2}  # the 2023 report, then edition 2's 2024 report
    facts = dict(q(nights, "SELECT case_no, count(*) FROM facts WHERE case_no > 100 GROUP BY 1"))
    assert facts.get(101, 0) > 0 and facts.get(102, 0) > 0
    assert q(nights, "SELECT count(*) FROM quarantined_facts") == [(0,)]  # keys above 100 pass the suite
    history = dict(q(nights, "SELECT case_no, count(*) FROM target_history WHERE is_current AND case_no > 100 GROUP BY 1"))
    assert history.get(101, 0) > 0 and history.get(102, 0) > 0


def test_a_changed_report_of_a_sources_company_raises_its_alert(nights):
    alerts = q(nights, "SELECT case_no, company, metric, change, old_value, new_value FROM alerts ORDER BY case_no")
    assert [a[0] for a in alerts] == [101, 102]
    assert alerts[0][2:] == ("carbon_neutral", "changed", "2060", "2050")
    assert alerts[1][2:] == ("net_zero", "changed", "2030", "2028")
    assert alerts[0][1].startswith("SYNTHETIC 00001")


def test_a_dead_site_is_its_own_failed_document_and_the_third_night_adds_nothing(nights):
    assert q(nights, "SELECT case_no, fetch_status FROM documents WHERE error LIKE '%404%'") == [(103, "failed")]
    third = nights["counts"][2]
    assert (third["documents_new"], third["facts_added"], third["history_rows"], third["alerts"]) == (0, 0, 0, 0)
    assert third["companies"] == 3


def test_each_shard_left_its_outputs_in_the_runs_work_folder(nights):
    run = nights["work"] / "night-1"
    assert sorted(p.name for p in (run / "shards").iterdir()) == ["0000.jsonl", "0001.jsonl", "0002.jsonl"]
    crawls = [json.loads(line) for p in sorted((run / "crawls").iterdir()) for line in p.read_text().splitlines()]
    assert [c["case_no"] for c in crawls] == [101, 102, 103]
    facts = sum(len(json.loads(line)["facts"]) for p in (run / "extractions").iterdir()
                for line in Path(p).read_text().splitlines())
    assert facts == q(nights, "SELECT count(*) FROM facts WHERE run_id = 'night-1'")[0][0]
    validation = json.loads((run / "validation.json").read_text())
    assert validation["quarantined"] == [] and "valid" not in validation  # facts are kept once, in extractions


def test_the_reports_aggregate_tables_count_only_the_reports_cases(nights):
    by_sector = q(nights, "SELECT sum(companies) FROM v_report_tables WHERE report_table = 'companies_by_sector'")
    assert by_sector == [(100,)]
    assert q(nights, "SELECT companies FROM v_report_tables WHERE report_table = 'green_power_by_sector' "
                     "AND sector = 'all'") == [(100,)]
