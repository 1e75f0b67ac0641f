"""Wording rules that decide whose target a number is and which one, each on sentences copied
from the real reports in ../shared/realpdfs (pypdfium2 text, line breaks removed): one fixture
per extraction bug fixed. The rules are wording rules, never keyed to a company or a file."""
from __future__ import annotations

import pytest

from extractors.facts import extract_facts
from extractors.lang import en

REF = 2024


def keys(text: str, ref: int = REF):
    return {(f.metric, f.year, f.value) for f in extract_facts([(3, text)], ref_year=ref)}


# ---------------------------------------------------------------- whose target
@pytest.mark.parametrize("text", [
    # an investee in an engagement case study, written of as "the company" within a sentence
    "Later in 2023, the company published a goal to reduce emissions from flight operations "
    "(tank-to-wake) by 10% per revenue ton kilometer (RTK) by the end of 2030.",
    "Since our most recent engagement, the company has disclosed its mid-term (by 2030) target to "
    "reduce GHG emissions and committed to achieve net zero emission by 2050.",
    "In December 2023, the company set a new target to reduce scope 3 emissions from the production of "
    "purchased goods and services by 15% by 2030 over a 2022 baseline, and to achieve net zero in this "
    "category by 2050.",
    # a subsidiary's ambition ("its ambition"), named by the report
    "HSBC Asset Management continues to work towards its ambition of reducing scope 1 and 2 financed "
    "emissions intensity by 58% by 2030 for 38% of its total assets under management.",
    # a sector's goal
    "As early as 2009, RWE made a commitment to the goal of climate neutrality in the European "
    "electricity sector significantly before 2050 as part of an initiative by Eurelectric, the sector "
    "association which represents the common interests of the electricity industry at a European level.",
    # a criterion the asset manager applies, not its own goal
    "Demonstration that CAPEX is consistent with achieving net zero emissions by 2050 We evaluate the "
    "company’s progress",
    # a benchmark's name
    "The key framework which guides our reporting is the TCFD framework which is also incorporated into "
    "CDP, a platform to which we have reported since 2010, and into new benchmarks such as the Climate "
    "Action 100+ net zero company benchmark launching in early 2021.",
    # a share of generation, not of the electricity the company uses
    "As a consequence, we have revised our strategy and now generate around 20 % of our electricity from "
    "renewable energy.",
    "8 Share of the Group’s power generation accounted for by renewable energy % 20.2 10.7 1 Data for 2020",
])
def test_not_the_companys_own_target(text):
    assert keys(text) == set()


def test_sbti_not_adopted_is_no_commitment():
    text = ("1 While we have not adopted Science Based Targets, we actively consider SBTi’s Corporate Net "
            "Zero Standard as a framework for ambitious climate strategy and will continue to utilize "
            "SBTi’s guidance.")
    assert not [f for f in extract_facts([(2, text)], ref_year=REF) if f.metric == "sbti"]


def test_the_company_opening_a_sentence_is_the_reporting_company():
    # SBTi's target wording, quoted by reports about themselves
    assert ("interim_target", 2030, 46.2) in keys(
        "The company commits to reduce absolute scope 1 and 2 GHG emissions 46.2% by 2030 from a 2019 "
        "base year.")


def test_a_superseded_target_is_recognised():
    # HSBC 2023 p.8; the issue's own wording
    assert en.SUPERSEDED.search("We previously set separate targets to reduce on-balance sheet financed "
                                "emissions for thermal coal power and thermal coal mining")
    assert en.SUPERSEDED.search("we replaced our target of")


# ---------------------------------------------------------------- which target
def test_a_year_of_another_statement_is_not_the_net_zero_year():
    text = ("Maersk remains fully committed to our ambition of eliminating greenhouse gas emissions, as we "
            "continue to work towards net-zero emissions from our ocean activities in 2050; a 60% relative "
            "reduction in emissions from shipping by 2030 compared to 2008, and investigating how we can "
            "expand our net-zero ambition to cover our full operations and value chain across all emission "
            "scopes.")
    assert keys(text) == {("net_zero", 2050, None), ("interim_target", 2030, 60.0)}


def test_relative_reduction_wording():
    facts = extract_facts([(11, "Our target is to deliver 60% relative CO2 reduction by 2030 (compared to "
                                "2008 baseline).")], ref_year=2021)
    assert [(f.metric, f.year, f.value, f.base_year) for f in facts] == [("interim_target", 2030, 60.0, 2008)]


def test_clean_energy_for_operations_is_renewable_electricity():
    assert keys("We have also committed to power our operations with 100% clean energy by 2035.") == {
        ("renewable_electricity_target", 2035, 100.0)}
    assert keys("We increased the share of clean energy powering our global operations, reaching 19% of our "
                "total supply as of the end of calendar year 2022.") == {("green_power_share", 2022, 19.0)}


