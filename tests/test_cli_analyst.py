"""carbonwatch query / alerts / export / report (and --help on every command)."""
from __future__ import annotations

import csv
import io
import json

import duckdb
import pytest
from click.testing import CliRunner

from carbonwatch.cli import main
from warehouse_fixtures import EDITION2_ALERTS, sample_warehouse
from warehouse.snapshot import publish_snapshot, snapshot_path


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    path = sample_warehouse(tmp_path_factory.mktemp("cli") / "wh.duckdb")
    publish_snapshot(path)
    return path


def cw(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result


@pytest.mark.parametrize("cmd", [[], ["query"], ["alerts"], ["export"], ["report"], ["run"], ["summary"],
                                 ["cases"], ["extract"], ["mirror"], ["demo"]])
def test_every_command_has_help(cmd):
    r = cw(*cmd, "--help")
    assert r.exit_code == 0 and "Usage:" in r.output


def test_query_prints_a_table(wh):
    r = cw("query", "-w", wh, "SELECT case_no, company, net_zero_year FROM v_company_targets ORDER BY case_no")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].split("|")[0].strip() == "case_no" and set(lines[1]) <= {"-", "+"}
    assert len(lines) == 2 + 6 and "乙制造" in lines[3] and "2040" in lines[3]
    # CJK (double-width) cells line up: every row's separators sit at the same display columns
    from carbonwatch.cli.analyst import _width

    cols = {tuple(_width(line[:i]) for i, ch in enumerate(line) if ch == "|") for line in lines if "|" in line}
    assert len(cols) == 1


def test_query_csv_and_json(wh):
    r = cw("query", "-w", wh, "--csv", "SELECT case_no, metric, change FROM alerts ORDER BY case_no, metric")
    got = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [(int(x["case_no"]), x["metric"], x["change"]) for x in got] == \
        sorted((a[0], a[1], a[2]) for a in EDITION2_ALERTS)
    r = cw("query", "-w", wh, "--json", "SELECT * FROM v_company_targets WHERE case_no = 1")
    (row,) = json.loads(r.stdout)
    assert row["company"] == "甲能源" and row["carbon_neutral_year"] == 2055 and row["re100"] is True
    assert row["last_change_at"].startswith("2026-03-06")


@pytest.mark.parametrize("sql", ["DELETE FROM alerts", "CREATE TABLE x (a INT)", "UPDATE runs SET status = 'x'",
                                 "COPY alerts TO '/tmp/carbonwatch-should-not-exist.csv'",
                                 "SELECT * FROM read_csv('/etc/passwd')"])
def test_query_is_read_only(wh, sql):
    r = cw("query", "-w", wh, sql)
    assert r.exit_code != 0 and "query failed" in r.output
    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM alerts").fetchone() == (5,)
    finally:
        con.close()


def test_query_reads_the_snapshot_not_the_live_file(wh):
    assert snapshot_path(wh).exists()
    con = duckdb.connect(str(wh))  # a writer holds the live file: the query still works
    try:
        r = cw("query", "-w", wh, "SELECT count(*) AS n FROM companies")
    finally:
        con.close()
    assert r.exit_code == 0 and "6" in r.stdout


def test_query_errors_are_messages_not_tracebacks(wh, tmp_path):
    r = cw("query", "-w", wh, "SELECT nope FROM companies")
    assert r.exit_code == 1 and "Error: query failed" in r.output
    r = cw("query", "-w", tmp_path / "missing.duckdb", "SELECT 1")
    assert r.exit_code == 1 and "no warehouse" in r.output


def test_alerts_since(wh):
    r = cw("alerts", "-w", wh)
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 2 + 5
    assert "carbon_neutral" in r.stdout and "2055" in r.stdout
    assert len(cw("alerts", "-w", wh, "--since", "2026-03-01").stdout.splitlines()) == 7
    assert len(cw("alerts", "-w", wh, "--since", "2026-03-07").stdout.splitlines()) == 2  # header only
    got = json.loads(cw("alerts", "-w", wh, "--json", "--since", "2026-01-01").stdout)
    assert {(a["case_no"], a["metric"], a["change"], a["old_value"], a["new_value"]) for a in got} == EDITION2_ALERTS
    assert all("new_evidence" in a for a in got)
    assert cw("alerts", "-w", wh, "--since", "last week").exit_code == 2


def test_export_parquet(wh, tmp_path):
    r = cw("export", "-w", wh, "--parquet", tmp_path / "pq")
    assert r.exit_code == 0, r.output
    files = {p.stem for p in (tmp_path / "pq").glob("*.parquet")}
    assert {"companies", "documents", "facts", "target_history", "alerts", "runs", "validation_results",
            "quarantined_facts", "v_company_targets", "v_target_changes", "v_report_tables"} <= files
    con = duckdb.connect()
    n = con.execute(f"SELECT count(*) FROM read_parquet('{tmp_path / 'pq' / 'alerts.parquet'}')").fetchone()
    assert n == (5,)
    assert "export" in r.stderr  # tqdm progress


def test_report_writes_html(wh, tmp_path):
    out = tmp_path / "report.html"
    r = cw("report", "-w", wh, "--out", out)
    assert r.exit_code == 0 and out.exists()
    text = out.read_text(encoding="utf-8")
    assert text.count('<svg class="chart"') == 3 and "report" in r.stderr


def test_summary_reads_the_snapshot_while_the_warehouse_is_open_for_writing(wh):
    writer = duckdb.connect(str(wh))  # the nightly load holding the live file
    try:
        r = cw("summary", wh)
    finally:
        writer.close()
    assert r.exit_code == 0, r.output
    assert "companies:" in r.output and "alerts:" in r.output
