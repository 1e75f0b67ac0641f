"""Seed reports as data and one company across reports: the reports / report_cases tables,
companies matched by their names (no alias list), facts that keep their source, the latest
value of each target across sources and the conflicts between sources (listed, not alerted).
A hand-made second report on the sample warehouse covers each rule; the two real reports
cover the bootstrap of a new warehouse (the 100-case report's tables unchanged)."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from transforms.names import match_company, name_variants, text_aliases
from warehouse.db import connect, rows
from warehouse.runs import bootstrap

from conftest import AMCHAM, REPORT
from warehouse_fixtures import CASES, F

SECOND = [  # a later report (2024) of titled cases
    {"case_no": 1, "name": "乙制造集团", "title": "乙制造集团：价值链净零", "pages": [3, 4],
     "facts": [F("net_zero", 2045, scope="value chain", page=3), F("re100", page=4)]},
    {"case_no": 2, "name": "Geng Tech", "title": "Geng Tech：碳中和园区", "pages": [5], "aliases": ["庚科技"],
     "facts": [F("carbon_neutral", 2040, page=5)]},
]


def test_name_forms():
    assert name_variants("通用电气（GE）", "GE 中国") == {"通用电气（ge）", "通用电气", "ge", "ge中国"}
    assert name_variants("戴尔科技集团") == {"戴尔科技集团", "戴尔科技"}
    assert "北京" not in name_variants("瀚森恒业（北京）商业有限公司")  # a place in brackets is no alias
    assert text_aliases("高通", "绿色和可持续发展理念贯穿了高通公司（Qualcomm）战略发展") == {"Qualcomm"}
    assert text_aliases("领英", "LinkedIn（领英）作为一家全球领先的职场社交平台") == {"LinkedIn"}
    known = {1: name_variants("微软"), 2: name_variants("微众银行")}
    assert match_company(name_variants("微软"), known) == (1, "微软")
    assert match_company(name_variants("微"), known) is None


@pytest.fixture()
def two_reports(tmp_path):
    first, second = tmp_path / "report100-sample.pdf", tmp_path / "second-sample.pdf"
    first.write_bytes(b"%PDF-1.4 stand-in for the 100-case report\n")
    second.write_bytes(b"%PDF-1.4 stand-in for a second seed report\n")
    con = connect(tmp_path / "w.duckdb")
    counts = bootstrap(con, first, CASES, run_id="bootstrap-two", meta={"publisher": "甲会"},
                       more_reports=[(second, SECOND, {"title": "第二份报告", "publisher": "乙会", "year": 2024})])
    yield con, counts
    con.close()


def test_reports_and_cases_as_data(two_reports):
    con, counts = two_reports
    assert counts["companies"] == 7 and counts["documents_new"] == 2 and counts["alerts"] == 0
    assert rows(con, "SELECT report_no, title, publisher, year, cases FROM reports ORDER BY 1") == [
        {"report_no": 1, "title": "中国企业低碳转型与高质量发展报告 2023 (100 cases)", "publisher": "甲会",
         "year": 2023, "cases": 6},
        {"report_no": 2, "title": "第二份报告", "publisher": "乙会", "year": 2024, "cases": 2}]
    # one company, two cases: 乙制造集团 is 乙制造 (legal-form suffix), Geng Tech is new (id 7)
    cases = rows(con, "SELECT report_no, report_case_no, case_no, matched_on, cases_of_company "
                      "FROM v_report_cases WHERE report_no = 2 ORDER BY report_case_no")
    assert [(c["case_no"], c["matched_on"], c["cases_of_company"]) for c in cases] == [(2, "乙制造", 2), (7, None, 1)]
    assert con.execute("SELECT name, sector, report_no FROM companies WHERE case_no = 7").fetchone() == \
        ("Geng Tech", None, 2)
    # facts keep their source: the company's facts come from two documents, each a report
    src = con.execute("SELECT r.report_no, count(*) FROM facts f JOIN reports r ON r.sha256 = f.document_id "
                      "WHERE f.case_no = 2 GROUP BY 1 ORDER BY 1").fetchall()
    assert src == [(1, 4), (2, 2)]


def test_report_tables_stay_the_first_reports(two_reports):
    con, _ = two_reports
    by_sector = dict(con.execute("SELECT sector, companies FROM v_report_tables "
                                 "WHERE report_table = 'companies_by_sector'").fetchall())
    assert by_sector == dict(Counter(c["sector"] for c in CASES))
    assert con.execute("SELECT companies FROM v_report_tables WHERE report_table = "
                       "'neutral_or_net_zero_by_sector' AND sector = 'all'").fetchone() == (6,)


def test_latest_value_and_its_source(two_reports):
    con, _ = two_reports
    latest = {r["target_key"]: r for r in rows(con, "SELECT * FROM v_latest_targets WHERE case_no = 2")}
    nz = latest["net_zero|value_chain"]
    assert (nz["value"], nz["source"], nz["report_year"], nz["sources"]) == ("2045", "第二份报告", 2024, 2)
    ops = latest["net_zero|operations"]  # told by the first report only
    assert (ops["value"], ops["report_no"], ops["source_kind"]) == ("2040", 1, "seed report")


def test_disagreement_is_a_source_conflict_not_an_alert(two_reports):
    con, _ = two_reports
    conflicts = rows(con, "SELECT case_no, target_key, value, other_value, other_source FROM v_source_conflicts")
    assert conflicts == [{"case_no": 2, "target_key": "net_zero|value_chain", "value": "2050",
                          "other_value": "2045", "other_source": "第二份报告"}]
    assert con.execute("SELECT count(*) FROM alerts").fetchone() == (0,)


@pytest.fixture(scope="module")
def real_warehouse(tmp_path_factory, report_pdf):
    from carbonwatch.orchestration.tasks import bootstrap_warehouse

    path = tmp_path_factory.mktemp("seeds") / "w.duckdb"
    con = connect(path)
    counts = bootstrap_warehouse(con, str(report_pdf), gx_root=str(path.parent / "gx"), second_report=str(AMCHAM))
    yield con, counts
    con.close()


def test_new_warehouse_from_both_reports(real_warehouse):
    from carbonwatch.reporting.summary import source_lines
    from test_cases import INDUSTRY_COUNTS, SECTOR_COUNTS

    con, counts = real_warehouse
    reports = rows(con, "SELECT report_no, title, publisher, year, cases, file_path FROM reports ORDER BY 1")
    assert [(r["report_no"], r["year"], r["cases"], Path(r["file_path"]).name) for r in reports] == [
        (1, 2023, 100, REPORT.name), (2, 2022, 17, AMCHAM.name)]
    assert all(r["title"] and r["publisher"] for r in reports)
    assert counts["companies"] == 116 and counts["alerts"] == 0
    # the 100-case report's tables as they were
    table = rows(con, "SELECT report_table, sector, industry, companies FROM v_report_tables")
    assert {r["sector"]: r["companies"] for r in table if r["report_table"] == "companies_by_sector"} == SECTOR_COUNTS
    assert {r["industry"]: r["companies"] for r in table if r["report_table"] == "companies_by_industry"} == INDUSTRY_COUNTS
    # Microsoft / 微软: one company, a case in each report
    ms = rows(con, "SELECT report_no, report_case_no, case_no FROM v_report_cases WHERE cases_of_company > 1")
    assert [(m["report_no"], m["report_case_no"], m["case_no"]) for m in ms] == [(1, 62, 62), (2, 4, 62)]
    lines = source_lines(con)
    assert lines[1].startswith("  report 1 ") and "100 companies (100 new)" in lines[1]
    assert "17 companies (16 new, 1 already in an earlier report: 微软)" in lines[2]


def test_report_tables_as_from_the_100_case_report_alone(real_warehouse, tmp_path, report_pdf):
    """Every row of v_report_tables (counts, neutral / net-zero and green-power shares) is the
    same as in a warehouse bootstrapped from the 100-case report alone."""
    from carbonwatch.orchestration.tasks import bootstrap_warehouse

    con, _ = real_warehouse
    alone = connect(tmp_path / "alone.duckdb")
    try:
        bootstrap_warehouse(alone, str(report_pdf), gx_root=str(tmp_path / "gx"), second_report=None)
        sql = "SELECT * FROM v_report_tables ORDER BY ALL"
        assert con.execute(sql).fetchall() == alone.execute(sql).fetchall()
        assert alone.execute("SELECT count(*) FROM reports").fetchone() == (1,)
    finally:
        alone.close()
