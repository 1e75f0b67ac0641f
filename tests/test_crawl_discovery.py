"""Discovery: which links are reports, relative links and redirects, depth / page bounds,
report year, ordering newest first."""
try:
    from tests.crawl_server import CrawlServer, fast_config, html, make_pdf, pdf, redirect, source
except ImportError:  # pytest run without the repo root on sys.path
    from crawl_server import CrawlServer, fast_config, html, make_pdf, pdf, redirect, source

from extractors.crawl import crawl_source
from extractors.discover import Link, classify, report_year


def by_url(result):
    return {d["url"].split("/", 3)[3]: d for d in result["documents"]}


def test_mirror_shaped_landing_page(tmp_path):
    with CrawlServer() as srv:
        srv.route("/robots.txt", html("User-agent: *\nAllow: /\n", content_type="text/plain"))
        srv.route("/companies/007/index.html", html(
            '<!doctype html><html><head><meta charset="utf-8"></head><body><h2>ESG 与可持续发展报告下载</h2><ul>'
            '<li><a href="reports/esg-2023.pdf">2023 可持续发展报告（PDF）</a></li></ul>'
            '<p><a href="/">全部公司</a></p></body></html>'))
        srv.route("/companies/007/reports/esg-2023.pdf", pdf(make_pdf("case 7")))
        srv.route("/", html('<a href="companies/008/index.html">other company ESG</a>'))
        r = crawl_source(source(srv, "/companies/007/index.html", case_no=7), tmp_path, {}, fast_config())
        assert r["error"] is None
        assert r["case_no"] == 7
        [doc] = r["documents"]
        assert doc["status"] == "new" and doc["http_status"] == 200
        assert doc["url"] == srv.url("/companies/007/reports/esg-2023.pdf")
        assert doc["title"] == "2023 可持续发展报告（PDF）" and doc["report_year"] == 2023
        assert srv.hits("/") == 0  # "全部公司" is not a way to this company's reports


def test_ranking_selection_and_years(tmp_path):
    page = """<html><body>
      <a href="/r/2021-esg.pdf">2021 ESG Report</a>
      <a href="/r/csr2022.pdf">2022年社会责任报告</a>
      <a href="/r/sust23.pdf">Sustainability Report 2023</a>
      <a href="/r/summary23.pdf">2023 可持续发展报告摘要</a>
      <a href="/r/annual-2023.pdf">Annual Report 2023</a>
      <a href="/r/%E4%BA%8C%E3%80%87%E4%BA%8C%E4%BA%8C.pdf">二〇二二年度环境报告</a>
      <a href="/about.html">About us</a>
      <a href="mailto:ir@example.com">Contact</a>
      <a href="/img/esg.png">ESG chart</a>
      <table><tr><td>2020 Climate report (TCFD)</td><td><a href="/dl?id=20">PDF</a></td></tr></table>
    </body></html>"""
    with CrawlServer() as srv:
        srv.route("/index.html", html(page))
        for name in ("2021-esg", "csr2022", "sust23", "summary23", "%E4%BA%8C%E3%80%87%E4%BA%8C%E4%BA%8C"):
            srv.route(f"/r/{name}.pdf", pdf(make_pdf(name)))
        srv.route("/dl", pdf(make_pdf("tcfd"), content_type="application/octet-stream"))
        r = crawl_source(source(srv), tmp_path, {}, fast_config())
        got = [(d["url"].split("/", 3)[3], d["report_year"]) for d in r["documents"]]
        assert got == [
            ("r/sust23.pdf", 2023),
            ("r/summary23.pdf", 2023),  # a summary ranks below the full report of its year
            ("r/csr2022.pdf", 2022),
            ("r/%E4%BA%8C%E3%80%87%E4%BA%8C%E4%BA%8C.pdf", 2022),
            ("r/2021-esg.pdf", 2021),
            ("dl?id=20", 2020),  # generic link text: year and topic from the table row
        ]
        assert all(d["status"] == "new" for d in r["documents"])
        assert by_url(r)["dl?id=20"]["title"] == "2020 Climate report (TCFD) PDF"
        assert srv.hits("/r/annual-2023.pdf") == 0 and srv.hits("/about.html") == 0


