"""Fault injection through the whole path, Airflow aside: faulty sites on a real server on
127.0.0.1 beside healthy mirror companies, run through the DAG's task bodies into a real
DuckDB file. Every fault is a recorded row, the run completes, and the healthy companies are
fully loaded with their facts."""
from __future__ import annotations

import csv

import duckdb
import pytest

try:
    from tests.crawl_server import CrawlServer, Route, html, make_pdf, pdf
except ImportError:
    from crawl_server import CrawlServer, Route, html, make_pdf, pdf

from carbonwatch.orchestration.inprocess import run_in_process
from carbonwatch.demo.mirror import build_mirror

HEALTHY = (64, 67, 71)
GOOD = make_pdf("a report " * 40)
FAULTS = {  # case_no: (route of its 2023 report, words the recorded reason must hold)
    1: (Route(status=500), "500"),
    2: (pdf(b"<html><body>maintenance</body></html>"), "not a PDF"),
    3: (pdf(GOOD[:300], content_length=len(GOOD)), "truncated"),
    4: (pdf(b"%PDF-1.7\n" + b"\x00garbage" * 400 + b"\n%%EOF\n"), ""),  # passes the fetch, fails the parse
}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, report_cases, report_pdf):
    tmp = tmp_path_factory.mktemp("faults")
    roots = build_mirror([report_cases[n - 1] for n in HEALTHY], tmp / "mirror", edits=())
    with CrawlServer() as srv:
        rows = []
        for n in HEALTHY:
            reports = roots[1] / "companies" / f"{n:03d}" / "reports"
            srv.route(f"/c/{n}/index.html", html('<a href="esg-2023.pdf">2023 可持续发展报告</a>'))
            srv.route(f"/c/{n}/esg-2023.pdf", pdf((reports / "esg-2023.pdf").read_bytes()))
            rows.append([n, f"healthy {n}", srv.url(f"/c/{n}/index.html"), "127.0.0.1"])
        for n, (route, _) in FAULTS.items():
            srv.route(f"/c/{n}/index.html", html('<a href="esg-2023.pdf">2023 ESG 报告</a>'))
            srv.route(f"/c/{n}/esg-2023.pdf", route)
            rows.append([n, f"faulty {n}", srv.url(f"/c/{n}/index.html"), "127.0.0.1"])
        rows.append([5, "dead site", srv.url("/c/5/index.html"), "127.0.0.1"])  # 404 landing page
        with (tmp / "sources.csv").open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([["case_no", "name", "landing_url", "allowed_domains"], *rows])
        conf = {"sources": str(tmp / "sources.csv"), "warehouse": str(tmp / "wh.duckdb"),
                "raw_dir": str(tmp / "raw"), "report": str(report_pdf), "outbox": str(tmp / "alerts")}
        run_in_process(conf, "faults-run", workers=4)
    con = duckdb.connect(conf["warehouse"], read_only=True)
    yield con
    con.close()


def test_every_fault_is_a_recorded_failure_with_its_reason(loaded):
    failed = dict(loaded.execute(
        "SELECT case_no, error FROM documents WHERE case_no IS NOT NULL "
        "AND (fetch_status = 'failed' OR parse_status = 'failed')").fetchall())
    assert set(failed) == set(FAULTS) | {5}
    for n, (_, words) in FAULTS.items():
        assert words.lower() in failed[n].lower(), (n, failed[n])
    assert "404" in failed[5]
    assert loaded.execute("SELECT count(*) FROM fetch_log WHERE run_id = 'faults-run'").fetchone()[0] > 0


def test_the_run_completes_and_counts_its_failures(loaded):
    status, failed, new = loaded.execute(
        "SELECT status, documents_failed, documents_new FROM runs WHERE run_id = 'faults-run'").fetchone()
    assert status == "success"
    assert failed == len(FAULTS) + 1
    assert new == len(HEALTHY) + 1  # the corrupt PDF arrived (it is a new document) but failed to parse


def test_healthy_companies_are_fully_loaded(loaded):
    parsed = loaded.execute(
        "SELECT case_no, facts FROM documents WHERE parse_status = 'parsed' AND case_no IS NOT NULL ORDER BY 1").fetchall()
    assert [c for c, _ in parsed] == list(HEALTHY)
    per_case = dict(loaded.execute(
        "SELECT f.case_no, count(*) FROM facts f JOIN documents d USING (document_id) "
        "WHERE d.case_no IS NOT NULL GROUP BY 1").fetchall())
    assert all(per_case.get(n, 0) == facts and facts > 0 for n, facts in parsed)
