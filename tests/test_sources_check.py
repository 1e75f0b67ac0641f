"""`carbonwatch sources check FILE`: the feeds column is validated, and the companies with no
feed and no landing page are named."""
from __future__ import annotations

from click.testing import CliRunner

from carbonwatch.cli import main
from extractors.sources import read_sources


def _write(tmp_path, text):
    p = tmp_path / "sources.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_feeds_column_and_rows_with_feeds_only(tmp_path):
    p = _write(tmp_path, "case_no,name,landing_url,feeds\n"
                         "1,A,http://a.example/,rss:http://a.example/feed.xml\n"
                         "2,B,,cninfo:999002;hkex:99002\n"
                         "3,C,http://c.example/,\n")
    rows = read_sources(p)
    assert [r["feeds"] for r in rows] == [["rss:http://a.example/feed.xml"], ["cninfo:999002", "hkex:99002"], []]
    assert rows[1]["landing_url"] is None and rows[1]["allowed_domains"] == []
    result = CliRunner().invoke(main, ["sources", "check", str(p)])
    assert result.exit_code == 0, result.output
    assert "3 rows, 3 companies; 2 landing pages, 3 feeds (cninfo 1, hkex 1, rss 1)" in result.output
    assert "landing page but no feed (crawled nightly only): 1: 3" in result.output
    assert "no feed and no landing page: 97: 4, 5, 6" in result.output


def test_a_row_needs_a_landing_page_or_a_feed_and_bad_feeds_are_named(tmp_path):
    for text, message in (("case_no,name,landing_url,feeds\n1,A,,\n", "line 2: column 'landing_url' is empty (and no feeds)"),
                          ("case_no,name,feeds\n1,A,cninfo:12\n", "line 2: column 'feeds' feed 'cninfo:12': cninfo needs a 6-digit"),
                          ("case_no,name,landing_url,feeds\n1,A,,gopher:x\n", "expected KIND:VALUE")):
        result = CliRunner().invoke(main, ["sources", "check", str(_write(tmp_path, text))])
        assert result.exit_code == 1 and message in result.output, result.output


def test_the_mirror_sources_have_landing_pages_and_no_feeds():
    from common import settings

    result = CliRunner().invoke(main, ["sources", "check", str(settings.REPO / "sources" / "mirror.csv")])
    assert result.exit_code == 0 and "100 landing pages, 0 feeds" in result.output
    assert "no feed and no landing page: 0" in result.output