def test_relative_links_base_href_and_redirects(tmp_path):
    with CrawlServer() as srv:
        srv.route("/", redirect("/site/home/"))
        srv.route("/site/home/", html('<a href="../esg/reports.html">ESG 报告</a>'))
        srv.route("/site/esg/reports.html", html(
            '<head><base href="/files/2023/"></head>'
            '<a href="esg.pdf#page=2">2023 ESG 报告</a>'
            '<a href="/old/report-2019.pdf">Sustainability report 2019</a>'))
        srv.route("/files/2023/esg.pdf", redirect("/cdn/abc123.pdf", 301))
        srv.route("/cdn/abc123.pdf", pdf(make_pdf("2023")))
        srv.route("/old/report-2019.pdf", pdf(make_pdf("2019")))
        r = crawl_source(source(srv, "/"), tmp_path, {}, fast_config())
        assert r["error"] is None
        docs = r["documents"]
        assert [d["url"] for d in docs] == [srv.url("/files/2023/esg.pdf"), srv.url("/old/report-2019.pdf")]
        assert docs[0]["final_url"] == srv.url("/cdn/abc123.pdf") and docs[0]["status"] == "new"
        assert [d["report_year"] for d in docs] == [2023, 2019]
        assert any(row["status"] == 301 and "redirect to" in row["reason"] for row in r["log"])


def test_depth_and_page_bounds(tmp_path):
    with CrawlServer() as srv:
        srv.route("/index.html", html('<a href="/l1.html">Sustainability</a>'))
        srv.route("/l1.html", html('<a href="/l2.html">ESG reports</a><a href="/r1.pdf">2022 ESG report</a>'))
        srv.route("/l2.html", html('<a href="/l3.html">ESG archive</a><a href="/r2.pdf">2021 ESG report</a>'))
        srv.route("/l3.html", html('<a href="/r3.pdf">2020 ESG report</a>'))
        for n in (1, 2, 3):
            srv.route(f"/r{n}.pdf", pdf(make_pdf(str(n))))
        r = crawl_source(source(srv), tmp_path, {}, fast_config(max_depth=2))
        assert [d["report_year"] for d in r["documents"]] == [2022, 2021]
        assert srv.hits("/l3.html") == 0
        r = crawl_source(source(srv), tmp_path, {}, fast_config(max_depth=5, max_pages=2))
        assert [d["report_year"] for d in r["documents"]] == [2022]
        assert srv.hits("/l2.html") == 1  # only from the first run
        assert any("max_pages (2) reached" in row["reason"] for row in r["log"])


def test_no_report_links(tmp_path):
    with CrawlServer() as srv:
        srv.route("/index.html", html('<a href="/news.html">News</a><a href="/x.pdf">Menu</a>'))
        r = crawl_source(source(srv), tmp_path, {}, fast_config())
        assert r["documents"] == [] and r["error"] is None
        assert any("no report links found" in row["reason"] for row in r["log"])
        assert srv.hits("/x.pdf") == 0


def test_report_link_that_is_an_html_page_and_seed_urls(tmp_path):
    with CrawlServer() as srv:
        srv.route("/index.html", html('<a href="/esg/2023-report">2023 ESG 报告</a>'))
        srv.route("/esg/2023-report", html('<a href="/esg/2023-report/download">下载 2023 ESG 报告 PDF</a>'))
        srv.route("/esg/2023-report/download", pdf(make_pdf("2023")))
        srv.route("/seed.html", html('<a href="/s/2022.pdf">2022 CSR report</a>'))
        srv.route("/s/2022.pdf", pdf(make_pdf("2022")))
        srv.route("/direct.pdf", pdf(make_pdf("direct")))
        src = source(srv, seed_urls=f"{srv.url('/seed.html')};{srv.url('/direct.pdf')}")
        r = crawl_source(src, tmp_path, {}, fast_config())
        urls = {d["url"]: d for d in r["documents"]}
        assert set(urls) == {srv.url("/esg/2023-report/download"), srv.url("/s/2022.pdf"), srv.url("/direct.pdf")}
        assert all(d["status"] == "new" for d in urls.values())
        assert r["documents"][0]["report_year"] == 2023
        assert any("HTML page: parsed for links" in row["reason"] for row in r["log"])


def test_gbk_page_and_report_year_helper(tmp_path):
    body = '<html><head><meta charset="gbk"></head><a href="r.pdf">2023年度可持续发展报告</a></html>'.encode("gbk")
    with CrawlServer() as srv:
        srv.route("/index.html", html("", content_type="text/html"))
        srv.route("/index.html", pdf(body, content_type="text/html"))
        srv.route("/r.pdf", pdf(make_pdf("gbk")))
        r = crawl_source(source(srv), tmp_path, {}, fast_config())
        assert [d["title"] for d in r["documents"]] == ["2023年度可持续发展报告"]
    assert report_year("FY2022/23 ESG Report") == 2023
    assert report_year("2022-2023 可持续发展报告") == 2023
    assert report_year("no year", "/files/esg_2021.pdf") == 2021
    assert report_year("2060 碳中和") is None
    assert classify(Link("http://x/annual-2023.pdf", "2023 Annual Report", ""))[0] == "ignore"
    assert classify(Link("http://x/a.pdf", "2023 Impact Report", ""))[0] == "document"
    assert classify(Link("http://x/investors/", "Investor relations", ""))[0] == "page"
