"""carbonwatch review: lists what waits (from the snapshot), accept / reject write the live
warehouse and publish a new snapshot."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import duckdb
import pytest
from click.testing import CliRunner

from carbonwatch.cli import main
from warehouse.db import connect
from warehouse.snapshot import publish_snapshot, snapshot_path
from warehouse_fixtures import Doc, F, bootstrap_sample, run

T0 = datetime(2026, 1, 5, 2, 0)


def cw(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture()
def wh(tmp_path):
    """Case 1's baseline, then a 2024 report with two low-confidence facts: a moved year and a
    new net-zero year."""
    path = tmp_path / "wh.duckdb"
    con = connect(path)
    try:
        bootstrap_sample(con, tmp_path, now=T0)
        run(con, "r0", [Doc(1, 2023, [F("peak", 2028), F("carbon_neutral", 2060)])], now=T0 + timedelta(days=1))
        run(con, "r1", [Doc(1, 2024, [F("peak", 2028), F("carbon_neutral", 2055, confidence=0.4, rule="en.modal"),
                                      F("net_zero", 2045, confidence=0.2, page=7)])], now=T0 + timedelta(days=2))
    finally:
        con.close()
    publish_snapshot(path)
    return path


def snapshot_rows(path, sql):
    con = duckdb.connect(str(snapshot_path(path)), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("cmd", [["review"], ["review", "accept"], ["review", "reject"]])
def test_review_commands_have_help(cmd):
    r = cw(*cmd, "--help")
    assert r.exit_code == 0 and "Usage:" in r.output


def test_review_lists_pending_facts_with_the_alert_they_would_raise(wh):
    r = cw("review", "-w", wh, "--json")
    assert r.exit_code == 0, r.output
    items = {i["target_key"]: i for i in json.loads(r.stdout)}
    assert set(items) == {"carbon_neutral|company", "net_zero|company"}
    cn = items["carbon_neutral|company"]
    assert (cn["change"], cn["old_value"], cn["new_value"], cn["would_alert"], cn["rule"]) == \
        ("changed", "2060", "2055", True, "en.modal")
    assert cn["evidence"] and cn["status"] == "pending"
    table = cw("review", "-w", wh).stdout
    assert "carbon_neutral|company" in table and "2060" in table and "2055" in table
    assert cw("review", "-w", wh, "--company", 2, "--csv").stdout.strip() == ",".join(
        json.loads(r.stdout)[0].keys())  # header only: nothing waits for case 2


def test_accept_and_reject_record_the_decision_and_publish_the_snapshot(wh):
    items = {i["target_key"]: i["review_id"] for i in json.loads(cw("review", "-w", wh, "--json").stdout)}
    r = cw("review", "accept", items["carbon_neutral|company"][:6], "-w", wh, "--reviewer", "ana",
           "--note", "p. 3 states 2055")
    assert r.exit_code == 0, r.output
    assert "alerts +1" in r.output and items["carbon_neutral|company"] in r.output
    # analysts see it at once: the snapshot was published after the write
    assert snapshot_rows(wh, "SELECT change, old_value, new_value FROM alerts") == [("changed", "2060", "2055")]
    assert snapshot_rows(wh, "SELECT status, reviewer, note FROM review_items WHERE target_key = "
                             "'carbon_neutral|company'") == [("accepted", "ana", "p. 3 states 2055")]
    r = cw("review", "-w", wh, "reject", items["net_zero|company"])
    assert r.exit_code == 0 and "alerts +0" in r.output
    assert json.loads(cw("review", "-w", wh, "--json").stdout) == []  # nothing waits
    decided = json.loads(cw("review", "-w", wh, "--all", "--json").stdout)
    assert sorted(i["status"] for i in decided) == ["accepted", "rejected"]
    assert snapshot_rows(wh, "SELECT decision, alerts FROM review_decisions ORDER BY decided_at") == \
        [("accepted", 1), ("rejected", 0)]


def test_summary_counts_what_waits(wh):
    r = cw("summary", wh)
    assert r.exit_code == 0 and "review: 2 facts wait for an analyst (2 would alert)" in r.output


@pytest.mark.parametrize("given,message", [("zzzzzz", "no review item"), ("ab", "too short")])
def test_a_wrong_id_fails_clearly_and_changes_nothing(wh, given, message):
    r = cw("review", "accept", given, "-w", wh)
    assert r.exit_code != 0 and message in r.output
    assert snapshot_rows(wh, "SELECT count(*) FROM review_decisions") == [(0,)]


def test_a_snapshot_older_than_the_review_list_is_explained(wh):
    con = duckdb.connect(str(snapshot_path(wh)))  # a snapshot published before review_items existed
    try:
        con.execute("DROP TABLE review_items")
    finally:
        con.close()
    r = cw("review", "-w", wh)
    assert r.exit_code != 0 and "predates the review list" in r.output
    assert cw("summary", wh).exit_code == 0
