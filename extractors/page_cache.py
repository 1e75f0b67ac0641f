"""Pages already parsed, kept with their validators, so that an unchanged page costs a 304.

Like Scrapy's HTTP cache under its RFC 2616 policy, but keeping what the crawl needs of a page
(its links) rather than its bytes: the next crawl asks for the page with If-None-Match /
If-Modified-Since and, when the server answers 304 Not Modified, takes the links found last
time instead of downloading and parsing the page again. A page whose server sends neither an
ETag nor a Last-Modified is not kept (it is fetched and parsed every time).

    cache = PageCache(raw_dir / "pages")
    kept = cache.get(url)            # None, or {"etag", "last_modified", "final_url", "links"}
    cache.put(url, final_url, headers, links)

One JSON file per page URL under pages/<ab>/<sha256 of the URL>.json, written whole (temp file +
rename), so crawls running at once on a shared raw folder never read half a file.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from .discover import Link


class PageCache:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, url: str) -> Path:
        key = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()
        return self.root / key[:2] / f"{key}.json"

    def get(self, url: str) -> dict | None:
        """What was kept of `url`: its validators, the URL it ended at and its links; None if
        nothing (or a file that cannot be read: the page is then fetched whole)."""
        try:
            kept = json.loads(self._path(url).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(kept, dict) or kept.get("url") != url or not (kept.get("etag") or kept.get("last_modified")):
            return None
        return kept

    def links(self, kept: dict) -> list[Link]:
        return [Link(*link) for link in kept.get("links") or []]

    def put(self, url: str, final_url: str, headers: dict, links: list[Link]) -> None:
        """Keep `url`'s links with the validators of its response (headers, lower-cased names);
        forget it when the response has none."""
        path = self._path(url)
        etag, last_modified = headers.get("etag"), headers.get("last-modified")
        if not (etag or last_modified):
            path.unlink(missing_ok=True)
            return
        kept = {"url": url, "final_url": final_url, "etag": etag, "last_modified": last_modified,
                "links": [[link.url, link.text, link.context] for link in links]}
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(kept, fh, ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
