"""An unchanged page costs a 304: the crawl keeps each parsed page's links with its validators
(raw_dir/pages) and asks again with If-None-Match / If-Modified-Since; requests to one host
share a kept-alive connection (small unread bodies are drained, not the connection closed)."""
import json

try:
    from tests.crawl_server import CrawlServer, fast_config, html, make_pdf, pdf, source
except ImportError:
    from crawl_server import CrawlServer, fast_config, html, make_pdf, pdf, source

from extractors.crawl import CrawlConfig, crawl_source
from extractors.page_cache import PageCache
from extractors.sessions import SessionPool

LM = "Sat, 01 Jul 2023 00:00:00 GMT"
PAGE = '<p>Reports</p><a href="/esg-2023.pdf">2023 ESG report</a><a href="/more.html">Sustainability reports</a>'


def known_from(result):
    return {d["url"]: {"etag": d["etag"], "last_modified": d["last_modified"], "sha256": d["sha256"]}
            for d in result["documents"] if d["status"] != "failed"}


def two_pages_two_reports(srv):
    """A landing page (ETag) linking a report and a second page (Last-Modified) with another."""
    srv.route("/index.html", html(PAGE, etag='"p1"'))
    srv.route("/more.html", html('<a href="/esg-2022.pdf">2022 ESG report</a>', last_modified=LM))
    srv.route("/esg-2023.pdf", pdf(make_pdf("2023"), etag='"a"'))
    srv.route("/esg-2022.pdf", pdf(make_pdf("2022"), etag='"b"'))


def test_an_unchanged_page_is_a_304_and_its_kept_links_are_followed(tmp_path):
    with CrawlServer() as srv:
        two_pages_two_reports(srv)
        first = crawl_source(source(srv), tmp_path, {}, fast_config())
        assert sorted(d["status"] for d in first["documents"]) == ["new", "new"]
        assert "If-None-Match" not in srv.request_headers("/index.html")[0]

        second = crawl_source(source(srv), tmp_path, known_from(first), fast_config())
        assert srv.request_headers("/index.html")[-1]["If-None-Match"] == '"p1"'
        assert srv.request_headers("/more.html")[-1]["If-Modified-Since"] == LM
        pages = [row for row in second["log"] if row["kind"] == "page"]
        assert [row["status"] for row in pages] == [304, 304]
        # the same documents, found through the kept links, checked and unchanged
        assert sorted((d["url"], d["status"]) for d in second["documents"]) == \
            sorted((d["url"], "unchanged") for d in first["documents"])
        assert second["error"] is None and second["counts"]["pages"] == 2


def test_a_changed_page_is_parsed_again_and_its_new_links_kept(tmp_path):
    with CrawlServer() as srv:
        srv.route("/index.html", html(PAGE, etag='"p1"'))
        srv.route("/esg-2023.pdf", pdf(make_pdf("2023"), etag='"a"'))
        first = crawl_source(source(srv), tmp_path, {}, fast_config())
        srv.route("/index.html", html(PAGE + '<a href="/esg-2024.pdf">2024 ESG report</a>', etag='"p2"'))
        srv.route("/esg-2024.pdf", pdf(make_pdf("2024"), etag='"c"'))
        second = crawl_source(source(srv), tmp_path, known_from(first), fast_config())
        assert {d["url"].rsplit("/", 1)[1]: d["status"] for d in second["documents"]} == \
            {"esg-2024.pdf": "new", "esg-2023.pdf": "unchanged"}
        kept = PageCache(tmp_path / "pages").get(srv.url("/index.html"))
        assert kept["etag"] == '"p2"' and srv.url("/esg-2024.pdf") in [link[0] for link in kept["links"]]


def test_a_page_without_validators_is_fetched_whole_every_time(tmp_path):
    with CrawlServer() as srv:
        srv.route("/index.html", html(PAGE))
        srv.route("/esg-2023.pdf", pdf(make_pdf("2023"), etag='"a"'))
        first = crawl_source(source(srv), tmp_path, {}, fast_config())
        crawl_source(source(srv), tmp_path, known_from(first), fast_config())
        assert [h.get("If-None-Match") for h in srv.request_headers("/index.html")] == [None, None]
        assert PageCache(tmp_path / "pages").get(srv.url("/index.html")) is None


def test_an_unreadable_kept_page_means_a_whole_fetch(tmp_path):
    with CrawlServer() as srv:
        srv.route("/index.html", html(PAGE, etag='"p1"'))
        srv.route("/esg-2023.pdf", pdf(make_pdf("2023"), etag='"a"'))
        first = crawl_source(source(srv), tmp_path, {}, fast_config())
        kept = PageCache(tmp_path / "pages")._path(srv.url("/index.html"))
        kept.write_text('{"url": "half a fi', encoding="utf-8")  # a torn write or a bad disk
        second = crawl_source(source(srv), tmp_path, known_from(first), fast_config())
        assert "If-None-Match" not in srv.request_headers("/index.html")[-1]
        assert [d["status"] for d in second["documents"]] == ["unchanged"]
        assert json.loads(kept.read_text(encoding="utf-8"))["etag"] == '"p1"'  # kept again, whole


def test_a_304_without_a_kept_page_is_a_recorded_landing_failure(tmp_path):
    with CrawlServer() as srv:  # a broken server: 304 to an unconditional request
        srv.route("/index.html", html("", status=304))
        result = crawl_source(source(srv), tmp_path, {}, fast_config())
        assert result["documents"] == []
        assert "304 to a request without validators" in result["error"]


def test_one_company_s_requests_share_a_kept_alive_connection(tmp_path):
    with CrawlServer() as srv:
        two_pages_two_reports(srv)
        first = crawl_source(source(srv), tmp_path, {}, fast_config())
        assert len(srv.requests) == 5 and srv.connections() == 1  # robots.txt (404), 2 pages, 2 PDFs
        crawl_source(source(srv), tmp_path, known_from(first), fast_config())
        # the second crawl: 304s and a cached robots.txt, over one new connection
        assert len(srv.requests) == 9 and srv.connections() == 2


def test_a_thread_s_companies_on_one_host_share_its_connection_not_its_cookies(tmp_path):
    with CrawlServer() as srv:
        for k in (1, 2):
            srv.route(f"/c{k}/index.html", html(f'<a href="/c{k}/esg-2023.pdf">2023 ESG report</a>',
                                                headers={"Set-Cookie": f"visitor=company{k}; Path=/"}))
            srv.route(f"/c{k}/esg-2023.pdf", pdf(make_pdf(f"company {k}"), etag=f'"{k}"'))
        with SessionPool(CrawlConfig()) as sessions:  # what a fetch shard's thread does
            results = [crawl_source(source(srv, f"/c{k}/index.html", case_no=k), tmp_path, {}, fast_config(),
                                    sessions.get()) for k in (1, 2)]
        assert [[d["status"] for d in r["documents"]] for r in results] == [["new"], ["new"]]
        assert len(srv.requests) == 5 and srv.connections() == 1  # robots.txt once, then 2 x (page, PDF)
        # the first company's cookie is not sent to the second one's pages
        assert "Cookie" not in srv.request_headers("/c2/index.html")[0]
        assert srv.request_headers("/c1/esg-2023.pdf")[0].get("Cookie") == "visitor=company1"
