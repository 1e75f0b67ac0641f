"""`hkex:CODE` — HKEXnews title search of one stock.

GET <hkex>/search/titleSearchServlet.do (stockId, fromDate / toDate as YYYYMMDD, rowRange,
lang); the answer's `result` is a list of rows — or, as HKEXnews sends it, a JSON string of one —
with DATE_TIME ("dd/mm/yyyy HH:MM", Hong Kong time), TITLE and FILE_LINK (relative to <hkex>)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode, urljoin

from common.settings import feed_endpoints

from .http import FeedError, get_json

HONG_KONG = timezone(timedelta(hours=8))
LOOKBACK_DAYS = 366


def read(feed, fetcher, since, result) -> list[dict]:
    base = feed_endpoints().hkex
    today = datetime.now(HONG_KONG)
    start = (datetime.fromisoformat(since.replace("Z", "+00:00")).astimezone(HONG_KONG) - timedelta(days=1)
             if since else today - timedelta(days=LOOKBACK_DAYS))
    query = {"sortDir": "0", "sortByOptions": "DateTime", "category": "0", "market": "SEHK", "stockId": feed.arg,
             "documentType": "-1", "fromDate": f"{start:%Y%m%d}", "toDate": f"{today:%Y%m%d}", "title": "",
             "searchType": "0", "t1code": "-2", "t2Gcode": "-2", "t2code": "-2", "rowRange": "100", "lang": "E"}
    url = f"{base}/search/titleSearchServlet.do?{urlencode(query)}"
    data = get_json(fetcher, url, result)
    rows = data.get("result") if isinstance(data, dict) else None
    if isinstance(rows, str):
        try:
            rows = json.loads(rows) if rows.strip() not in ("", "null") else []
        except ValueError:
            raise FeedError(f"{url}: 'result' is neither rows nor a JSON string of rows: {rows[:60]!r}") from None
    if not isinstance(rows, list):
        raise FeedError(f"{url}: expected 'result' rows in the answer, got {type(rows).__name__}")
    items = []
    for row in rows:
        try:
            moment = datetime.strptime(row["DATE_TIME"].strip(), "%d/%m/%Y %H:%M").replace(tzinfo=HONG_KONG)
            link = str(row["FILE_LINK"]).strip()
            items.append({"id": str(row.get("NEWS_ID") or link), "title": str(row["TITLE"]),
                          "url": urljoin(base + "/", link), "published_at": moment})
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise FeedError(f"{url}: a row lacks DATE_TIME / TITLE / FILE_LINK ({exc!r}): {row!r:.80}") from None
    return items
