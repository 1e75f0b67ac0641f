"""Fault injection against a real server on 127.0.0.1, one fault each. Every fault becomes a failed
document (or the source's error) plus a log row; nothing raises; healthy companies still load."""
import time
from email.utils import formatdate

import pytest

try:
    from tests.crawl_server import Blackhole, CrawlServer, Route, fast_config, html, make_pdf, pdf, redirect, source
except ImportError:
    from crawl_server import Blackhole, CrawlServer, Route, fast_config, html, make_pdf, pdf, redirect, source

from extractors.crawl import crawl_source, crawl_sources
from extractors.fetch import parse_retry_after

GOOD = make_pdf("a healthy report " * 50)


def crawl_one(srv, tmp_path, route, **cfg):
    """Landing page linking to /r.pdf served by `route`; returns (result, the /r.pdf document)."""
    srv.route("/index.html", html('<a href="/r.pdf">2023 可持续发展报告</a>'))
    srv.route("/r.pdf", route)
    t0 = time.monotonic()
    result = crawl_source(source(srv), tmp_path, {}, fast_config(**cfg))
    result["elapsed"] = time.monotonic() - t0
    [doc] = result["documents"]
    return result, doc


def assert_recorded(result, doc, text):
    assert doc["status"] == "failed" and doc["path"] is None and doc["sha256"] is None
    assert text in doc["error"]
    rows = [r for r in result["log"] if r["url"] == doc["final_url"] and text in r["reason"]]
    assert rows and all(r["at"].endswith("Z") for r in rows)
    assert result["counts"]["failed"] >= 1


def test_500(tmp_path):
    with CrawlServer() as srv:
        result, doc = crawl_one(srv, tmp_path, Route(status=500, body=b"boom"))
        assert_recorded(result, doc, "HTTP 500")
        assert "gave up after 2 retries" in doc["error"] and doc["http_status"] == 500
        assert srv.hits("/r.pdf") == 3  # 1 + max_retries, with backoff
        assert [r["status"] for r in result["log"] if r["url"].endswith("/r.pdf")] == [500, 500, 500]


def test_500_then_ok_and_404_not_retried(tmp_path):
    with CrawlServer() as srv:
        _, doc = crawl_one(srv, tmp_path, [Route(status=502), Route(status=503), pdf(GOOD)])
        assert doc["status"] == "new" and srv.hits("/r.pdf") == 3
    with CrawlServer() as srv:
        result, doc = crawl_one(srv, tmp_path, Route(status=404))
        assert_recorded(result, doc, "HTTP 404")
        assert srv.hits("/r.pdf") == 1


def test_429_with_retry_after(tmp_path):
    with CrawlServer() as srv:
        _, doc = crawl_one(srv, tmp_path, [Route(status=429, headers={"Retry-After": "1"}), pdf(GOOD)])
        assert doc["status"] == "new"
        first, second = srv.times("/r.pdf")
        assert second - first >= 0.95  # waited as told (backoff alone would be 0.05 s)
    with CrawlServer() as srv:  # a Retry-After beyond the cap is not waited for
        result, doc = crawl_one(srv, tmp_path, Route(status=429, headers={"Retry-After": "3600"}))
        assert_recorded(result, doc, "Retry-After 3600s exceeds the cap")
        assert srv.hits("/r.pdf") == 1 and result["elapsed"] < 2
    future = formatdate(time.time() + 30, usegmt=True)  # the HTTP-date form
    assert 28 <= parse_retry_after(future) <= 30 and parse_retry_after("soon") is None


def test_connect_timeout(tmp_path):
    with Blackhole() as hole:
        src = {"case_no": 3, "name": "dead", "landing_url": hole.url("/index.html"), "allowed_domains": "127.0.0.1"}
        t0 = time.monotonic()
        result = crawl_source(src, tmp_path, {}, fast_config())
        assert time.monotonic() - t0 < 2.5  # no retries for a connect timeout
    assert result["documents"] == []
    assert "landing page failed" in result["error"] and "connect timeout" in result["error"]
    assert any("connect timeout" in r["reason"] and r["status"] is None for r in result["log"])


def test_body_that_stalls(tmp_path):
    with CrawlServer() as srv:
        result, doc = crawl_one(srv, tmp_path, pdf(GOOD, stall_after=100, stall=10))
        assert_recorded(result, doc, "read timeout: body stalled after 100 bytes")
        assert result["elapsed"] < 2.5
    with CrawlServer() as srv:  # a read timeout longer than what is left: the total deadline wins
        result, doc = crawl_one(srv, tmp_path, pdf(GOOD, stall_after=100, stall=10), read_timeout=5, total_timeout=1)
        assert_recorded(result, doc, "total timeout (1s) exceeded after 100 bytes")
        assert result["elapsed"] < 2.5


