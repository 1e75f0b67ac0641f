"""Incremental nights through the task bodies (Airflow aside) into a real DuckDB file: the same
report served at two URLs is one document, and the next night both URLs answer 304."""
from __future__ import annotations

import csv

import duckdb
import pytest

try:
    from tests.crawl_server import CrawlServer, html, pdf
except ImportError:
    from crawl_server import CrawlServer, html, pdf

from carbonwatch.orchestration.inprocess import run_in_process
from carbonwatch.demo.mirror import build_mirror

CASE = 64


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory, report_cases, report_pdf):
    tmp = tmp_path_factory.mktemp("incremental")
    roots = build_mirror([report_cases[CASE - 1]], tmp / "mirror", edits=())
    body = (roots[1] / "companies" / f"{CASE:03d}" / "reports" / "esg-2023.pdf").read_bytes()
    with CrawlServer() as srv:
        srv.route("/index.html", html('<a href="/a/esg-2023.pdf">2023 可持续发展报告</a>'
                                      '<a href="/b/esg-report-2023.pdf">2023 ESG 报告（镜像）</a>'))
        srv.route("/a/esg-2023.pdf", pdf(body, etag='"v1"'))
        srv.route("/b/esg-report-2023.pdf", pdf(body, last_modified="Sat, 01 Jul 2023 00:00:00 GMT"))
        with (tmp / "sources.csv").open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([["case_no", "name", "landing_url", "allowed_domains"],
                                      [CASE, "中兴通讯", srv.url("/index.html"), "127.0.0.1"]])
        conf = {"sources": str(tmp / "sources.csv"), "warehouse": str(tmp / "wh.duckdb"),
                "raw_dir": str(tmp / "raw"), "report": str(report_pdf), "outbox": str(tmp / "alerts")}
        run_in_process(conf, "night-1")
        run_in_process(conf, "night-2")
    con = duckdb.connect(conf["warehouse"], read_only=True)
    yield con
    con.close()


def test_same_bytes_at_two_urls_are_one_document(two_nights):
    docs = two_nights.execute("SELECT count(*) FROM documents WHERE case_no = ?", [CASE]).fetchone()[0]
    urls = two_nights.execute("SELECT count(DISTINCT url), count(DISTINCT document_id) FROM document_urls").fetchone()
    assert docs == 1 and urls == (2, 1)


def test_second_night_asks_both_urls_conditionally_and_adds_nothing(two_nights):
    statuses = sorted(r[0] for r in two_nights.execute(
        "SELECT http_status FROM fetch_log WHERE run_id = 'night-2' AND url LIKE '%.pdf'").fetchall())
    assert statuses == [304, 304]
    new, unchanged, facts = two_nights.execute(
        "SELECT documents_new, documents_unchanged, facts_added FROM runs WHERE run_id = 'night-2'").fetchone()
    assert (new, facts) == (0, 0) and unchanged == 2
