"""Disclosure feeds: each kind of feed a sources row may name turns its own answer into
`Disclosure`s (one module per kind; the extract stage's entry point for streaming).

    feeds = extractors.sources.parse_feeds("rss:https://example.org/news.xml; cninfo:CODE")
    result = poll(feed, company, fetcher, cursor)   # FeedResult(disclosures, error)

Kinds: rss (RSS 2.0 / Atom, detected by feedparser), sitemap (<lastmod>), cninfo (POST
/new/hisAnnouncement/query), hkex (titleSearchServlet.do), edgar (submissions JSON). The
exchanges' base URLs are settings (common.settings.feed_endpoints), so tests use 127.0.0.1.
Only titles of ESG / CSR / sustainability / climate reports become disclosures
(`is_report_title`). Nothing here raises for a feed's fault: `FeedResult.error` says what.

May import: common, and the crawler's modules below the source registry (fetch, discover, crawl).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from extractors.discover import LESSER, REPORT_WORD, STRONG, TOPIC

KINDS = ("rss", "sitemap", "cninfo", "hkex", "edgar")
ARG_RULES = {  # kind -> (pattern of the argument, what it must be); rss and sitemap take a URL
    "cninfo": (re.compile(r"^\d{6}$"), "a 6-digit stock code"),
    "hkex": (re.compile(r"^\d{1,5}$"), "a stock code of up to 5 digits"),
    "edgar": (re.compile(r"^\d{1,10}$"), "a CIK of up to 10 digits"),
}


@dataclass(frozen=True)
class Feed:
    kind: str
    arg: str  # a URL (rss, sitemap) or a code (cninfo, hkex, edgar)

    @property
    def feed_id(self) -> str:
        return f"{self.kind}:{self.arg}"


@dataclass
class Disclosure:
    """One announcement of a report: who, where the document is, when it was published."""

    case_no: int
    company: str
    url: str  # the document (PDF) itself
    title: str
    published_at: str  # ISO 8601 UTC, e.g. 2026-12-02T04:00:00.123Z
    source_id: str  # unique within the feed kind: cninfo:<announcementId>, rss:<guid or link>, ...
    feed: str  # the feed it came from (Feed.feed_id)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Disclosure":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


@dataclass
class FeedResult:
    feed: str
    disclosures: list[Disclosure] = field(default_factory=list)
    error: str | None = None
    seen: int = 0  # items in the answer before the title filter
    requests: int = 0


def is_report_title(title: str) -> bool:
    """An ESG / CSR / sustainability / climate report (Chinese or English), not its summary."""
    title = title or ""
    if LESSER.search(title):
        return False
    return bool(STRONG.search(title) or (TOPIC.search(title) and REPORT_WORD.search(title)))


def iso_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: str) -> datetime:
    """An ISO 8601 time (a trailing Z is fine) as an aware UTC datetime."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def poll(feed: Feed, company: dict, fetcher, since: str | None = None) -> FeedResult:
    """Ask one feed for its announcements, newest first; only report titles are kept.
    `company` = {"case_no", "name"}; `since` = the feed's cursor (ISO time) bounds the query
    where the source allows it. Never raises for the feed's fault."""
    from importlib import import_module

    from .http import FeedError

    adapter = import_module(f"extractors.feeds.{feed.kind}")
    result = FeedResult(feed.feed_id)
    try:
        items = adapter.read(feed, fetcher, since, result)
    except FeedError as exc:
        result.error = str(exc)
        return result
    except Exception as exc:  # an adapter bug fails this feed's poll, not the watcher
        result.error = f"adapter error: {type(exc).__name__}: {exc}"
        return result
    result.seen = len(items)
    for item in items:
        if is_report_title(item["title"]):
            result.disclosures.append(Disclosure(
                case_no=company["case_no"], company=company["name"], url=item["url"], title=item["title"].strip(),
                published_at=iso_utc(item["published_at"]), source_id=f"{feed.kind}:{item['id']}",
                feed=feed.feed_id))
    return result


def feed_urls(feed_id: str) -> list[str]:
    """The URLs a feed's requests (and its documents) go to: its own URL, or the exchange's endpoints."""
    from common.settings import feed_endpoints

    kind, _, arg = feed_id.partition(":")
    ends = feed_endpoints()
    return {"rss": [arg], "sitemap": [arg], "cninfo": [ends.cninfo, ends.cninfo_static], "hkex": [ends.hkex],
            "edgar": [ends.edgar, ends.edgar_archives]}.get(kind, [])


def trusted_hosts(feed_id: str) -> list[str]:
    """Hosts the user configured for this feed: only these may resolve to private addresses
    when the announced document is fetched."""
    from urllib.parse import urlsplit

    return sorted({h for h in ((urlsplit(u).hostname or "").lower().rstrip(".") for u in feed_urls(feed_id)) if h})
