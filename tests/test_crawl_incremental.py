"""Incremental crawling: conditional GET, sha256, content-addressed storage, duplicates."""
import hashlib
import json

try:
    from tests.crawl_server import CrawlServer, fast_config, html, make_pdf, pdf, source
except ImportError:
    from crawl_server import CrawlServer, fast_config, html, make_pdf, pdf, source

from extractors.crawl import crawl_source

LM = "Sat, 01 Jul 2023 00:00:00 GMT"


def known_from(result):
    """What the warehouse keeps of a run: url -> etag, last_modified, sha256."""
    return {d["url"]: {"etag": d["etag"], "last_modified": d["last_modified"], "sha256": d["sha256"]}
            for d in result["documents"] if d["status"] != "failed"}


def test_304_on_the_second_run(tmp_path):
    a, b = make_pdf("etag doc"), make_pdf("last-modified doc")
    with CrawlServer() as srv:
        srv.route("/index.html", html('<a href="/a.pdf">2023 ESG report</a><a href="/b.pdf">2022 ESG report</a>'))
        srv.route("/a.pdf", pdf(a, etag='"v1"'))
        srv.route("/b.pdf", pdf(b, last_modified=LM))
        first = crawl_source(source(srv), tmp_path, {}, fast_config())
        assert [d["status"] for d in first["documents"]] == ["new", "new"]
        json.dumps(first)  # JSON-serialisable, as XCom needs
        da, db = first["documents"]
        assert da["sha256"] == hashlib.sha256(a).hexdigest() and da["etag"] == '"v1"'
        assert db["last_modified"] == LM and db["bytes"] == len(b)
        assert da["path"] == str(tmp_path / da["sha256"][:2] / f"{da['sha256']}.pdf")
        assert open(da["path"], "rb").read() == a

        second = crawl_source(source(srv), tmp_path, known_from(first), fast_config())
        sa, sb = second["documents"]
        assert (sa["status"], sa["http_status"], sb["status"], sb["http_status"]) == ("unchanged", 304, "unchanged", 304)
        assert sa["sha256"] == da["sha256"] and sa["path"] == da["path"] and sb["path"] == db["path"]
        assert sa["etag"] == '"v1"' and sb["last_modified"] == LM
        assert srv.request_headers("/a.pdf")[-1]["If-None-Match"] == '"v1"'
        assert srv.request_headers("/b.pdf")[-1]["If-Modified-Since"] == LM
        assert second["counts"]["downloaded"] == 0 and second["counts"]["new"] == 0

        srv.route("/a.pdf", pdf(make_pdf("etag doc, revised"), etag='"v2"'))  # the report changes
        third = crawl_source(source(srv), tmp_path, known_from(second), fast_config())
        assert third["documents"][0]["status"] == "new" and third["documents"][0]["etag"] == '"v2"'
        assert third["documents"][0]["sha256"] != da["sha256"]


def test_same_bytes_without_validators_is_unchanged(tmp_path):
    body = make_pdf("no validators")
    with CrawlServer() as srv:
        srv.route("/index.html", html('<a href="/a.pdf">2023 ESG report</a>'))
        srv.route("/a.pdf", pdf(body))
        first = crawl_source(source(srv), tmp_path, {}, fast_config())
        second = crawl_source(source(srv), tmp_path, known_from(first), fast_config())
        [doc] = second["documents"]
        assert doc["status"] == "unchanged" and doc["http_status"] == 200  # downloaded, not re-extracted
        assert doc["sha256"] == first["documents"][0]["sha256"] and doc["path"] == first["documents"][0]["path"]


def test_same_bytes_at_a_new_url_is_the_same_document(tmp_path):
    body = make_pdf("moved")
    with CrawlServer() as srv:
        srv.route("/index.html", html('<a href="/2023/esg.pdf">2023 ESG report</a>'))
        srv.route("/2023/esg.pdf", pdf(body, etag='"x"'))
        first = crawl_source(source(srv), tmp_path, {}, fast_config())
        srv.route("/index.html", html('<a href="/new/location/esg-2023.pdf">2023 ESG report</a>'
                                      '<a href="/mirror/esg-2023.pdf">2023 ESG report (mirror)</a>'))
        srv.route("/new/location/esg-2023.pdf", pdf(body))
        srv.route("/mirror/esg-2023.pdf", pdf(body))
        second = crawl_source(source(srv), tmp_path, known_from(first), fast_config())
        old = first["documents"][0]
        for doc in second["documents"]:
            assert doc["status"] == "unchanged" and doc["same_as"] == old["url"]
            assert doc["sha256"] == old["sha256"] and doc["path"] == old["path"]
        files = [p for p in tmp_path.rglob("*.pdf")]
        assert len(files) == 1  # stored once, content-addressed

        # Within one run too: the second URL with the same bytes points at the first.
        fresh = crawl_source(source(srv), tmp_path / "fresh", {}, fast_config())
        statuses = sorted((d["status"], d["same_as"] or "") for d in fresh["documents"])
        assert statuses[0][0] == "new" and statuses[1][0] == "unchanged" and statuses[1][1]


