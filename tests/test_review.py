"""Alerts an analyst can trust (hand-made warehouses, no Airflow): like is compared with like, a
low-confidence fact waits for review instead of alerting, a decision holds for the value in later
reports, and an accepted value does not yield to a less confident extraction."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from common import settings
from common.schema import Fact
from transforms.diff import diff_targets, targets_from_facts
from warehouse.db import connect, rows
from warehouse.history import decide
from warehouse_fixtures import Doc, F, bootstrap_sample, run

T0 = datetime(2026, 1, 5, 2, 0)
LOW, SURE = 0.3, 0.9
BASE = [F("peak", 2028), F("carbon_neutral", 2060), F("interim_target", 2030, 30, 2020, page=4)]


def report(carbon_neutral: int, confidence: float | None = None, page: int = 3) -> list[dict]:
    """The baseline's targets with carbon_neutral set to a year, extracted with `confidence`."""
    return [BASE[0], F("carbon_neutral", carbon_neutral, confidence=confidence, page=page), BASE[2]]


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


@pytest.fixture()
def con(tmp_path):
    """Case 1 bootstrapped, then its own 2023 report as the baseline."""
    con = connect(tmp_path / "wh.duckdb")
    bootstrap_sample(con, tmp_path, now=day(-1))
    run(con, "r0", [Doc(1, 2023, BASE)], now=day(0))
    yield con
    con.close()


def q(con, sql, params=()):
    return con.execute(sql, params).fetchall()


def current(con, metric, case_no=1):
    return q(con, "SELECT value FROM target_history WHERE case_no = ? AND metric = ? AND is_current "
                  "ORDER BY target_key", [case_no, metric])


def pending(con):
    return rows(con, "SELECT * FROM review_items WHERE status = 'pending' ORDER BY target_key, value")


def test_a_low_confidence_change_waits_for_review_with_the_alert_it_would_raise(con):
    counts = run(con, "r1", [Doc(1, 2024, [BASE[0], F("carbon_neutral", 2055, confidence=LOW, rule="en.hedge"), BASE[2]])], now=day(1))
    assert counts["alerts"] == 0 and counts["review_pending"] == 1
    assert current(con, "carbon_neutral") == [("2060",)]  # neither changed nor withdrawn
    (item,) = pending(con)
    assert (item["target_key"], item["value"], item["change"], item["old_value"], item["new_value"]) == \
        ("carbon_neutral|company", "2055", "changed", "2060", "2055")
    assert item["would_alert"] and item["confidence"] == LOW and item["rule"] == "en.hedge"
    assert item["reason"] == f"confidence {LOW:.2f} < {settings.DEFAULT_REVIEW_CONFIDENCE:g}"
    # the same report again adds nothing, the item stays one
    assert run(con, "r1b", [], now=day(2))["alerts"] == 0
    assert len(pending(con)) == 1


def test_accept_applies_the_change_and_raises_its_alert(con):
    run(con, "r1", [Doc(1, 2024, report(2055, LOW))], now=day(1))
    (item,) = pending(con)
    done = decide(con, [item["review_id"][:6]], "accepted", reviewer="ana", note="p. 3 says 2055", now=day(2))
    assert done == {"decided": [item["review_id"]], "history_rows": 1, "alerts": 1}
    assert q(con, "SELECT change, old_value, new_value FROM alerts") == [("changed", "2060", "2055")]
    assert q(con, "SELECT value, reviewed, confidence FROM target_history WHERE case_no = 1 "
                  "AND metric = 'carbon_neutral' AND is_current") == [("2055", True, 1.0)]
    assert q(con, "SELECT status, reviewer, note FROM review_items") == [("accepted", "ana", "p. 3 says 2055")]
    assert q(con, "SELECT decision, reviewer, history_rows, alerts FROM review_decisions") == \
        [("accepted", "ana", 1, 1)]
    # accepting again changes nothing more
    assert decide(con, [item["review_id"]], "accepted", now=day(3))["alerts"] == 0
    assert q(con, "SELECT count(*) FROM alerts") == [(1,)]


def test_a_rejected_value_never_alerts_again_even_from_a_later_report(con):
    run(con, "r1", [Doc(1, 2024, report(2055, LOW))], now=day(1))
    (item,) = pending(con)
    assert decide(con, [item["review_id"]], "rejected", reviewer="ana", now=day(2))["alerts"] == 0
    assert current(con, "carbon_neutral") == [("2060",)]  # a rejected fact is no withdrawal either
    # a later report yields the same value, even with high confidence: still no alert, no new item
    counts = run(con, "r2", [Doc(1, 2025, report(2055, SURE, page=9))],
                 now=day(3))
    assert counts["alerts"] == 0 and pending(con) == []
    assert current(con, "carbon_neutral") == [("2060",)]
    assert q(con, "SELECT status, last_run_id FROM review_items") == [("rejected", "r2")]
    # another value in a still later report is a new question
    counts = run(con, "r3", [Doc(1, 2026, report(2050))], now=day(4))
    assert counts["alerts"] == 1 and current(con, "carbon_neutral") == [("2050",)]


