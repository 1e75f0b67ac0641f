"""Politeness: robots.txt, one identifying User-Agent, per-host delay and concurrency, Crawl-delay."""
try:
    from tests.crawl_server import CrawlServer, Route, fast_config, html, make_pdf, pdf, source
except ImportError:
    from crawl_server import CrawlServer, Route, fast_config, html, make_pdf, pdf, source

from extractors.crawl import CrawlConfig, crawl_source, crawl_sources

ROBOTS = """User-agent: *
Disallow: /

User-agent: carbonwatch
Disallow: /private/
Disallow: /*-draft.pdf$
"""


def text(body):
    return html(body, content_type="text/plain")


def test_robots_txt_disallow(tmp_path):
    with CrawlServer() as srv:
        srv.route("/robots.txt", text(ROBOTS))
        srv.route("/index.html", html('<a href="/private/r.pdf">2023 ESG report</a>'
                                      '<a href="/r-draft.pdf">2023 ESG report draft</a>'
                                      '<a href="/r.pdf">2022 ESG report</a>'
                                      '<a href="/private/esg.html">More ESG reports</a>'))
        for p in ("/private/r.pdf", "/r-draft.pdf", "/r.pdf"):
            srv.route(p, pdf(make_pdf(p)))
        r = crawl_source(source(srv), tmp_path, {}, fast_config())
        docs = {d["url"].rsplit(":", 1)[1].split("/", 1)[1]: d for d in r["documents"]}
        assert docs["r.pdf"]["status"] == "new"  # our group, not "*", applies
        for p in ("private/r.pdf", "r-draft.pdf"):
            assert docs[p]["status"] == "failed" and docs[p]["error"] == "disallowed by robots.txt"
            assert docs[p]["http_status"] is None
            assert srv.hits("/" + p) == 0
        assert srv.hits("/private/esg.html") == 0
        assert any(row["url"].endswith("/private/esg.html") and row["reason"] == "disallowed by robots.txt"
                   for row in r["log"])
        assert srv.hits("/robots.txt") == 1  # fetched once per crawl


def test_robots_txt_unreachable_means_disallowed_and_4xx_means_allowed(tmp_path):
    with CrawlServer() as srv:
        srv.route("/robots.txt", Route(status=503))
        srv.route("/index.html", html('<a href="/r.pdf">2023 ESG report</a>'))
        r = crawl_source(source(srv), tmp_path, {}, fast_config())
        assert "robots.txt unreachable" in r["error"] and "HTTP 503" in r["error"]
        assert srv.hits("/index.html") == 0 and r["documents"] == []
    with CrawlServer() as srv:
        srv.route("/robots.txt", Route(status=403))
        srv.route("/index.html", html('<a href="/r.pdf">2023 ESG report</a>'))
        srv.route("/r.pdf", pdf(make_pdf("ok")))
        r = crawl_source(source(srv), tmp_path, {}, fast_config())
        assert r["error"] is None and r["documents"][0]["status"] == "new"


def test_user_agent_with_contact(tmp_path, monkeypatch):
    monkeypatch.setenv("CARBONWATCH_CONTACT", "esg-data@example.org")
    ua = CrawlConfig().user_agent
    assert ua == "carbonwatch/0.1 (+contact: esg-data@example.org)"
    monkeypatch.delenv("CARBONWATCH_CONTACT")
    assert "set CARBONWATCH_CONTACT" in CrawlConfig().user_agent
    with CrawlServer() as srv:
        srv.route("/index.html", html('<a href="/r.pdf">2023 ESG report</a>'))
        srv.route("/r.pdf", pdf(make_pdf("ua")))
        crawl_source(source(srv), tmp_path, {}, fast_config(user_agent=ua))
        agents = {h["User-Agent"] for p, h, _ in srv.requests}
        assert agents == {ua} and len(srv.requests) == 3  # robots.txt, landing page, report


def test_per_host_delay_and_crawl_delay(tmp_path):
    with CrawlServer() as srv:
        srv.route("/index.html", html("".join(f'<a href="/r{i}.pdf">{2020 + i} ESG report</a>' for i in range(3))))
        for i in range(3):
            srv.route(f"/r{i}.pdf", pdf(make_pdf(str(i))))
        crawl_source(source(srv), tmp_path, {}, fast_config(per_host_delay=0.2))
        times = sorted(t for _, _, t in srv.requests)
        assert len(times) == 5
        assert min(b - a for a, b in zip(times, times[1:])) >= 0.15  # server-side clock: some jitter
    with CrawlServer() as srv:
        srv.route("/robots.txt", text("User-agent: *\nCrawl-delay: 0.3\n"))
        srv.route("/index.html", html('<a href="/r.pdf">2023 ESG report</a>'))
        srv.route("/r.pdf", pdf(make_pdf("cd")))
        crawl_source(source(srv), tmp_path, {}, fast_config())
        times = sorted(t for _, _, t in srv.requests)
        assert min(b - a for a, b in zip(times, times[1:])) >= 0.25


def test_per_host_concurrency_across_crawls(tmp_path):
    with CrawlServer() as srv:
        sources = []
        for n in range(4):
            srv.route(f"/c{n}/index.html", html('<a href="r.pdf">2023 ESG report</a>', delay=0.2))
            srv.route(f"/c{n}/r.pdf", pdf(make_pdf(f"c{n}"), delay=0.2))
            sources.append(source(srv, f"/c{n}/index.html", case_no=n))
        results = crawl_sources(sources, tmp_path, {}, fast_config(per_host_concurrency=2), workers=4)
        assert all(r["documents"][0]["status"] == "new" for r in results)
        assert srv.max_in_flight == 2  # four crawls at once, never more than two requests to the host
