"""English fact rules on real sentences of the shared company reports (HSBC 2023, Orange
2023, Lundbeck 2023, Biogen 2022, Drax 2023) plus the issue's own examples, and the
document-level score on the six real PDFs."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from common.settings import shared_dir
from extractors.facts import extract_facts

REF = 2024
SHARED = shared_dir()


def facts(text: str, page: int = 3):
    return extract_facts([(page, text)], ref_year=REF)


def keys(text: str):
    return {(f.metric, f.year, f.value, f.status) for f in facts(text)}


HSBC_NZ = ("Transition to net zero We have continued to take steps to implement our climate ambition "
           "to become net zero in our operations and our supply chain by 2030, and align our financed "
           "emissions to net zero by 2050.")


def test_two_net_zero_targets_with_scope_and_verbatim_evidence():
    got = facts(HSBC_NZ, page=2)
    assert {(f.metric, f.year, f.status) for f in got} == {("net_zero", 2030, "target"),
                                                           ("net_zero", 2050, "target")}
    by_year = {f.year: f for f in got}
    assert by_year[2050].scope == "financed emissions"
    assert by_year[2030].scope in ("value chain", "operations")
    for f in got:
        assert f.page == 2 and f.evidence in HSBC_NZ and len(f.evidence) <= 120


@pytest.mark.parametrize("text,key", [
    # qualifiers: "by 2050 or sooner", fiscal years, "no later than"
    ("We announced our ambition to become a net zero bank in October 2020, including an aim to "
     "align our financed emissions to net zero by 2050 or sooner.", ("net_zero", 2050)),
    ("We will achieve net zero emissions across our value chain by FY2049/50.", ("net_zero", 2050)),
    ("As such, our goal is to be net zero carbon by 2040.", ("net_zero", 2040)),
    ("Engaging suppliers to increase efficiency and reduce environmental impact is therefore critical "
     "to our target of achieving a net zero supply chain by 2045.", ("net_zero", 2045)),
])
def test_net_zero_years(text, key):
    assert key in {(f.metric, f.year) for f in facts(text)}


def test_fiscal_year_is_the_later_calendar_year():
    assert keys("We will achieve net zero emissions across our value chain by FY2049/50.") == {
        ("net_zero", 2050, None, "target")}


def test_carbon_neutral_achievement_vs_target():
    # the example: an achievement stated with "since"
    assert keys("Our own operations have been carbon neutral since FY2013.") == {
        ("carbon_neutral", 2013, None, "achieved")}
    assert keys("We aim to be carbon neutral in our operations by 2030.") == {
        ("carbon_neutral", 2030, None, "target")}


@pytest.mark.parametrize("text", [
    # customers' and others' goals
    "We aim to help our customers transition to net zero and a sustainable future by providing and "
    "facilitating between $750bn and $1tn of sustainable finance and investment by 2030.",
    "We support the UK's target of net zero by 2050.",
    # alliances, scenarios, near-zero, dates of publications
    "In 2023, the Glasgow Financial Alliance for Net Zero (‘GFANZ’) published its guidance.",
    "In January 2024, we published our net zero transition plan.",
    "All new sites are designed to be zero-carbon ready by 2030.",
    "Our new plant will run with near-zero emissions from 2028.",
])
def test_not_an_own_net_zero_target(text):
    assert [f for f in facts(text) if f.metric in ("net_zero", "carbon_neutral")] == []


# ---- interim targets
@pytest.mark.parametrize("text,key", [
    ("We set an absolute on-balance sheet reduction target of 70% for 2030, from an absolute 2020 "
     "baseline measure of 4.0 Mt CO2e.", (70.0, 2030, 2020)),
    ("Business travel Our ambition is to halve travel emissions by 2030, compared with "
     "pre-pandemic levels.", (50.0, 2030, None)),
    ("Targets and Performance Scope 1 & 2 Absolute Reduction Since 2019 (Target: 55% by 2032)",
     (55.0, 2032, 2019)),
    ("75.7% reduction in Scope 1 and 2 emissions from electricity generation by 2030 (kgCO2e/MWh)",
     (75.7, 2030, None)),
    ("Orange is committed to reduce its greenhouse gas emissions (scopes 1, 2 and 3) by 45% by 2030 "
     "(compared to 2020).", (45.0, 2030, 2020)),
    ("We will cut our scope 1 and 2 emissions by at least one third by 2030.", (100 / 3, 2030, None)),
])
def test_interim_targets(text, key):
    got = {(f.value, f.year, f.base_year) for f in facts(text) if f.metric == "interim_target"}
    assert key in got


def test_table_cells_and_past_cuts_are_not_targets():
    drax = ("from electricity generation by 2030 (kgCO2e/MWh) 2030 11 77% reduction 89% reduction 23 100 "
            "75.7% reduction in Scope 1 and 2 emissions from electricity generation by 2030 (kgCO2e/MWh)")
    assert {f.value for f in facts(drax) if f.metric == "interim_target"} == {75.7}
    past = "In 2023, emissions from our supply chain reduced by 3% compared with 2022."
    assert facts(past) == []
    energy = "We aim to reduce our energy consumption by 50% by 2030 compared with 2019."
    assert facts(energy) == []


# ---- renewable electricity: target vs achieved share, estimates, suppliers, tables
def test_renewable_target_and_achieved_share():
    t = ("As part of our ambition to achieve 100% renewable electricity across our operations by 2030, "
         "we signed new power purchase agreements.")
    assert keys(t) == {("renewable_electricity_target", 2030, 100.0, "target")}
    s = "This was mainly attributed to an increase in our consumption of renewable electricity to 58.4%."
    assert {(f.metric, f.value) for f in facts(s)} == {("green_power_share", 58.4)}
    o = "€500 million 46.6% of electricity consumed comes from renewable sources 2021 402 2022 549"
    assert {(f.metric, f.value) for f in facts(o)} == {("green_power_share", 46.6)}
    b = "In our operations, we maintained 100% renewable electricity, expanded our EV program."
    assert {(f.metric, f.value, f.status) for f in facts(b)} == {("green_power_share", 100.0, "achieved")}


def test_site_scoped_renewable_target():
    t = ("RENEWABLE SOURCES IN ITALY Our Transition Plan aims to exclusively utilize 100% electricity "
         "sourced (scope 2 emissions) from renewable energy in all EU sites by 2025.")
    [f] = facts(t)
    assert (f.metric, f.year, f.value) == ("renewable_electricity_target", 2025, 100.0)
    assert f.scope and "sites" in f.scope


@pytest.mark.parametrize("text", [
    "Thanks to our actions, we estimate that 75% of our electricity needs in Europe will be covered "
    "by renewable energies by 2025.",
    "As of the end of Q1 2023, 37% of Biogen’s top 50% of suppliers, by spend, have committed to 100% "
    "renewable electricity by 2040, an increase from the 26% with commitments at the same time last year.",
    "Proportion of renewable generation output 99.9%",
])
def test_not_an_own_renewable_share(text):
    assert [f for f in facts(text) if f.metric in ("renewable_electricity_target",
                                                   "green_power_share")] == []


def test_table_row_share():
    t = "44,474 43,913 43,353 Renewable electricity share % b. 71 66 54 1"
    assert {(f.metric, f.value) for f in facts(t)} == {("green_power_share", 71.0)}


# ---- RE100 membership vs RE100 standard; SBTi own, suppliers', withdrawn
def test_re100_membership_vs_standard():
    m = ("8 RE100 member Biogen achieved 100% renewable electricity (as defined by RE100) across 30 of "
         "the markets in which it operates.")
    assert any(f.metric == "re100" and f.value is True for f in facts(m))
    s = ("We buy Renewable Energy Attribute Certificates aligned with the RE100 technical guidance for "
         "our US and global affiliates.")
    assert not any(f.metric == "re100" for f in facts(s))
    assert not any(f.metric == "re100" for f in facts(
        "All our sites use 100% renewable power (RE100 standard)."))


def test_sbti():
    own = "A 2025 decarbonization trajectory based on the Science Based Targets initiative (SBTi)"
    assert {f.metric for f in facts(own)} == {"sbti"}
    suppliers = ("In addition, 22.6% of Biogen’s top 80% of suppliers, by spend, have set Science Based "
                 "Targets initiative (SBTi)-approved climate targets.")
    assert not any(f.metric == "sbti" for f in facts(suppliers))
    withdrawn = [(8, "In January 2023, we withdrew our commitment to the Science Based Targets "
                     "initiative (‘SBTi’), which we had made in 2016."),
                 (9, "Our sector targets follow the SBTi sectoral decarbonisation approach.")]
    assert not any(f.metric == "sbti" for f in extract_facts(withdrawn, ref_year=REF))


# ---- whole documents: the dev labels of the six real PDFs
def test_real_pdfs_dev_score(tmp_path):
    pdfs = sorted((SHARED / "realpdfs").glob("*.pdf"))
    labels = SHARED / "realpdfs" / "labels.dev.jsonl"
    if not pdfs or not labels.exists():
        pytest.fail(f"shared real PDFs missing under {SHARED}")
    out = tmp_path / "real.jsonl"
    with out.open("w") as fh:
        proc = subprocess.run([sys.executable, "-m", "carbonwatch.cli", "extract", *map(str, pdfs)],
                              stdout=fh, stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert {r["file"] for r in recs} == {p.name for p in pdfs}
    for r in recs:
        for f in r["facts"]:
            assert isinstance(f["page"], int) and f["evidence"]
    score = subprocess.run([sys.executable, str(SHARED / "tools" / "score.py"), str(labels), str(out),
                            "--key", "file", "--min-f1", "0.80"], capture_output=True, text=True)
    assert score.returncode == 0, score.stdout
    # the bank report is a negative control: national goals only
    pingan = next(r for r in recs if r["file"].startswith("pinganbank"))
    assert pingan["facts"] == []


def test_objective_extended_to_another_scope_and_year():
    page = ("RENEWABLE SOURCES IN ITALY Our Transition Plan aims to exclusively utilize 100% electricity "
            "sourced (scope 2 emissions) from renewable energy in all EU sites by 2025. The objective "
            "extends to our US sites by 2030.")
    got = {(f.metric, f.year, f.value) for f in facts(page)}
    assert got == {("renewable_electricity_target", 2025, 100.0),
                   ("renewable_electricity_target", 2030, 100.0)}
    # without an antecedent target the sentence alone says nothing
    assert facts("The objective extends to our US sites by 2030.") == []


@pytest.mark.parametrize("text,key", [
    ("Our emissions peaked in 2018 and have declined since.", ("peak", 2018, None, "achieved")),
    ("We expect our emissions to peak in 2025.", ("peak", 2025, None, "target")),
    ("The company commits to reduce absolute scope 1 and 2 GHG emissions 46.2% by 2030 from a 2019 "
     "base year.", ("interim_target", 2030, 46.2, "target")),
    ("By 2030, we will reduce our absolute Scope 1 and 2 emissions by 60% against a 2020 baseline.",
     ("interim_target", 2030, 60.0, "target")),
])
def test_peaks_and_sbti_style_reduction_wording(text, key):
    assert key in keys(text)


@pytest.mark.parametrize("text", [
    "We reduced Scope 1 and 2 emissions by 35% compared to 2019.",
    "To limit warming to 1.5°C, the IPCC says global emissions must fall 45% by 2030 from 2010 levels.",
    "We target a 25% cut in water use by 2030.",
    "The EU aims to be climate neutral by 2050.",
])
def test_no_own_target(text):
    assert facts(text) == []


@pytest.mark.parametrize("text,key", [
    ("We are on track to meet our 2040 net-zero target.", ("net_zero", 2040, None, "target")),
    ("We aim to cut our operational emissions in half by 2030.", ("interim_target", 2030, 50.0, "target")),
    ("Renewable electricity (%) 85 78 64", ("green_power_share", None, 85.0, "achieved")),
])
def test_compact_wordings(text, key):
    assert keys(text) == {key}


def test_scenario_names_are_not_targets():
    assert facts("The bank uses the IEA Net Zero Emissions by 2050 Scenario to set sector targets.") == []