def test_missing_raw_file_is_fetched_again(tmp_path):
    with CrawlServer() as srv:
        srv.route("/index.html", html('<a href="/a.pdf">2023 ESG report</a>'))
        srv.route("/a.pdf", pdf(make_pdf("x"), etag='"v1"'))
        first = crawl_source(source(srv), tmp_path / "one", {}, fast_config())
        # a new raw_dir: the bytes are not here, so no conditional request
        second = crawl_source(source(srv), tmp_path / "two", known_from(first), fast_config())
        [doc] = second["documents"]
        assert doc["http_status"] == 200 and doc["status"] == "unchanged"
        assert "If-None-Match" not in srv.request_headers("/a.pdf")[-1]
        assert open(doc["path"], "rb").read() == make_pdf("x")
        assert not list((tmp_path / "two").glob(".tmp/*"))  # no temp files left behind


def test_an_unchanged_broken_document_is_not_downloaded_again(tmp_path):
    """Issue 13: a broken document (the whole body came, it is not a PDF) keeps its validators
    through the warehouse, so the next night asks If-None-Match, gets 304 and downloads nothing;
    a network failure keeps no validators (it is retried in full); a fixed document is fetched."""
    import csv

    from carbonwatch.orchestration import tasks
    from warehouse.db import connect
    from warehouse.loads import load_batch
    from warehouse_fixtures import sample_warehouse

    wh = sample_warehouse(tmp_path / "wh.duckdb", editions=0)
    broken = b"<html><body>" + b"a report page, not a PDF " * 400 + b"</body></html>"
    with CrawlServer() as srv:
        srv.route("/index.html", html('<a href="/r.pdf">2023 ESG report</a><a href="/cut.pdf">2022 ESG report</a>'))
        srv.route("/r.pdf", pdf(broken, etag='"v1"'))
        srv.route("/cut.pdf", pdf(make_pdf("cut short") , etag='"c1"', close_early=100))
        sources = tmp_path / "sources.csv"
        with sources.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([["case_no", "name", "landing_url", "allowed_domains"],
                                      [1, "company one", srv.url("/index.html"), "127.0.0.1"]])
        ctx = {"sources": str(sources), "warehouse": str(wh), "raw_dir": str(tmp_path / "raw"),
               "document_deadline": 3, "company_budget": 20}

        def night(n):
            from carbonwatch.orchestration.shards import read_jsonl
            from common import settings

            run_ctx = settings.resolve(ctx) | {"run_id": f"night-{n}"}
            [shard] = tasks.discover(run_ctx)  # one company: one shard of one item
            [item] = list(read_jsonl(shard["path"]))
            crawl = tasks.fetch_company(run_ctx, item)
            con = connect(wh)
            try:
                load_batch(con, f"night-{n}", [crawl], [], {"valid": [], "quarantined": [], "results": []})
            finally:
                con.close()
            return {d["url"].rsplit("/", 1)[1]: d for d in crawl["documents"]}, crawl

        docs, _ = night(1)
        assert docs["r.pdf"]["status"] == "failed" and docs["r.pdf"]["error"].startswith("not a PDF")
        assert docs["cut.pdf"]["status"] == "failed" and "truncated" in docs["cut.pdf"]["error"]
        for n in (2, 3):
            docs, crawl = night(n)
            assert srv.request_headers("/r.pdf")[-1].get("If-None-Match") == '"v1"'
            assert docs["r.pdf"]["status"] == "failed" and docs["r.pdf"]["http_status"] == 304
            assert docs["r.pdf"]["error"] == "unchanged since it failed, not downloaded again: HTTP 200: not a PDF: " \
                "text/html body served as application/pdf"  # the first reason, not nested night after night
            assert crawl["counts"]["downloaded"] == 0
            assert "If-None-Match" not in srv.request_headers("/cut.pdf")[-1]  # a cut transfer is retried in full
        srv.route("/r.pdf", pdf(make_pdf("fixed report"), etag='"v2"'))
        docs, _ = night(4)
        assert docs["r.pdf"]["status"] == "new"
    con = connect(wh, read_only=True)
    try:
        assert con.execute("SELECT error FROM documents WHERE url LIKE '%/r.pdf' AND fetch_status = 'failed'"
                           ).fetchone()[0].startswith("HTTP 304: unchanged since it failed")
        assert con.execute("SELECT etag FROM document_urls WHERE url LIKE '%/r.pdf'").fetchone() == ('"v2"',)
    finally:
        con.close()
