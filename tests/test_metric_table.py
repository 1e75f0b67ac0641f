"""Every consumer of the metric table (common/metrics.py) covers every metric."""
from __future__ import annotations

import re

import duckdb
import pytest

from common.metrics import KINDS, METRIC_NAMES, METRIC_TABLE, METRICS, YEAR_METRICS
from common.schema import Fact


def test_the_table_is_well_formed():
    assert len(set(METRIC_NAMES)) == len(METRIC_TABLE) == 8
    for spec in METRIC_TABLE:
        assert spec.kind in KINDS, spec.name
        assert re.fullmatch(r"#[0-9a-f]{6}", spec.colour), spec.name
        assert spec.label and spec.label_zh and spec.canonical
        assert set(spec.triggers) == {"zh", "en"}, spec.name
        for pattern in spec.triggers.values():
            re.compile(pattern)
        if spec.kind == "status":
            assert set(spec.stages) == {"target", "achieved"}


def _sample(spec) -> Fact:
    return Fact(spec.name, year=2030, value=True if spec.kind == "membership" else (None if spec.kind in ("year", "status") else 40.0),
                base_year=2020 if spec.name == "interim_target" else None, page=1, evidence="x")


@pytest.mark.parametrize("spec", METRIC_TABLE, ids=lambda s: s.name)
def test_candidate_filter_reads_every_metric_trigger(spec):
    from extractors.document import CANDIDATE

    for pattern in spec.triggers.values():
        assert pattern in CANDIDATE.pattern


@pytest.mark.parametrize("spec", METRIC_TABLE, ids=lambda s: s.name)
def test_normalisation_and_diff_know_every_metric(spec):
    from transforms.diff import _kind, diff_targets, targets_from_facts
    from transforms.normalize import canonical_value

    value = canonical_value(_sample(spec))
    assert not value.startswith("{"), value  # not the fallback for unknown metrics
    assert _kind(spec.name) == spec.kind
    old = targets_from_facts([_sample(spec)])
    assert diff_targets(1, old, old) == []
    assert [c.change for c in diff_targets(1, {}, old)] == ["added"]


def test_canonical_values_read_as_before():
    from transforms.normalize import canonical_value

    assert canonical_value(Fact("net_zero", 2050)) == "2050"
    assert canonical_value(Fact("peak", 2025, status="achieved")) == "2025 (achieved)"
    assert canonical_value(Fact("re100", value=True)) == "member"
    assert canonical_value(Fact("sbti", status="achieved")) == "targets validated"
    assert canonical_value(Fact("green_power_share", 2022, 35.0, status="achieved")) == "35% in 2022"
    assert canonical_value(Fact("renewable_electricity_target", 2030, 100.0)) == "100% by 2030"
    assert canonical_value(Fact("interim_target", 2030, 42.5, base_year=2019)) == "-42.5% by 2030 vs 2019"


def test_gx_suite_allows_every_metric_and_requires_years_of_year_metrics():
    from expectations.validate import load_suite_dict

    suite = load_suite_dict("facts")
    in_set = [e for e in suite["expectations"] if e["kwargs"].get("column") == "metric"
              and e["type"] == "expect_column_values_to_be_in_set"]
    assert in_set and in_set[0]["kwargs"]["value_set"] == list(METRIC_NAMES)
    conditioned = [e["kwargs"]["row_condition"]["parameter"] for e in suite["expectations"]
                   if isinstance(e["kwargs"].get("row_condition"), dict)]
    assert list(YEAR_METRICS) in conditioned


def test_views_cover_every_metric(tmp_path):
    from warehouse.db import connect

    con = connect(str(tmp_path / "w.duckdb"))
    try:
        assert [r[0] for r in con.execute("SELECT metric FROM v_metric_coverage").fetchall()] == list(METRIC_NAMES)
        columns = {r[0] for r in con.execute("DESCRIBE v_company_targets").fetchall()}
    finally:
        con.close()
    for name in METRIC_NAMES:
        assert any(c.startswith(name) or c.startswith(name.split("_")[0]) for c in columns), name
    assert {f"{m}_year" for m in YEAR_METRICS} <= columns


def test_report_has_a_colour_and_label_for_every_metric():
    from carbonwatch.reporting.html import METRIC_COLORS, METRIC_LABELS

    assert set(METRIC_COLORS) == set(METRIC_LABELS) == set(METRICS)
    assert len(set(METRIC_COLORS.values())) == len(METRICS)


def test_the_spelling_of_a_metric_lives_in_the_table():
    """Outside the metric table, the extractor's rules and tests, no module spells a metric's name."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    allowed = {root / "common" / "metrics.py"}
    offenders = []
    for package in ("common", "transforms", "expectations", "warehouse", "carbonwatch", "dags"):
        for path in (root / package).rglob("*.py"):
            if path in allowed:
                continue
            text = path.read_text(encoding="utf-8")
            if re.search(r"[\"']green_power_share[\"']", text):
                offenders.append(str(path.relative_to(root)))
    assert not offenders, offenders
