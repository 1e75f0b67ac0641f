"""`sitemap:URL` — an XML sitemap (or a sitemap index, one level deep). A sitemap has no titles,
so the document's URL stands for it; `<lastmod>` is its time and part of its id (a new lastmod
at the same URL is a new version; the same bytes again are still one document)."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from urllib.parse import unquote, urlsplit

from .http import FeedError, get_bytes, looks_html

MAX_CHILD_SITEMAPS = 20


def _parse(body: bytes, url: str) -> ET.Element:
    if looks_html(body):
        raise FeedError(f"{url}: answered an HTML page, not a sitemap")
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise FeedError(f"{url}: not XML ({exc})") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(node: ET.Element, name: str) -> str | None:
    for c in node:
        if _local(c.tag) == name and c.text:
            return c.text.strip()
    return None


def _lastmod(text: str | None) -> datetime:
    if text:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    return datetime.now(timezone.utc)


def read(feed, fetcher, since, result) -> list[dict]:
    root = _parse(get_bytes(fetcher, feed.arg, result)[0], feed.arg)
    roots = [root]
    if _local(root.tag) == "sitemapindex":
        roots = []
        for loc in [_child(s, "loc") for s in root if _local(s.tag) == "sitemap"][:MAX_CHILD_SITEMAPS]:
            if loc:
                roots.append(_parse(get_bytes(fetcher, loc, result)[0], loc))
    elif _local(root.tag) != "urlset":
        raise FeedError(f"{feed.arg}: root element <{_local(root.tag)}> is neither <urlset> nor <sitemapindex>")
    items = []
    for urlset in roots:
        for node in urlset:
            loc = _child(node, "loc")
            if _local(node.tag) != "url" or not loc:
                continue
            lastmod = _child(node, "lastmod")
            title = unquote(urlsplit(loc).path.rsplit("/", 1)[-1])
            items.append({"id": f"{loc}@{lastmod or ''}", "url": loc, "title": title, "published_at": _lastmod(lastmod)})
    return items
