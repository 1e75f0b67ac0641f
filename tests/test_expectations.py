"""The Great Expectations suites in expectations/: each rule quarantines the facts that break it
(with the failed expectation), the companies suite holds on the report's 100 cases, and a run
in a GX file context keeps its results and builds the Data Docs."""
from __future__ import annotations

import json

import pytest

from common.schema import INDUSTRIES, METRICS, SECTORS, STATUSES
from transforms.evidence import mark_evidence_on_page
from expectations.validate import SUITES_DIR, data_docs_index, load_suite_dict, validate_companies, validate_facts

DOC = "a" * 64


def item(case_no=9, document_id=DOC, **fact):
    base = {"metric": "net_zero", "year": 2050, "value": None, "base_year": None, "scope": None,
            "status": "target", "page": 3, "evidence": "力争 2050 年实现净零排放", "evidence_on_page": True}
    return {"document_id": document_id, "case_no": case_no, "fact": base | fact}


def failed(result, i):
    """The failed expectations of item i, or None when it was valid."""
    for q in result["quarantined"]:
        if q is result["_items"][i] or q["fact"] is result["_items"][i]["fact"]:
            return q["failed"]
    return None


def run(items):
    result = validate_facts(items)
    result["_items"] = items
    return result


def test_suites_are_files_matching_the_schema():
    assert {p.name for p in SUITES_DIR.glob("*.json")} >= {"facts.json", "companies.json"}
    facts = load_suite_dict("facts")
    by = {(e["type"], e["kwargs"].get("column")): e["kwargs"] for e in facts["expectations"]}
    assert set(by[("expect_column_values_to_be_in_set", "metric")]["value_set"]) == set(METRICS)
    assert set(by[("expect_column_values_to_be_in_set", "status")]["value_set"]) == set(STATUSES)
    for col in ("metric", "status", "case_no", "document_id", "page", "evidence"):
        assert ("expect_column_values_to_not_be_null", col) in by, col
    assert by[("expect_column_values_to_be_between", "year")].items() >= {"min_value": 2000, "max_value": 2100}.items()
    assert by[("expect_column_values_to_be_between", "value")].items() >= {"min_value": 0, "max_value": 100}.items()
    companies = {(e["type"], e["kwargs"].get("column")): e["kwargs"] for e in load_suite_dict("companies")["expectations"]}
    assert companies[("expect_table_row_count_to_equal", None)]["value"] == 100
    assert set(companies[("expect_column_values_to_be_in_set", "sector")]["value_set"]) == set(SECTORS)
    assert set(companies[("expect_column_values_to_be_in_set", "industry")]["value_set"]) == set(INDUSTRIES)


def test_each_rule_quarantines_only_the_facts_that_break_it():
    items = [
        item(),                                                                    # 0 valid
        item(year=2150),                                                           # 1 year out of range
        item(metric="carbon_cap"),                                                 # 2 metric not allowed
        item(metric="green_power_share", year=2023, value=120.0, status="achieved"),  # 3 share > 100
        item(evidence=""),                                                         # 4 empty quote
        item(evidence_on_page=False),                                              # 5 quote not on the page
        item(metric="peak", year=2030, evidence="2030 年前实现碳达峰"),                # 6 valid: 2030 <= 2050
        item(case_no=12, metric="peak", year=2065, evidence="2065 年碳达峰"),          # 7 peak after neutrality
        item(case_no=12, metric="carbon_neutral", year=2060, evidence="2060 年碳中和"),  # 8 valid
        item(case_no=12, metric="peak", year=2070, scope="value chain", evidence="价值链 2070 年达峰"),  # 9 other scope
        item(metric="net_zero", year=None, evidence="尽早实现净零排放"),                # 10 a net-zero fact needs a year
        item(metric="re100", year=None, value=True, evidence="加入 RE100 倡议"),        # 11 valid: flag, no year
        item(page=None),                                                           # 12 page required
        item(evidence_on_page=None),                                               # 13 not known: not checked
    ]
    r = run(items)
    assert failed(r, 0) is None and failed(r, 6) is None and failed(r, 8) is None
    assert failed(r, 9) is None and failed(r, 11) is None and failed(r, 13) is None
    assert failed(r, 1) == ["expect_column_values_to_be_between(year)"]
    assert failed(r, 2) == ["expect_column_values_to_be_in_set(metric)"]
    assert failed(r, 3) == ["expect_column_values_to_be_between(value)"]
    assert "expect_column_value_lengths_to_be_between(evidence)" in failed(r, 4)
    assert failed(r, 5) == ["expect_column_values_to_be_in_set(evidence_on_page)"]
    assert failed(r, 7) == ["expect_column_pair_values_a_to_be_greater_than_b(neutrality_year,year)"]
    assert failed(r, 10) == ["expect_column_values_to_not_be_null(year)"]
    assert "expect_column_values_to_not_be_null(page)" in failed(r, 12)
    assert len(r["valid"]) + len(r["quarantined"]) == len(items)
    # one result per expectation of the suite, as stored in validation_results
    assert len(r["results"]) == len(load_suite_dict("facts")["expectations"])
    assert all(set(x) >= {"suite", "expectation", "kwargs", "success", "unexpected"} for x in r["results"])


def test_evidence_on_page_is_checked_against_the_extracted_page_text():
    texts = [(3, "公司承诺\n力争 2050 年\n实现净零排放。"), (5, "其他内容")]
    facts = [{"page": 3, "evidence": "力争 2050 年实现净零排放"}, {"page": 5, "evidence": "力争 2050 年实现净零排放"},
             {"page": 9, "evidence": "anything"}, {"page": 3, "evidence": ""}]
    mark_evidence_on_page(facts, texts)
    assert [f["evidence_on_page"] for f in facts] == [True, False, None, False]


def test_companies_suite_holds_on_the_reports_cases(report_cases):
    records = [{"case_no": c.case_no, "name": c.name, "sector": c.sector, "industry": c.industry} for c in report_cases]
    assert all(r["success"] for r in validate_companies(records))
    broken = records[:99] + [dict(records[99], sector="航天")]
    bad = {r["expectation"] for r in validate_companies(broken[:99]) if not r["success"]}
    assert bad == {"expect_table_row_count_to_equal"}
    bad = {r["expectation"] for r in validate_companies(broken) if not r["success"]}
    assert bad == {"expect_column_values_to_be_in_set(sector)"}


def test_file_context_keeps_results_and_builds_data_docs(tmp_path):
    gx_root = tmp_path / "gx"
    for run_name in ("run-1", "run-2"):
        r = validate_facts([item(), item(year=2150)], gx_root=gx_root, run_name=run_name)
        assert len(r["quarantined"]) == 1
    index = data_docs_index(gx_root)
    assert index == gx_root / "data_docs" / "index.html" and index.is_file()
    assert "facts" in index.read_text(encoding="utf-8")
    stored = json.loads((gx_root / "expectations" / "facts.json").read_text(encoding="utf-8"))
    assert len(stored["expectations"]) == len(load_suite_dict("facts")["expectations"])
    validations = list((gx_root / "uncommitted" / "validations").rglob("*.json"))
    assert len(validations) == 2
    pages = list((gx_root / "data_docs" / "validations").rglob("*.html"))
    assert len(pages) == 2


@pytest.mark.parametrize("bad", [{"case_no": None}, {"document_id": None}])
def test_facts_without_their_ids_are_quarantined(bad):
    it = item()
    it.update(bad)
    r = validate_facts([it, item()])
    assert len(r["quarantined"]) == 1 and len(r["valid"]) == 1