# ---------------------------------------------------------------- Traditional Chinese
def test_traditional_chinese_reads_like_simplified_with_verbatim_evidence():
    text = ("內部策略及目標 資源使用效率・以 2020 年為基準，2030 年範疇 1&2 絕對碳排減少 42%・2025 年營收用水量降低 "
            "20%，營收廢棄物量降低 56%・2030 年全行 100% 使用再生能源・設置雨水回收及省水裝置")
    facts = extract_facts([(7, text)], ref_year=2023)
    assert {(f.metric, f.year, f.value) for f in facts} == {
        ("interim_target", 2030, 42.0), ("renewable_electricity_target", 2030, 100.0)}
    for f in facts:
        assert f.evidence in text
    cut = next(f for f in facts if f.metric == "interim_target")
    assert cut.base_year == 2020 and cut.scope == "scope 1+2"
    assert keys("有系統、有步驟地達成 2050 年淨零排放的目標。", ref=2023) == {("net_zero", 2050, None)}


def test_dated_items_of_one_clause_keep_their_own_subject():
    text = "建置太陽能板，2025 年自有大樓 100% 建置太陽能設備、2030 年國內全行 100% 使用再生能源．"
    assert keys(text, ref=2023) == {("renewable_electricity_target", 2030, 100.0)}


def test_a_product_made_carbon_neutral_is_not_the_companys_target():
    assert keys("2019 年起發行之全系列信用卡達成碳中和，至2022 年底共抵換 4,393 公噸二氧化碳發卡．", ref=2023) == set()


# ---------------------------------------------------------------- target wording without "target"
@pytest.mark.parametrize("text,key", [
    ("By 2050, have net zero CO2 emissions from our own ocean operations.", ("net_zero", 2050, None)),
    ("Our long-term strategy is clear: climate neutral by 2040.", ("carbon_neutral", 2040, None)),
    ("By 2030, deliver 60% relative reduction in CO2 emissions compared to 2008 levels.",
     ("interim_target", 2030, 60.0)),
])
def test_by_a_future_year_is_a_target(text, key):
    assert keys(text, ref=2021) == {key}


@pytest.mark.parametrize("text", [
    # a thing made net zero, not the company
    "Net zero vessels in operation By 2030, have commercially viable, net zero vessels operating in our fleet.",
])
def test_net_zero_things_are_not_targets(text):
    assert keys(text, ref=2021) == set()


def test_a_past_period_is_no_target_year():
    text = ("62 % reduction of annual CO2 emissions from 2012 to 2019 (NfR P. 13) 100 % climate neutral by "
            "2040 (NfR p. 12")
    assert keys(text, ref=2021) == {("carbon_neutral", 2040, None)}


# ---------------------------------------------------------------- ranges, KPI rows, confidence
def test_kpi_row_under_a_reduction_title_reads_a_range_at_its_lower_bound():
    # a chart's KPI boxes under its title, as the layout reader hands them ("title: row")
    title = "Our 2030 plans drive further reductions vs. 2016"
    facts = extract_facts([(6, f"{title}: GHG intensity 20-30% CORPORATE-WIDE")], ref_year=2025)
    assert [(f.metric, f.year, f.value, f.value_high, f.base_year) for f in facts] == [
        ("interim_target", 2030, 20.0, 30.0, 2016)]
    assert facts[0].rule == "en.reduction"
    # flaring is not a GHG metric
    assert extract_facts([(6, f"{title}: Flaring intensity 60-70% CORPORATE-WIDE")], ref_year=2025) == []


def test_an_estimate_is_kept_with_low_confidence():
    text = ("We estimate that our five-pillar plan will lead to a 20% reduction in our Scope 3 emissions "
            "intensity (inflation-adjusted) by 2030 from our baseline year of FY20, excluding fuel.")
    facts = extract_facts([(9, text)], ref_year=2024)
    assert [(f.metric, f.year, f.value) for f in facts] == [("interim_target", 2030, 20.0)]
    assert facts[0].confidence < 0.7
    firm = extract_facts([(6, "We have committed to an ambitious Scope 1 and Scope 2 emission reduction target: "
                              "39% absolute reduction by 2030 compared to our 2020 base year.")], ref_year=2024)
    assert [(f.value, f.confidence) for f in firm] == [(39.0, 1.0)]


def test_a_site_scoped_target_has_lower_confidence():
    text = ("Our Transition Plan aims to exclusively utilize 100% electricity sourced (scope 2 emissions) from "
            "renewable energy in all EU sites by 2025. The objective extends to our US sites by 2030.")
    facts = {f.year: f for f in extract_facts([(18, text)], ref_year=2024)}
    assert set(facts) == {2025, 2030}
    assert facts[2030].rule.endswith("+extends")
    assert all(f.confidence < 1.0 for f in facts.values())


