"""target_history keeps every value a target ever had; one real change → one alert; several
reports of one company resolve by report date. Built without Airflow (tests/warehouse_fixtures.py)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from common.schema import Fact
from transforms.diff import diff_targets, targets_from_facts
from warehouse.db import connect, rows
from warehouse_fixtures import CASES, EDITION2_ALERTS, Doc, F, bootstrap_sample, run, sample_warehouse

T0 = datetime(2026, 1, 5, 2, 0)


@pytest.fixture()
def wh(tmp_path):
    con = connect(sample_warehouse(tmp_path / "wh.duckdb"))
    yield con
    con.close()


def q(con, sql, params=()):
    return con.execute(sql, params).fetchall()


def test_the_first_own_report_is_the_baseline_and_raises_no_alert(tmp_path):
    con = connect(tmp_path / "wh.duckdb")
    counts = bootstrap_sample(con, tmp_path, now=T0 - timedelta(days=1))
    assert counts["alerts"] == 0 and counts["history_rows"] > 0
    assert q(con, "SELECT count(*) FROM alerts") == [(0,)]
    # the report's cases are the starting point, not the companies' baselines
    assert q(con, "SELECT count(*) FROM companies WHERE baseline_run_id IS NULL") == [(6,)]
    # a company's first own report differs from the report's summary of it: history records the
    # new values, but it is the company's baseline, so no alert
    counts = run(con, "r1", [Doc(1, 2023, [F("peak", 2028), F("carbon_neutral", 2058)]),
                             Doc(5, 2023, [F("carbon_neutral", 2060)])], now=T0)
    assert counts["alerts"] == 0 and counts["history_rows"] == 2
    assert dict(q(con, "SELECT case_no, baseline_run_id FROM companies WHERE case_no IN (1, 5)")) == {1: "r1", 5: "r1"}
    assert q(con, "SELECT value, is_current FROM target_history WHERE case_no = 1 AND metric = 'carbon_neutral' "
                  "ORDER BY valid_from") == [("2060", False), ("2058", True)]
    # from then on, every real change alerts
    counts = run(con, "r2", [Doc(1, 2024, [F("peak", 2028), F("carbon_neutral", 2055)])], now=T0 + timedelta(days=1))
    assert counts["alerts"] == 1
    assert q(con, "SELECT old_value, new_value FROM alerts") == [("2058", "2055")]
    con.close()


def test_second_edition_alerts_once_per_real_change(wh):
    got = set(q(wh, "SELECT case_no, metric, change, old_value, new_value FROM alerts"))
    assert got == EDITION2_ALERTS
    # green power 35% → 35.3% is rounding: no alert for case 2's share
    assert q(wh, "SELECT count(*) FROM alerts WHERE case_no = 2 AND metric = 'green_power_share'") == [(0,)]
    # a changed target carries both values and both evidences, with documents and pages
    a = rows(wh, "SELECT * FROM alerts WHERE case_no = 1 AND metric = 'carbon_neutral'")[0]
    assert a["old_evidence"] and a["new_evidence"] and a["old_document_id"] != a["new_document_id"]
    assert a["new_page"] == 3
    assert q(wh, "SELECT report_year FROM documents WHERE document_id = ?", [a["new_document_id"]]) == [(2024,)]


def test_history_keeps_every_value_and_closes_instead_of_deleting(wh):
    h = rows(wh, "SELECT * FROM target_history WHERE case_no = 1 AND metric = 'carbon_neutral' ORDER BY valid_from")
    assert [(r["value"], r["is_current"]) for r in h] == [("2060", False), ("2055", True)]
    old, new = h
    assert old["valid_to"] == new["valid_from"] and new["valid_to"] is None
    assert old["closed_by_document_id"] == new["document_id"]
    assert old["document_id"] != new["document_id"] and new["page"] == 3 and new["evidence"]
    # case 6's net-zero target disappeared from its 2024 report: closed, still there
    gone = rows(wh, "SELECT * FROM target_history WHERE case_no = 6 AND metric = 'net_zero'")
    assert len(gone) == 1 and not gone[0]["is_current"] and gone[0]["valid_to"] is not None
    assert gone[0]["closed_by_document_id"] is not None
    # at most one current row per target
    assert q(wh, "SELECT count(*) FROM (SELECT case_no, target_key FROM target_history WHERE is_current "
                 "GROUP BY ALL HAVING count(*) > 1)") == [(0,)]


def test_rerunning_an_edition_adds_nothing(wh):
    before = q(wh, "SELECT (SELECT count(*) FROM facts), (SELECT count(*) FROM target_history), "
                   "(SELECT count(*) FROM alerts), (SELECT count(*) FROM documents)")
    from warehouse_fixtures import EDITION2

    counts = run(wh, "rerun", EDITION2, now=T0 + timedelta(days=90))
    assert (counts["documents_new"], counts["facts_added"], counts["history_rows"], counts["alerts"]) == (0, 0, 0, 0)
    assert counts["documents_unchanged"] == len(EDITION2)
    after = q(wh, "SELECT (SELECT count(*) FROM facts), (SELECT count(*) FROM target_history), "
                  "(SELECT count(*) FROM alerts), (SELECT count(*) FROM documents)")
    assert after == before


def test_several_reports_in_one_run_newest_report_year_wins(tmp_path):
    con = connect(tmp_path / "wh.duckdb")
    bootstrap_sample(con, tmp_path, now=T0)
    run(con, "r0", [Doc(3, 2023, [F("peak", 2030), F("sbti", status="target")])], now=T0)  # baseline
    # three reports of case 3 in one run, fetched newest-first: the 2024 one wins by report year
    docs = [Doc(3, 2024, [F("peak", 2027), F("sbti", status="target")], fetched_at=T0 + timedelta(hours=1)),
            Doc(3, 2022, [F("peak", 2032)], fetched_at=T0 + timedelta(hours=2)),
            Doc(3, 2023, [F("peak", 2031), F("sbti", status="target")], name="-v2", fetched_at=T0 + timedelta(hours=3))]
    counts = run(con, "r1", docs, now=T0 + timedelta(days=1))
    assert counts["documents_new"] == 3
    cur = rows(con, "SELECT h.value, d.report_year FROM target_history h JOIN documents d USING (document_id) "
                    "WHERE h.case_no = 3 AND h.metric = 'peak' AND h.is_current")
    assert cur == [{"value": "2027", "report_year": 2024}]
    assert q(con, "SELECT change, old_value, new_value FROM alerts WHERE case_no = 3") == [("changed", "2030", "2027")]
    # the other reports stay as evidence: their documents and facts are kept
    assert sorted(r[0] for r in q(con, "SELECT DISTINCT d.report_year FROM facts f JOIN documents d "
                                       "USING (document_id) WHERE f.case_no = 3 AND d.case_no = 3")) == [2022, 2023, 2024]
    # an older report fetched in a later run does not override the newest one
    counts = run(con, "r2", [Doc(3, 2021, [F("peak", 2035)], fetched_at=T0 + timedelta(days=2))],
                 now=T0 + timedelta(days=2))
    assert (counts["documents_new"], counts["history_rows"], counts["alerts"]) == (1, 0, 0)
    # same report year: the later fetch wins
    counts = run(con, "r3", [Doc(3, 2024, [F("peak", 2026), F("sbti", status="target")], name="-rev",
                                 fetched_at=T0 + timedelta(days=3))], now=T0 + timedelta(days=3))
    assert counts["alerts"] == 1
    assert q(con, "SELECT value FROM target_history WHERE case_no = 3 AND metric = 'peak' AND is_current") == [("2026",)]
    con.close()


def test_a_report_with_no_facts_at_all_withdraws_nothing(tmp_path):
    con = connect(tmp_path / "wh.duckdb")
    bootstrap_sample(con, tmp_path, now=T0)
    run(con, "r0", [Doc(1, 2023, CASES[0]["facts"])], now=T0)
    counts = run(con, "r1", [Doc(1, 2024, [])], now=T0 + timedelta(days=1))
    assert counts["alerts"] == 0
    assert q(con, "SELECT count(*) FROM target_history WHERE case_no = 1 AND is_current") == [(3,)]
    con.close()


@pytest.mark.parametrize("old,new,alert", [
    (F("net_zero", 2050), F("net_zero", 2045), True),                       # year moved
    (F("green_power_share", 2022, 40.0), F("green_power_share", 2023, 40.4), False),  # rounding
    (F("green_power_share", 2022, 40.0), F("green_power_share", 2023, 41.0), True),   # real change
    (F("interim_target", 2030, 30, 2020), F("interim_target", 2030, 30.2, 2020), False),
    (F("interim_target", 2030, 30, 2020), F("interim_target", 2030, 30, 2019), True),  # base year moved
    (F("renewable_electricity_target", 2030, 100.0), F("renewable_electricity_target", 2035, 100.0), True),
    (F("sbti", status="target"), F("sbti", status="achieved"), True),       # committed → validated
])
def test_diff_real_changes_vs_rounding(old, new, alert):
    a = targets_from_facts([Fact.from_dict(old)], "d1")
    b = targets_from_facts([Fact.from_dict(new)], "d2")
    changes = diff_targets(1, a, b)
    assert bool(changes) is alert
    if alert:
        assert changes[0].change == "changed" and changes[0].old.document_id == "d1"


def test_added_and_withdrawn_and_re100():
    a = targets_from_facts([Fact.from_dict(F("re100")), Fact.from_dict(F("peak", 2030))])
    b = targets_from_facts([Fact.from_dict(F("peak", 2030)), Fact.from_dict(F("net_zero", 2060, scope="范围 1、2"))])
    got = {(c.metric, c.change) for c in diff_targets(1, a, b)}
    assert got == {("re100", "withdrawn"), ("net_zero", "added")}
    assert CASES  # fixture sanity
