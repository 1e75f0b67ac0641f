"""Safety: domain allowlist (links and redirects), private / loopback addresses, schemes, credentials,
no file names from the server."""
import json

try:
    from tests.crawl_server import CrawlServer, Route, fast_config, html, make_pdf, pdf, redirect, source
except ImportError:
    from crawl_server import CrawlServer, Route, fast_config, html, make_pdf, pdf, redirect, source

from extractors.crawl import crawl_source


def test_link_to_a_domain_off_the_allowlist(tmp_path):
    with CrawlServer() as srv:
        srv.route("/index.html", html(
            f'<a href="{srv.url("/r.pdf", host="localhost")}">2023 ESG report (other host)</a>'
            '<a href="http://reports.evil.example/esg-2023.pdf">2023 ESG report (mirror)</a>'
            f'<a href="{srv.url("/more-esg.html", host="localhost")}">More ESG reports</a>'
            '<a href="/go.pdf">2022 ESG report</a>'
            '<a href="ftp://127.0.0.1/esg-2021.pdf">2021 ESG report</a>'
            '<a href="/ok.pdf">2020 ESG report</a>'))
        srv.route("/r.pdf", pdf(make_pdf("off list")))
        srv.route("/go.pdf", redirect(srv.url("/r.pdf", host="localhost")))
        srv.route("/ok.pdf", pdf(make_pdf("on list")))
        r = crawl_source(source(srv), tmp_path, {}, fast_config())
        docs = {d["url"]: d for d in r["documents"]}
        off = docs[srv.url("/r.pdf", host="localhost")]
        assert off["status"] == "failed" and "host localhost is not in allowed_domains" in off["error"]
        assert "host reports.evil.example is not in allowed_domains" in docs["http://reports.evil.example/esg-2023.pdf"]["error"]
        go = docs[srv.url("/go.pdf")]
        assert go["status"] == "failed" and go["http_status"] == 302
        assert go["error"].startswith(f"redirect to {srv.url('/r.pdf', host='localhost')}: refused")
        assert "scheme 'ftp' is not http(s)" in docs["ftp://127.0.0.1/esg-2021.pdf"]["error"]
        assert docs[srv.url("/ok.pdf")]["status"] == "new"
        assert srv.hits("/r.pdf") == 0 and srv.hits("/more-esg.html") == 0
        refusals = [row for row in r["log"] if row["reason"].startswith("refused")]
        assert len(refusals) == 4 and all(row["status"] is None and row["at"] for row in refusals)


def test_private_addresses_refused_unless_named(tmp_path):
    with CrawlServer() as srv:
        srv.route("/index.html", html('<a href="/r.pdf">2023 ESG report</a>'))
        srv.route("/r.pdf", pdf(make_pdf("private")))
        landing = srv.url("/index.html", host="localhost")
        # localhost is on the allowlist only as the landing host, not named: refused
        src = {"case_no": 1, "name": "n", "landing_url": landing, "allowed_domains": "example.org"}
        r = crawl_source(src, tmp_path, {}, fast_config())
        assert "resolves to non-public address 127.0.0.1" in r["error"] and r["documents"] == []
        assert srv.requests == []  # not even robots.txt
        # named in allowed_domains: allowed (the offline mirror's case)
        r = crawl_source(dict(src, allowed_domains="example.org;localhost"), tmp_path, {}, fast_config())
        assert r["error"] is None and r["documents"][0]["status"] == "new"
        # or allowed for the whole run
        r = crawl_source(src, tmp_path / "b", {}, fast_config(allow_private=True))
        assert r["error"] is None and r["documents"][0]["status"] == "new"


def test_no_file_names_from_the_server(tmp_path):
    body = make_pdf("named")
    with CrawlServer() as srv:
        srv.route("/index.html", html('<a href="/dl?f=../../evil.pdf">2023 ESG report</a>'))
        srv.route("/dl", pdf(body, headers={"Content-Disposition": 'attachment; filename="../../evil.pdf"'}))
        raw = tmp_path / "raw"
        r = crawl_source(source(srv), raw, {}, fast_config())
        [doc] = r["documents"]
        assert doc["status"] == "new"
        assert doc["path"] == str(raw / doc["sha256"][:2] / (doc["sha256"] + ".pdf"))
        assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [doc["sha256"] + ".pdf"]


def test_non_http_error_statuses_are_recorded(tmp_path):
    with CrawlServer() as srv:
        srv.route("/index.html", html('<a href="/r.pdf">2023 ESG report</a><a href="/p.pdf">2022 ESG report</a>'))
        srv.route("/r.pdf", Route(status=206, body=make_pdf("partial"), content_type="application/pdf"))
        srv.route("/p.pdf", Route(status=403, body=b"forbidden"))
        r = crawl_source(source(srv), tmp_path, {}, fast_config())
        assert [(d["status"], d["http_status"], d["error"]) for d in r["documents"]] == [
            ("failed", 206, "HTTP 206 Partial Content"), ("failed", 403, "HTTP 403 Forbidden")]


def test_links_and_redirects_with_credentials(tmp_path):
    """Issue 13: a user:password@ URL was sent as Basic auth (to robots.txt too) and stored in
    documents / fetch_log. Now it is never requested, and logged and stored without them."""
    from warehouse.db import connect
    from warehouse.loads import load_batch
    from warehouse_fixtures import sample_warehouse

    secret = "s3cret-pa55"
    with CrawlServer() as srv:
        with_creds = srv.url("/private.pdf").replace("http://", f"http://reader:{secret}@")
        srv.route("/index.html", html(f'<a href="{with_creds}">2023 ESG report</a><a href="/go.pdf">2022 ESG report</a>'
                                      '<a href="/ok.pdf">2021 ESG report</a>'))
        srv.route("/go.pdf", redirect(srv.url("/ok2.pdf").replace("http://", f"http://reader:{secret}@")))
        srv.route("/ok.pdf", pdf(make_pdf("fine")))
        srv.route("/private.pdf", pdf(make_pdf("private")))
        srv.route("/ok2.pdf", pdf(make_pdf("private too")))
        r = crawl_source(source(srv), tmp_path, {}, fast_config())
        assert srv.hits("/private.pdf") == 0 and srv.hits("/ok2.pdf") == 0
        assert not any("Authorization" in h for p, h, _ in srv.requests)  # robots.txt included
    assert [d["url"] for d in r["documents"] if d["status"] == "new"] == [srv.url("/ok.pdf")]
    go = next(d for d in r["documents"] if d["url"] == srv.url("/go.pdf"))
    assert go["status"] == "failed" and "credentials" in go["error"]
    assert any("link carries credentials" in row["reason"] for row in r["log"])
    assert secret not in json.dumps(r)
    wh = sample_warehouse(tmp_path / "wh.duckdb", editions=0)
    con = connect(wh)
    try:
        load_batch(con, "creds", [r], [], {"valid": [], "quarantined": [], "results": []})
        stored = repr(con.execute("SELECT * FROM documents").fetchall() + con.execute("SELECT * FROM fetch_log").fetchall())
    finally:
        con.close()
    assert secret not in stored and "reader:" not in stored