def test_part_of_company_and_headline_share():
    from common.schema import Fact
    from extractors.facts import headline_shares
    assert en._part_of_company("renewable energy in all EU sites by 2025") == "EU sites"
    assert en._part_of_company("More than 900 employees have participated in Biogen’s “green") is None
    whole = Fact("green_power_share", 2023, 58.4, rule="en.share")
    part = Fact("green_power_share", 2023, 85.0, scope="Europe", rule="en.share_part", confidence=0.5)
    assert headline_shares([whole, part]) == [whole]
    assert headline_shares([part]) == [part]


# ---------------------------------------------------------------- headline share, lists of cuts
# No dev report words these forms (the unseen reports' false green-power shares were earlier
# values and history columns): the sentences are composed in the reports' own wording and the
# layout reader's row form, and say so.
@pytest.mark.parametrize("text,key", [
    # the as-of value, not the earlier one it rose from
    ("In 2022, 64% of the electricity we used came from renewable sources, up from 52% in 2021.",
     {("green_power_share", 2022, 64.0)}),
    ("We increased the share of renewable electricity to 85% in 2023 (2022: 79%).",
     {("green_power_share", 2023, 85.0)}),
    ("In 2023, renewable electricity made up 78% of our total electricity use.",
     {("green_power_share", 2023, 78.0)}),
    # a row of years or of columns is one share and its history
    ("Renewable electricity share: 2023 72% 2022 65% 2021 58%", {("green_power_share", 2023, 72.0)}),
    ("Percentage of renewable electricity 68 % 61 % 55 %", {("green_power_share", None, 68.0)}),
    # a share of sites is not a share of electricity
    ("85% of our sites are powered by renewable electricity.", set()),
    # a targets-table row
    ("Target: 100% renewable electricity by 2030. Progress: 67%",
     {("renewable_electricity_target", 2030, 100.0)}),
])
def test_headline_share_wording(text, key):
    assert keys(text) == key


@pytest.mark.parametrize("text,key", [
    ("Our near-term targets are to reduce absolute scope 1 and 2 emissions by 42% and scope 3 emissions by "
     "25% by 2030, against a 2021 baseline.", {("interim_target", 2030, 42.0), ("interim_target", 2030, 25.0)}),
    ("Reduce GHG emissions intensity by 30% by 2025 and 50% by 2030 (vs. 2015).",
     {("interim_target", 2025, 30.0), ("interim_target", 2030, 50.0)}),
    ("Scope 1 and 2 emissions: -42% by 2030 vs 2020", {("interim_target", 2030, 42.0)}),
])
def test_lists_of_cuts_and_signed_kpis(text, key):
    assert keys(text) == key


@pytest.mark.parametrize("text,key", [
    ("emissions reduction of 25% by 2025 against 2015 levels", {("interim_target", 2025, 25.0)}),
    ("Target 2030: reduce Scope 1 and 2 emissions by 50% (base year 2019)", {("interim_target", 2030, 50.0)}),
    ("2030 target: -50% Scope 1 and 2 GHG emissions vs 2019", {("interim_target", 2030, 50.0)}),
    # a bullet item under its heading, as the layout reader hands it
    ("Targets: 2030: 50% cut in Scope 1 and 2 emissions.", {("interim_target", 2030, 50.0)}),
    ("Our goal: 100% renewable energy in our operations by 2030", {("renewable_electricity_target", 2030, 100.0)}),
    # each keyword with the year that follows it
    ("We aim to be carbon neutral across our own operations by 2030 and net zero across our value chain by 2040.",
     {("carbon_neutral", 2030, None), ("net_zero", 2040, None)}),
    # Chinese: the next item of a list of dated shares keeps the list's subject
    ("目標 2025 年再生能源使用比例達 20%、2030 年達 50%。",
     {("renewable_electricity_target", 2025, 20.0), ("renewable_electricity_target", 2030, 50.0)}),
    ("公司承诺到2030年可再生电力使用比例达到60%，2025年达到30%。",
     {("renewable_electricity_target", 2030, 60.0), ("renewable_electricity_target", 2025, 30.0)}),
    ("以 2021 年為基準年，2030 年溫室氣體排放強度降低 25%-30%。", {("interim_target", 2030, 25.0)}),
])
def test_target_wording_forms(text, key):
    assert keys(text) == key