def test_an_accepted_value_does_not_yield_to_a_less_confident_extraction(con):
    run(con, "r1", [Doc(1, 2024, report(2055, LOW))], now=day(1))
    decide(con, [pending(con)[0]["review_id"]], "accepted", now=day(2))
    # above the review threshold, but less sure than the analyst: held for review, no alert
    counts = run(con, "r2", [Doc(1, 2025, report(2050, SURE))], now=day(3))
    assert counts["alerts"] == 0 and current(con, "carbon_neutral") == [("2055",)]
    (item,) = pending(con)
    assert item["value"] == "2050" and item["reason"].startswith("would overwrite an accepted value")
    assert (item["change"], item["old_value"], item["new_value"], item["would_alert"]) == \
        ("changed", "2055", "2050", True)
    # the accepted value re-extracted with low confidence is still the accepted one: nothing waits
    run(con, "r3", [Doc(1, 2026, report(2055, LOW))], now=day(4))
    assert pending(con) == [] and current(con, "carbon_neutral") == [("2055",)]
    # as sure as the analyst (1.0): the new value wins, with its alert
    counts = run(con, "r4", [Doc(1, 2027, report(2045, 1.0))], now=day(5))
    assert counts["alerts"] == 1 and current(con, "carbon_neutral") == [("2045",)]


def test_accepting_a_fact_of_the_baseline_report_raises_no_alert(tmp_path):
    con = connect(tmp_path / "wh.duckdb")
    bootstrap_sample(con, tmp_path, now=day(-1))
    counts = run(con, "r0", [Doc(1, 2023, BASE + [F("net_zero", 2050, confidence=LOW)])], now=day(0))
    assert counts["alerts"] == 0
    (item,) = pending(con)
    assert (item["change"], item["would_alert"]) == ("added", False)
    done = decide(con, [item["review_id"]], "accepted", now=day(1))
    assert (done["history_rows"], done["alerts"]) == (1, 0)
    assert current(con, "net_zero") == [("2050",)]
    con.close()


def test_achieved_progress_never_changes_a_target(con):
    # the report states the interim target and the reduction achieved so far; next year the
    # achieved figure moves (as it does every year) and the target stays: no alert
    run(con, "r1", [Doc(1, 2024, BASE + [F("interim_target", 2023, 12, 2020, status="achieved", page=5),
                                         F("carbon_neutral", 2015, status="achieved", scope="运营")])], now=day(1))
    counts = run(con, "r2", [Doc(1, 2025, BASE + [F("interim_target", 2024, 18, 2020, status="achieved", page=5)])],
                 now=day(2))
    assert counts["alerts"] == 0 and counts["history_rows"] == 1  # the progress row, no target row
    assert q(con, "SELECT target_key, value FROM target_history WHERE case_no = 1 AND metric = 'interim_target' "
                  "AND is_current ORDER BY target_key") == \
        [("interim_target|company", "-30% by 2030 vs 2020"), ("interim_target|company|achieved",
                                                             "-18% by 2024 vs 2020 (achieved)")]
    assert q(con, "SELECT count(*) FROM alerts") == [(0,)]


def test_a_goal_replaced_by_its_achievement_alerts_once_as_reached(con):
    counts = run(con, "r1", [Doc(1, 2024, [F("peak", 2022, status="achieved"), F("carbon_neutral", 2060),
                                           F("interim_target", 2030, 30, 2020, page=4)])], now=day(1))
    assert counts["alerts"] == 1
    assert q(con, "SELECT metric, change, old_value, new_value FROM alerts") == \
        [("peak", "changed", "2028", "2022 (achieved)")]


@pytest.mark.parametrize("facts,keys", [
    # a target and an achieved figure of one metric and scope are two keys; a share is one
    ([F("interim_target", 2030, 42, 2019), F("interim_target", 2023, 45, 2019, status="achieved")],
     {"interim_target|company", "interim_target|company|achieved"}),
    ([F("renewable_electricity_target", 2030, 100.0), F("green_power_share", 2023, 58.4, status="achieved")],
     {"renewable_electricity_target|company", "green_power_share|company"}),
    ([F("sbti", status="target"), F("re100")], {"sbti|company", "re100|company"}),
])
def test_target_keys_compare_like_with_like(facts, keys):
    assert set(targets_from_facts([Fact.from_dict(f) for f in facts])) == keys


def test_an_achieved_share_moving_is_compared_with_the_achieved_share_only():
    old = targets_from_facts([Fact.from_dict(F("renewable_electricity_target", 2030, 100.0)),
                              Fact.from_dict(F("renewable_electricity_target", 2022, 40.0, status="achieved"))])
    new = targets_from_facts([Fact.from_dict(F("renewable_electricity_target", 2030, 100.0)),
                              Fact.from_dict(F("renewable_electricity_target", 2023, 55.0, status="achieved"))])
    (ch,) = diff_targets(1, old, new)
    assert ch.key == "renewable_electricity_target|company|achieved" and not ch.alerts


def test_review_confidence_setting(monkeypatch):
    assert settings.review_confidence() == settings.DEFAULT_REVIEW_CONFIDENCE
    monkeypatch.setenv("CARBONWATCH_REVIEW_CONFIDENCE", "0.8")
    assert settings.review_confidence() == 0.8
    assert settings.resolve({"review_confidence": "0.5"})["review_confidence"] == 0.5
    monkeypatch.setenv("CARBONWATCH_REVIEW_CONFIDENCE", "80")
    with pytest.raises(ValueError, match="between 0 and 1"):
        settings.review_confidence()


def test_the_threshold_decides_what_waits(con):
    facts = [F("peak", 2027, confidence=0.7), F("carbon_neutral", 2060), F("interim_target", 2030, 30, 2020, page=4)]
    counts = run(con, "r1", [Doc(1, 2024, facts)], now=day(1), threshold=0.75)
    assert counts["alerts"] == 0 and [i["value"] for i in pending(con)] == ["2027"]
    counts = run(con, "r2", [Doc(1, 2024, facts, name="-rev")], now=day(2), threshold=0.7)
    assert counts["alerts"] == 1 and current(con, "peak") == [("2027",)]
    # trusted now: the waiting item is no longer a question about the current report
    assert pending(con) == []
