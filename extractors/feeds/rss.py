"""`rss:URL` — an RSS 2.0 or Atom feed (feedparser detects which). An entry's document is its
PDF enclosure when it has one, else its link; its id is the entry's guid / Atom id, else the link."""
from __future__ import annotations

import calendar
from datetime import datetime, timezone

import feedparser

from .http import FeedError, get_bytes, looks_html


def read(feed, fetcher, since, result) -> list[dict]:
    body, content_type = get_bytes(fetcher, feed.arg, result)
    if looks_html(body):
        raise FeedError(f"{feed.arg}: answered an HTML page ({content_type or 'no content-type'}), not a feed")
    parsed = feedparser.parse(body)
    if not parsed.version:
        why = parsed.get("bozo_exception") or "no RSS or Atom root element"
        raise FeedError(f"{feed.arg}: not an RSS or Atom feed ({why})")
    items = []
    for entry in parsed.entries:
        url = next((e.get("href") for e in entry.get("enclosures", [])
                    if "pdf" in (e.get("type") or "").lower() or (e.get("href") or "").lower().endswith(".pdf")),
                   None) or entry.get("link")
        if not url:
            continue
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        moment = (datetime.fromtimestamp(calendar.timegm(stamp), timezone.utc) if stamp
                  else datetime.now(timezone.utc))  # undated: it was published by the time we saw it
        items.append({"id": entry.get("id") or url, "url": url, "title": entry.get("title") or "",
                      "published_at": moment})
    return items