@pytest.mark.parametrize("text,key", [
    # a national goal's name, and the company's own goal that serves it
    ("In response to the national 'dual carbon' goals of peaking carbon emissions by 2030 and achieving "
     "carbon neutrality by 2060, we have formulated our strategy.", set()),
    ("To serve the 'dual carbon' goals, the Company will strive to achieve carbon neutrality in its "
     "operations by 2050.", {("carbon_neutral", 2050, None)}),
    # English wording of 碳达峰
    ("The Group aims to achieve carbon peak by 2028 and carbon neutrality by 2055.",
     {("peak", 2028, None), ("carbon_neutral", 2055, None)}),
])
def test_national_goal_names_and_carbon_peak(text, key):
    assert keys(text) == key


def test_a_subsidiarys_target_is_held_for_review():
    facts = extract_facts([(1, "Our subsidiary aims to be net zero by 2035.")], ref_year=REF)
    assert [(f.metric, f.year) for f in facts] == [("net_zero", 2035)] and facts[0].confidence < 0.8


# ---------------------------------------------------------------- targets-table rows
# The row form the layout reader (extractors/layout.py) hands the rules: "title: label | header:
# cell | …" (tests/test_layout_pdfs.py makes the tables these rows come from).
@pytest.mark.parametrize("row,key", [
    ("Our climate targets: Scope 1 and 2 GHG emissions | Baseline: 2019 | 2030 goal: -50% | 2023 progress: -21%",
     {("interim_target", 2030, 50.0)}),
    ("Our climate targets: Renewable electricity share | Baseline: 2019 | 2030 goal: 100% | 2023 progress: 68%",
     {("renewable_electricity_target", 2030, 100.0), ("green_power_share", 2023, 68.0)}),
    ("Share of renewable electricity | 2023: 62% | Target 2030: 100%",
     {("green_power_share", 2023, 62.0), ("renewable_electricity_target", 2030, 100.0)}),
    # absolute amounts are not percentages; the history columns are not the share
    ("Scope 1 and 2 emissions (ktCO2e) | 2023: 88 | Target 2030: 60", set()),
    ("Renewable electricity (%) | 2021: 45 | 2022: 52 | 2023: 61", {("green_power_share", 2023, 61.0)}),
    # a row of another metric
    ("Our climate targets: Employee volunteering hours | Baseline: 2020 | 2030 goal: 20,000 | 2023 progress: 12,500",
     set()),
])
def test_targets_table_rows(row, key):
    assert keys(row) == key


def test_row_facts_carry_base_year_rule_and_a_verbatim_quote():
    row = "Our climate targets: Scope 1 and 2 GHG emissions | Baseline: 2019 | 2030 goal: -50% | 2023 progress: -21%"
    (fact,) = extract_facts([(4, row)], ref_year=REF)
    assert (fact.base_year, fact.rule, fact.status) == (2019, "row.reduction", "target")
    assert fact.evidence in row and fact.evidence.endswith("2030 goal: -50%")


def test_a_page_header_with_bars_is_not_a_row():
    page = ("ExxonMobil | Advancing Climate Solutions | Executive Summary Explore more at exxonmobil.com "
            "6 Our plans and progress - 2030 GHG emission-reduction plans and 2050 net-zero ambition " * 3)
    assert ("net_zero", 2050, None) in keys(page, ref=2025)


def test_jianpai_alone_names_emissions():
    # AmCham 《双碳》 report, a hotel group's case: 减排 is itself "emission reduction"
    text = ("2021 年，洲际酒店集团在全球范围内启动了 “明日方州” 计划，将温升目标由2 度提升至 1.5 度，设定了以 2019 "
            "为基准年，在 2030 年前减排 46% 的长期目标。")
    facts = extract_facts([(48, text)], ref_year=2023)
    assert [(f.metric, f.year, f.value, f.base_year) for f in facts] == [("interim_target", 2030, 46.0, 2019)]


@pytest.mark.parametrize("text,own", [
    ("We continue to engage with SBTi on guidance for financial institutions and we participated", False),
    ("For reporting year 2020, RWE firstly reports its emissions according to the Science Based Targets "
     "approach.", False),
    ("RWE gave concrete form to its own ambitions with the science-based target and expanded its climate "
     "protection goals to all the activities", True),
    ("CO2 intensity of the electricity generation output of the RWE power plant portfolio Confirmation of "
     "Science Based Targets Initiative", True),
])
def test_sbti_mention_vs_commitment(text, own):
    assert ("sbti" in {f.metric for f in extract_facts([(2, text)], ref_year=2021)}) == own


def test_the_share_of_some_sites_is_a_part_of_the_company():
    facts = extract_facts([(1, "In 2023, 92% of our manufacturing sites used 100% renewable electricity.")],
                          ref_year=REF)
    assert [(f.metric, f.value, f.rule) for f in facts] == [("green_power_share", 100.0, "en.share_part")]
    assert facts[0].confidence < 0.5
