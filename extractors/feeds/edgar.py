"""`edgar:CIK` — SEC EDGAR submissions of one filer.

GET <edgar>/submissions/CIK##########.json; `filings.recent` holds parallel arrays
(accessionNumber, filingDate, acceptanceDateTime, form, primaryDocument, primaryDocDescription).
The document is <edgar_archives>/<cik>/<accession without dashes>/<primaryDocument>; its title is
the description (else the form), so only filings described as ESG / sustainability reports pass."""
from __future__ import annotations

from datetime import datetime, timezone

from common.settings import feed_endpoints

from .http import FeedError, get_json, need

COLUMNS = ("accessionNumber", "filingDate", "form", "primaryDocument")


def read(feed, fetcher, since, result) -> list[dict]:
    ends = feed_endpoints()
    cik = int(feed.arg)
    url = f"{ends.edgar}/submissions/CIK{cik:010d}.json"
    data = get_json(fetcher, url, result)
    recent = need(need(data, "filings", dict, url), "recent", dict, url)
    columns = {c: need(recent, c, list, url) for c in COLUMNS}
    n = len(columns["accessionNumber"])
    if any(len(v) != n for v in columns.values()):
        raise FeedError(f"{url}: filings.recent arrays differ in length")
    accepted = recent.get("acceptanceDateTime") or [None] * n
    described = recent.get("primaryDocDescription") or [None] * n
    items = []
    for i in range(n):
        accession = str(columns["accessionNumber"][i])
        stamp = accepted[i] if i < len(accepted) and accepted[i] else f"{columns['filingDate'][i]}T00:00:00Z"
        try:
            moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
        except ValueError:
            raise FeedError(f"{url}: filing {accession} has no readable date ({stamp!r})") from None
        items.append({"id": accession,
                      "title": str((described[i] if i < len(described) else None) or columns["form"][i]),
                      "url": f"{ends.edgar_archives}/{cik}/{accession.replace('-', '')}/{columns['primaryDocument'][i]}",
                      "published_at": moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)})
    return items
