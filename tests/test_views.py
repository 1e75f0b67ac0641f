"""Analyst views: v_company_targets (one row per company), v_target_changes, v_report_tables
(the report's aggregate tables recomputed from the warehouse), v_metric_coverage."""
from __future__ import annotations

import pytest

from warehouse.db import connect, rows
from warehouse_fixtures import EDITION2_ALERTS, sample_warehouse

SECTOR_COUNTS = {"初级资源": 11, "工业制造": 33, "基础服务": 25, "商业消费": 31}
INDUSTRY_COUNTS = {"设备制造": 18, "材料制造": 11, "食品饮料": 10, "物流运输": 8, "信息技术": 8, "能源生产": 7,
                   "金融服务": 7, "商贸服务": 6, "房地产": 5, "工程建设": 4, "玩具日化": 4, "家电电子": 3,
                   "纺织家具": 3, "农林牧渔": 2, "矿产采掘": 2, "公共事业": 2}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    con = connect(sample_warehouse(tmp_path_factory.mktemp("views") / "wh.duckdb"), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def report_wh(tmp_path_factory, report_cases, report_pdf):
    """The real 100 cases of the report, bootstrapped (no crawl)."""
    from extractors.cases import case_record
    from warehouse.runs import bootstrap

    path = tmp_path_factory.mktemp("report") / "wh.duckdb"
    con = connect(path)
    records = [case_record(c) for c in report_cases]
    bootstrap(con, report_pdf, records, run_id="bootstrap-test")
    con.close()
    con = connect(path, read_only=True)
    yield con, records
    con.close()


def test_company_targets_one_row_per_company(sample):
    t = {r["case_no"]: r for r in rows(sample, "SELECT * FROM v_company_targets")}
    assert sorted(t) == [1, 2, 3, 4, 5, 6]
    one = t[1]
    assert (one["peak_year"], one["carbon_neutral_year"], one["net_zero_year"], one["re100"]) == (2028, 2055, None, True)
    assert (one["interim_target_year"], one["interim_target_pct"], one["interim_base_year"]) == (2030, 30.0, 2020)
    two = t[2]  # two net-zero targets: the nearest (operations 2040) is shown, with its scope; left RE100
    assert (two["net_zero_year"], two["net_zero_scope"], two["re100"]) == (2040, "operations", False)
    assert (two["green_power_share_pct"], two["green_power_share_year"]) == (35.0, 2022)  # 35.3% was rounding
    assert t[4]["green_power_share_pct"] == 20.0 and t[4]["green_power_share_year"] == 2023  # latest share
    assert t[3]["sbti"] == "committed" and t[3]["last_change_at"] is None
    assert t[5]["current_targets"] == 0 and t[6]["net_zero_year"] is None  # withdrawn


def test_target_changes_carry_both_documents(sample):
    ch = rows(sample, "SELECT * FROM v_target_changes")
    assert {(r["case_no"], r["metric"], r["change"], r["old_value"], r["new_value"]) for r in ch} == EDITION2_ALERTS
    for r in ch:
        assert r["new_document_url"].endswith("report-2024.pdf") and r["new_report_year"] == 2024
        assert r["sector"] and bool(r["old_document_url"]) == (r["change"] != "added")
        if r["change"] == "changed":
            assert r["old_evidence"] and r["new_evidence"] and r["new_page"]


def test_metric_coverage(sample):
    cov = {r["metric"]: (r["with_metric"], r["pct"]) for r in rows(sample, "SELECT * FROM v_metric_coverage")}
    assert len(cov) == 8
    assert cov["re100"] == (1, 16.7) and cov["green_power_share"] == (2, 33.3)


def test_report_tables_reproduce_the_reports_company_counts(report_wh):
    con, _ = report_wh
    by_sector = {r[0]: r[1] for r in con.execute(
        "SELECT sector, companies FROM v_report_tables WHERE report_table = 'companies_by_sector'").fetchall()}
    assert by_sector == SECTOR_COUNTS
    by_industry = {r[0]: r[1] for r in con.execute(
        "SELECT industry, companies FROM v_report_tables WHERE report_table = 'companies_by_industry'").fetchall()}
    assert by_industry == INDUSTRY_COUNTS
    assert con.execute("SELECT count(*) FROM v_company_targets").fetchone() == (100,)


@pytest.mark.parametrize("table,metrics", [
    ("neutral_or_net_zero_by_sector", {"carbon_neutral", "net_zero"}),
    ("green_power_by_sector", {"green_power_share"}),
])
def test_report_share_tables_match_the_cases(report_wh, table, metrics):
    con, records = report_wh
    got = {r["sector"]: r for r in rows(con, "SELECT * FROM v_report_tables WHERE report_table = ?", [table])}
    assert set(got) == set(SECTOR_COUNTS) | {"all"}
    for sector in list(SECTOR_COUNTS) + ["all"]:
        cases = [c for c in records if sector in ("all", c["sector"])]
        want = sum(1 for c in cases if any(f["metric"] in metrics and (f["metric"] != "green_power_share"
                                                                          or (f["value"] or 0) > 0)
                                           for f in c["facts"]))
        r = got[sector]
        assert (r["companies"], r["with_metric"]) == (len(cases), want), sector
        assert r["pct"] == round(100 * want / len(cases), 1)
    assert got["all"]["with_metric"] > 0


def test_company_targets_on_the_report(report_wh):
    con, records = report_wh
    t = {r["case_no"]: r for r in rows(con, "SELECT * FROM v_company_targets")}
    for c in records:
        years = [f["year"] for f in c["facts"] if f["metric"] == "carbon_neutral" and f["year"]]
        assert t[c["case_no"]]["carbon_neutral_year"] == (min(years) if years else None), c["case_no"]
        assert t[c["case_no"]]["re100"] == any(f["metric"] == "re100" for f in c["facts"])
