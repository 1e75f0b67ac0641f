"""`cninfo:CODE` — 巨潮资讯 (cninfo) full-text announcement search of one stock.

POST <cninfo>/new/hisAnnouncement/query with the form fields stock, column (szse / sse / bj,
from the code), tabName=fulltext, seDate (from the cursor's day to tomorrow), pageNum, pageSize;
the answer's announcements[] carry announcementId, announcementTitle (may hold <em> highlights),
announcementTime (epoch ms), adjunctUrl (the PDF under <cninfo_static>/), secCode, secName."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from common.settings import feed_endpoints

from .http import FeedError, get_json

PAGE_SIZE = 30
MAX_PAGES = 10
LOOKBACK_DAYS = 366  # a first poll (no cursor) looks back one year
_TAGS = re.compile(r"<[^>]+>")


def column(code: str) -> str:
    """The exchange column of a mainland code: Shanghai 6/9, Beijing 4/8, else Shenzhen."""
    return "sse" if code[0] in "69" else "bj" if code[0] in "48" else "szse"


def read(feed, fetcher, since, result) -> list[dict]:
    ends = feed_endpoints()
    url = f"{ends.cninfo}/new/hisAnnouncement/query"
    today = datetime.now(timezone.utc)
    start = (datetime.fromisoformat(since.replace("Z", "+00:00")) - timedelta(days=1) if since
             else today - timedelta(days=LOOKBACK_DAYS))
    se_date = f"{start:%Y-%m-%d}~{today + timedelta(days=1):%Y-%m-%d}"
    items = []
    for page in range(1, MAX_PAGES + 1):
        form = {"stock": feed.arg, "column": column(feed.arg), "tabName": "fulltext", "seDate": se_date,
                "pageNum": str(page), "pageSize": str(PAGE_SIZE)}
        data = get_json(fetcher, url, result, form)
        rows = data.get("announcements") if isinstance(data, dict) else None
        if rows is None and isinstance(data, dict) and "announcements" in data:
            rows = []  # cninfo answers null for an empty page
        if not isinstance(rows, list):
            raise FeedError(f"{url}: expected 'announcements' (list) in the answer, got {type(rows).__name__}")
        for row in rows:
            if not isinstance(row, dict):
                raise FeedError(f"{url}: an announcement is not an object: {row!r:.80}")
            code = str(row.get("secCode") or feed.arg)
            if code != feed.arg:
                continue  # the full-text search also finds other companies' announcements
            try:
                moment = datetime.fromtimestamp(int(row["announcementTime"]) / 1000, timezone.utc)
                items.append({"id": str(row["announcementId"]), "title": _TAGS.sub("", str(row["announcementTitle"])),
                              "url": f"{ends.cninfo_static}/{str(row['adjunctUrl']).lstrip('/')}",
                              "published_at": moment})
            except (KeyError, TypeError, ValueError) as exc:
                raise FeedError(f"{url}: announcement {row.get('announcementId')!r} lacks {exc}") from None
        if not rows or not data.get("hasMore"):
            break
    return items



