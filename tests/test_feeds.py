"""Feed adapters against a loopback server: each kind's answer becomes disclosures, only report
titles pass, and a bad answer (HTML, garbage, 500, an empty list) is a clear error, never a raise."""
from __future__ import annotations

from pathlib import Path

import pytest

from carbonwatch.demo.feeds import FeedServer
from crawl_server import make_pdf
from extractors.feeds import Feed, is_report_title, poll
from extractors.sources import parse_feeds
from extractors.feeds.http import feed_fetcher
from extractors.fetch import reset_shared_state

COMPANY = {"case_no": 64, "name": "演示公司"}


@pytest.fixture()
def feeds(monkeypatch):
    reset_shared_state()
    with FeedServer() as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        yield server


def _poll(server, feed: Feed, tmp_path: Path, since=None):
    from extractors.feeds import feed_urls

    fetcher = feed_fetcher(feed_urls(feed.feed_id), tmp_path / "tmp", [])
    try:
        return poll(feed, COMPANY, fetcher, since)
    finally:
        fetcher.close()


def _publish_two(server, code="999064"):
    server.publish(case_no=64, company="演示公司", code=code, title="2024年度可持续发展报告", pdf=make_pdf("a"))
    server.publish(case_no=64, company="演示公司", code=code, title="关于召开股东大会的通知", pdf=make_pdf("b"))
    server.publish(case_no=64, company="演示公司", code=code, title="2024年度社会责任报告摘要", pdf=make_pdf("c"))
    server.publish(case_no=65, company="别家", code="99065", title="2024 ESG报告", pdf=make_pdf("d"))


@pytest.mark.parametrize("spec", ["rss:{base}/feed.xml", "rss:{base}/atom.xml", "sitemap:{base}/sitemap.xml",
                                  "cninfo:999064", "hkex:99064", "edgar:999064"])
def test_each_kind_yields_the_report_disclosures(feeds, tmp_path, spec):
    _publish_two(feeds, spec.split(":")[1] if spec.startswith(("cninfo", "hkex", "edgar")) else "999064")
    feed = parse_feeds(spec.format(base=feeds.base_url))[0]
    result = _poll(feeds, feed, tmp_path)
    assert result.error is None, result.error
    urls = {d.url for d in result.disclosures}
    first = feeds.announcements[0]
    if feed.kind == "sitemap":  # no titles: the file name must say "report", which these do not
        assert result.seen == 4 and urls == set()
        return
    assert any(u.endswith(first.path.rsplit("/", 1)[-1]) for u in urls)
    titles = [d.title for d in result.disclosures]
    assert not any("股东大会" in t or "摘要" in t for t in titles)  # not a report; a summary
    expected = 2 if feed.kind == "rss" else 1  # a feed of the whole site also carries the other company
    assert len(result.disclosures) == expected
    d = next(d for d in result.disclosures if "可持续发展报告" in d.title)
    assert d.case_no == 64 and d.feed == feed.feed_id and d.source_id.startswith(feed.kind + ":")
    assert abs((first.published - __import__("extractors.feeds", fromlist=["parse_time"]).parse_time(d.published_at))
               .total_seconds()) < 61  # hkex has minutes, rss seconds, cninfo ms


def test_sitemap_keeps_report_file_names(feeds, tmp_path):
    feeds.publish(case_no=64, company="x", code="999064", title="t", pdf=make_pdf("s"),
                  path="reports/2024-sustainability-report.pdf")
    result = _poll(feeds, Feed("sitemap", feeds.base_url + "/sitemap.xml"), tmp_path)
    assert [d.url for d in result.disclosures] == [feeds.base_url + "/static/reports/2024-sustainability-report.pdf"]


@pytest.mark.parametrize("fault, message", [("html", "HTML"), ("garbage", "not"), ("500", "HTTP 500")])
@pytest.mark.parametrize("kind", ["rss", "cninfo", "hkex", "edgar", "sitemap"])
def test_bad_answers_are_errors_not_exceptions(feeds, tmp_path, fault, message, kind):
    path = {"rss": "/feed.xml", "cninfo": "/new/hisAnnouncement/query", "hkex": "/search/titleSearchServlet.do",
            "edgar": "/submissions/CIK0000999064.json", "sitemap": "/sitemap.xml"}[kind]
    feeds.fault[path] = fault
    arg = {"rss": feeds.base_url + "/feed.xml", "sitemap": feeds.base_url + "/sitemap.xml", "hkex": "99064"}.get(kind, "999064")
    result = _poll(feeds, Feed(kind, arg), tmp_path)
    assert result.disclosures == [] and result.error and message.lower() in result.error.lower(), result.error
    if fault == "500":
        assert feeds.hits[path] == 3  # the fetcher's backoff retried twice before giving up


@pytest.mark.parametrize("kind", ["rss", "cninfo", "hkex", "edgar", "sitemap"])
def test_an_empty_list_is_no_disclosures_and_no_error(feeds, tmp_path, kind):
    _publish_two(feeds)
    for path in ("/feed.xml", "/sitemap.xml", "/new/hisAnnouncement/query", "/search/titleSearchServlet.do",
                 "/submissions/CIK0000999064.json"):
        feeds.fault[path] = "empty"
    arg = {"rss": feeds.base_url + "/feed.xml", "sitemap": feeds.base_url + "/sitemap.xml", "hkex": "99064"}.get(kind, "999064")
    result = _poll(feeds, Feed(kind, arg), tmp_path)
    assert result.error is None and result.disclosures == [] and result.seen == 0


def test_cninfo_pages_through_results(feeds, tmp_path):
    for i in range(70):
        feeds.publish(case_no=64, company="x", code="999064", title=f"第{i}号 2024年度社会责任报告", pdf=make_pdf(str(i)))
    result = _poll(feeds, Feed("cninfo", "999064"), tmp_path)
    assert result.error is None and len(result.disclosures) == 70 and result.requests == 3
    assert len({d.source_id for d in result.disclosures}) == 70


def test_title_filter_chinese_and_english():
    for title in ("2023年度社会责任报告", "2023年可持续发展报告", "2023年度ESG报告", "2023年度环境、社会及管治报告",
                  "2023年气候信息披露报告", "2023 Sustainability Report", "Climate Report 2023", "ESG Report 2022"):
        assert is_report_title(title), title
    for title in ("2023年年度报告", "关于召开股东大会的通知", "2023年度社会责任报告摘要", "Annual Report 2023",
                  "Sustainability Report 2023 Highlights"):
        assert not is_report_title(title), title


def test_feed_specs_are_validated():
    assert [f.feed_id for f in parse_feeds(" rss:https://a.example/x.xml ; cninfo:999064;edgar:123")] == [
        "rss:https://a.example/x.xml", "cninfo:999064", "edgar:123"]
    for bad, message in (("ftp:x", "KIND:VALUE"), ("cninfo:12", "6-digit"), ("rss:not-a-url", "URL"),
                         ("hkex:ABCDE", "up to 5 digits"), ("edgar", "KIND:VALUE")):
        with pytest.raises(ValueError, match=message):
            parse_feeds(bad)