def test_body_that_drips_hits_the_total_timeout(tmp_path):
    with CrawlServer() as srv:  # each read is quick, the whole body would take 10 s
        result, doc = crawl_one(srv, tmp_path, pdf(GOOD, drip=(len(GOOD) // 100 + 1, 0.1)), total_timeout=1.0)
        assert_recorded(result, doc, "total timeout (1s) exceeded")
        assert result["elapsed"] < 2.5


def test_truncated_pdf(tmp_path):
    with CrawlServer() as srv:  # the connection closes before Content-Length bytes arrived
        result, doc = crawl_one(srv, tmp_path, pdf(GOOD[:300], content_length=len(GOOD)))
        assert_recorded(result, doc, f"truncated: connection closed after 300 of {len(GOOD)} bytes")
    with CrawlServer() as srv:  # a consistent length, but the file itself is cut short
        result, doc = crawl_one(srv, tmp_path, pdf(GOOD[: len(GOOD) - 40]))
        assert GOOD[: len(GOOD) - 40].startswith(b"%PDF")
        assert_recorded(result, doc, "truncated PDF: no %%EOF marker")
    assert not list(tmp_path.rglob("*.pdf")) and not list(tmp_path.rglob("*.part"))


def test_html_served_as_application_pdf(tmp_path):
    with CrawlServer() as srv:
        result, doc = crawl_one(srv, tmp_path, pdf(b"<!DOCTYPE html><html><body>Login required</body></html>"))
        assert_recorded(result, doc, "not a PDF: text/html body served as application/pdf")
        assert doc["http_status"] == 200 and doc["content_type"] == "application/pdf"


def test_oversized_file(tmp_path):
    big = make_pdf("big", pad=50_000)
    with CrawlServer() as srv:  # announced by Content-Length: refused before reading
        result, doc = crawl_one(srv, tmp_path, pdf(big), max_bytes=20_000)
        assert_recorded(result, doc, f"too large: Content-Length {len(big)} exceeds the 20000-byte cap")
    with CrawlServer() as srv:  # chunked, no length: cut off at the cap
        result, doc = crawl_one(srv, tmp_path, pdf(big, chunked=True), max_bytes=20_000)
        assert_recorded(result, doc, "too large: body exceeds the 20000-byte cap")
    with CrawlServer() as srv:  # chunked and within the cap: fine
        _, doc = crawl_one(srv, tmp_path, pdf(big, chunked=True))
        assert doc["status"] == "new" and doc["bytes"] == len(big)


def test_redirect_loop_and_cap(tmp_path):
    with CrawlServer() as srv:
        srv.route("/a.pdf", redirect("/r.pdf"))
        result, doc = crawl_one(srv, tmp_path, redirect("/a.pdf"))
        assert_recorded(result, doc, "redirect loop: ")
        assert srv.hits("/r.pdf") == 1 and srv.hits("/a.pdf") == 1
    with CrawlServer() as srv:
        for i in range(10):
            srv.route(f"/hop{i}", redirect(f"/hop{i + 1}"))
        result, doc = crawl_one(srv, tmp_path, redirect("/hop0"), max_redirects=3)
        assert_recorded(result, doc, "too many redirects (more than 3)")
        assert srv.hits("/hop2") == 1 and srv.hits("/hop3") == 0


@pytest.mark.parametrize("bad", [{"case_no": "x", "name": "n", "landing_url": "http://a/"},
                                 {"name": "no case"}, {"case_no": 1, "name": "n", "landing_url": "file:///etc/passwd"}])
def test_bad_source_is_recorded_not_raised(tmp_path, bad):
    result = crawl_source(bad, tmp_path, {}, fast_config())
    assert result["error"].startswith("bad source") and result["documents"] == []
    assert result["log"][0]["reason"] == result["error"]


def test_healthy_companies_fully_fetched_beside_broken_ones(tmp_path):
    """The whole fault zoo in one run, concurrently: the healthy companies get every report."""
    with CrawlServer() as srv, Blackhole() as hole:
        faults = {
            2: Route(status=500), 3: Route(status=429, headers={"Retry-After": "3600"}),
            4: pdf(GOOD, stall_after=10, stall=10), 5: pdf(GOOD[:200], content_length=len(GOOD)),
            6: pdf(b"<html>oops</html>"), 7: pdf(make_pdf("x", pad=30_000)), 8: redirect("/c/8/r.pdf"),
        }
        sources = []
        for n in range(1, 13):
            srv.route(f"/c/{n}/index.html", html(f'<a href="r.pdf">2023 ESG 报告</a><a href="old.pdf">2022 ESG 报告</a>'))
            srv.route(f"/c/{n}/r.pdf", faults.get(n, pdf(make_pdf(f"company {n} 2023"))))
            srv.route(f"/c/{n}/old.pdf", pdf(make_pdf(f"company {n} 2022")))
            sources.append(source(srv, f"/c/{n}/index.html", case_no=n))
        srv.route("/c/10/index.html", Route(status=500))  # a dead landing page
        sources.append({"case_no": 13, "name": "dead", "landing_url": hole.url("/"), "allowed_domains": "127.0.0.1"})
        sources.append({"case_no": 14, "name": "bad row"})
        t0 = time.monotonic()
        results = crawl_sources(sources, tmp_path, {}, fast_config(max_bytes=20_000), workers=8)
        assert time.monotonic() - t0 < 10
    by_case = {r["case_no"]: r for r in results}
    assert [r["case_no"] for r in results[:13]] == list(range(1, 14))
    for n in (1, 9, 11, 12):
        docs = by_case[n]["documents"]
        assert [d["status"] for d in docs] == ["new", "new"] and by_case[n]["error"] is None
        assert [d["report_year"] for d in docs] == [2023, 2022]
    for n in range(2, 9):
        d2023, d2022 = by_case[n]["documents"]
        assert d2023["status"] == "failed" and d2023["error"], n
        assert d2022["status"] == "new", n  # the company's other report is unaffected
    assert "HTTP 500" in by_case[10]["error"] and by_case[10]["documents"] == []
    assert "connect timeout" in by_case[13]["error"]
    assert by_case[14]["error"].startswith("bad source")


# ---- issue 13: time budgets that compose (per document, per company, inside the task timeout)
def test_one_byte_per_second_document_is_cut_off_by_its_total_deadline(tmp_path):
    """Each read is quick (a byte a second, well inside the read timeout): only a deadline on the
    whole download ends it."""
    with CrawlServer() as srv:
        result, doc = crawl_one(srv, tmp_path, pdf(GOOD, drip=(1, 1.0)), read_timeout=5, total_timeout=2)
        assert_recorded(result, doc, "total timeout (2s) exceeded after")
        assert result["elapsed"] < 4


def test_company_budget_ends_a_site_of_slow_reports_and_keeps_what_arrived(tmp_path):
    """30 report links that send a byte a second: the company's budget ends the crawl (the report
    that arrived first is kept, the rest logged as not fetched) and a healthy company crawled at
    the same time gets everything."""
    with CrawlServer() as srv:
        links = ['<a href="/slow/r2023.pdf">2023 ESG report</a>']
        srv.route("/slow/r2023.pdf", pdf(make_pdf("slow company 2023")))
        for n in range(30):
            links.append(f'<a href="/slow/part{n}.pdf">2022 ESG report part {n}</a>')
            srv.route(f"/slow/part{n}.pdf", pdf(GOOD, drip=(1, 1.0)))
        srv.route("/slow/index.html", html("".join(links)))
        srv.route("/ok/index.html", html('<a href="/ok/r.pdf">2023 ESG report</a>'))
        srv.route("/ok/r.pdf", pdf(make_pdf("healthy company 2023")))
        t0 = time.monotonic()
        slow, ok = crawl_sources([source(srv, "/slow/index.html", case_no=1), source(srv, "/ok/index.html", case_no=2)],
                                 tmp_path, {}, fast_config(read_timeout=5, total_timeout=2, company_budget=4), workers=2)
        elapsed = time.monotonic() - t0
    assert elapsed < 7  # 30 x 2 s of deadlines would be 60 s
    assert [d["status"] for d in ok["documents"]] == ["new"]
    assert slow["documents"][0]["status"] == "new" and slow["documents"][0]["report_year"] == 2023
    assert all(d["status"] == "failed" for d in slow["documents"][1:])
    assert 1 < len(slow["documents"]) <= 4  # a few slow parts started, the budget stopped the rest
    spent = [r for r in slow["log"] if "company crawl budget (4s) spent" in r["reason"]]
    assert spent and any("report links and 0 pages not fetched" in r["reason"] for r in spent)


def test_crawl_budgets_always_end_inside_the_fetch_task_timeout(monkeypatch):
    from common import settings

    assert settings.crawl_budget() == {"document_deadline": 120.0, "company_budget": 600.0}
    monkeypatch.setenv("CARBONWATCH_COMPANY_BUDGET", "86400")
    monkeypatch.setenv("CARBONWATCH_DOCUMENT_DEADLINE", "99999")
    budget = settings.crawl_budget()
    assert budget["company_budget"] <= 0.75 * settings.FETCH_TASK_TIMEOUT
    assert budget["document_deadline"] <= budget["company_budget"]
    assert settings.Settings.load({"company_budget": 30, "document_deadline": 10}).company_budget == 30
    with pytest.raises(ValueError, match="positive"):
        settings.crawl_budget(company_budget=-1)
