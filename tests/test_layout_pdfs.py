"""Where real reports put targets (issue 10): tables, columns of years, bullet lists under a
heading, column tables of bulleted text, footnote markers. Each layout is a small PDF made at
test time (tests/fixtures/layout_fixtures.py, reportlab); each test pins the structured rows
the rules are handed and the facts they give."""
from __future__ import annotations

import sys
from pathlib import Path

import pdfplumber
import pytest

from common.settings import shared_dir
from extractors.document import LAYOUT_BUDGET, LAYOUT_MIN_BUDGET, layout_pages, read_document
from extractors.layout import (bullet_chunks, history_columns, kpi_chunks, read_layout, table_score,
                               without_footnote_marks)
from extractors.pdftext import pdfium_texts

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures"))
import layout_fixtures as lf  # noqa: E402


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    out = tmp_path_factory.mktemp("layoutpdfs")
    return {name: build(out) for name, build in lf.BUILDERS.items()}


def rows_of(path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return read_layout(pdf.pages[0]).rows


def keys(doc) -> set:
    return {(f.metric, f.year, f.value) for f in doc.facts}


# ---- tables
def test_ruled_targets_table_is_read_as_rows_with_headers(fx):
    assert rows_of(fx["targets_table"]) == [
        "Our climate targets: Scope 1 and 2 GHG emissions | Baseline: 2019 | 2030 goal: -50% | 2023 progress: -21%",
        "Our climate targets: Renewable electricity share | Baseline: 2019 | 2030 goal: 100% | 2023 progress: 68%",
        "Our climate targets: Employee volunteering hours | Baseline: 2020 | 2030 goal: 20,000 | 2023 progress: 12,500",
    ]
    doc = read_document(str(fx["targets_table"]))
    assert doc.stats["table_pages"] == 1 and doc.stats["pdfplumber_pages"] == 1 and doc.stats["pdfium_pages"] == 1
    target = next(f for f in doc.facts if (f.metric, f.year, f.value) == ("interim_target", 2030, 50.0))
    assert target.status == "target" and any(target.evidence in row for _, row in doc.rows)


def test_table_without_rules_keeps_the_latest_year_and_the_target_column(fx):
    # pypdfium2 reads the header with the footnote marker glued to the year: "Target 20301"
    assert "Target 20301" in pdfium_texts(str(fx["years_table"]))[0]
    assert rows_of(fx["years_table"]) == [
        "Share of renewable electricity | 2023: 62% | Target 2030: 100%",
        "Scope 1 and 2 emissions (ktCO2e) | 2023: 88 | Target 2030: 60",
    ]


def test_wrapped_row_labels_stay_one_row(fx):
    # the "text" strategy gives one row per line; lines close together are one table row
    assert rows_of(fx["wrapped_table"]) == [
        "42% reduction in Scope 1 and 2 emissions by 2030 (tCO2e) | Target year: 2030 | Base year: 2020 | 2023 change: -18%",
        "25% reduction in Scope 3 emissions by 2030 (tCO2e) | Target year: 2030 | Base year: 2020 | 2023 change: -4%",
        "Energy use per store (MWh) | Target year: 2028 | Base year: 2021 | 2023 change: -6%",
    ]
    doc = read_document(str(fx["wrapped_table"]))
    assert {("interim_target", 2030, 42.0), ("interim_target", 2030, 25.0)} <= keys(doc)
    assert not any(f.year == 2028 for f in doc.facts)  # an energy-use target, not an emissions one


def test_footnote_markers_are_dropped(fx):
    with pdfplumber.open(fx["years_table"]) as pdf:
        page = pdf.pages[0]
        raw = [w["text"] for w in page.extract_words()]
        clean = [w["text"] for w in without_footnote_marks(page).extract_words()]
    assert "20301" in raw and "20301" not in clean and "2030" in clean
    assert "1" in clean  # the footnote under the table keeps its number (same size, not raised)


def test_history_columns():
    assert history_columns(["", "2019", "2021", "2022", "2023", "Target 2030"]) == {1, 2, 3}
    assert history_columns(["", "2019", "2022", "2023", "2030"]) == {1, 2}  # 2030: a target year
    assert history_columns(["Target", "Baseline", "2030 goal"]) == set()


def test_column_table_of_bullets_reads_each_item_under_its_column(fx):
    # the first column is a list of bullets (read by pdfplumber as "·"), not the rows' labels:
    # read as labels, the national 2060 goal was glued to the company's 42% cut
    assert rows_of(fx["column_table"]) == [
        "因应策略及财务计划：内部策略及目标：以 2020 年为基准，2030 年范围一和范围二排放减少 42%",
        "因应策略及财务计划：对标政策：国家 2060 碳中和目标",
        "因应策略及财务计划：内部策略及目标：2030 年全行 100% 使用再生能源",
    ]
    doc = read_document(str(fx["column_table"]))
    assert {("interim_target", 2030, 42.0), ("renewable_electricity_target", 2030, 100.0)} <= keys(doc)
    assert ("interim_target", 2060, 42.0) not in keys(doc)


# ---- bullets under a heading
def test_bullets_carry_their_lead_in(fx):
    raw = pdfium_texts(str(fx["bullets_en"]))[0]
    assert bullet_chunks(raw) == [f"{lf.EN_LEAD} {item}" for item in lf.EN_BULLETS]
    doc = read_document(str(fx["bullets_en"]))
    assert doc.stats["pdfplumber_pages"] == 0  # bullets are read from pypdfium2's text
    assert ("net_zero", 2030, None) in keys(doc)


def test_bullets_under_a_chinese_target_heading(fx):
    raw = pdfium_texts(str(fx["bullets_zh"]))[0]
    assert bullet_chunks(raw) == [lf.ZH_HEADING + lf.ZH_LEAD + item for item in lf.ZH_BULLETS]
    doc = read_document(str(fx["bullets_zh"]))
    assert {("renewable_electricity_target", 2030, 100.0), ("interim_target", 2030, 42.0)} <= keys(doc)


def test_a_paragraph_above_a_list_is_not_its_heading():
    text = "We cut emissions by 10% in 2023.\n• Scope 1: 40 kt\n• Scope 2: 12 kt"
    assert bullet_chunks(text) == []
    text = "Targets\n• 2030: 50% cut in\nScope 1 and 2 emissions.\n• 2040: net zero"
    assert bullet_chunks(text) == ["Targets: 2030: 50% cut in Scope 1 and 2 emissions.",
                                   "Targets: 2040: net zero"]


# ---- KPI boxes
def test_kpi_figures_are_read_with_their_labels_under_the_page_title(fx):
    doc = read_document(str(fx["kpi_boxes"]))
    title = " ".join(lf.KPI_TITLE)
    assert [row for _, row in doc.rows] == [
        f"{title}: GHG intensity 20-30% CORPORATE-WIDE", f"{title}: Methane intensity 70-80% UPSTREAM"]
    assert doc.stats["kpi_rows"] == 2  # from pypdfium2: text and character boxes
    assert {("interim_target", 2030, 20.0), ("interim_target", 2030, 70.0)} <= keys(doc)


def test_kpi_chunks_need_a_title_and_a_label():
    text = "GHG\nintensity\n20-30%\nCORPORATE-WIDE\nWe grew.\n46%"
    assert kpi_chunks(text, []) == []  # no title in large type: no context for the figures
    assert kpi_chunks(text, ["2030 plans"]) == ["2030 plans: GHG intensity 20-30% CORPORATE-WIDE"]


# ---- which pages pdfplumber reads
def test_table_score_needs_a_header_word_and_numeric_lines():
    prose = "Our people\nWe opened four centres in 2021, 2022 and 2023.\n" * 3
    assert table_score(prose) == 0
    table = "Target Baseline Progress\nScope 1 2019 -50% -21%\nScope 2 2019 -30% -10%\nRE share 2019 100% 68%"
    assert table_score(table) == 3


def test_layout_pages_spend_the_budget_on_the_most_table_like_pages():
    n = 3000 // LAYOUT_BUDGET  # a document whose budget is 3000 units
    scores = {3: 10, 5: 20, 8: 5, 9: 0, 12: 4}
    costs = {3: 2000, 5: 90000, 8: 1000, 12: 500}  # page 5 would cost more than the whole budget
    assert layout_pages(scores, costs, n=n) == [3, 8]  # page 12 no longer fits
    small = LAYOUT_MIN_BUDGET - 100
    assert layout_pages({1: 4}, {1: small}, n=2) == [1]  # a short document still gets a page


# ---- a real report page (shared/realpdfs), when present
ESUN = shared_dir() / "realpdfs" / "esunbank_2022.pdf"


@pytest.mark.skipif(not ESUN.exists(), reason="shared real reports not present")
def test_real_tcfd_table_items_under_their_target_column():
    with pdfplumber.open(ESUN) as pdf:
        rows = read_layout(pdf.pages[6]).rows
    assert "3.1因應策略及財務計畫：內部策略及目標：2030 年全行 100% 使用再生能源" in rows
    assert "3.1因應策略及財務計畫：內部策略及目標：以 2020 年為基準，2030 年範疇 1&2 絕對碳排減少 42%" in rows


def test_facts_read_from_rows_pass_the_evidence_check_of_the_extract_task(fx):
    """A fact found in a table row cites that row: the extract task's evidence check reads the rows
    too, so GX does not quarantine it (it did while only the page text was checked)."""
    from carbonwatch.orchestration import tasks

    path = fx["targets_table"]
    result = tasks.extract_one(1, {"status": "new", "path": str(path), "sha256": "x" * 64,
                                   "url": "http://127.0.0.1/r.pdf", "report_year": 2023})
    assert result["status"] == "parsed" and result["facts"], result
    assert all(f["evidence_on_page"] for f in result["facts"]), [(f["evidence"], f["evidence_on_page"]) for f in result["facts"]]
