"""Feed requests through the crawler's polite Fetcher (User-Agent, robots.txt, per-host delay and
concurrency, backoff on 429/5xx with Retry-After, size caps), and the answer's first checks."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

MAX_FEED_BYTES = 10 * 2**20


class FeedError(Exception):
    """The feed's answer cannot be used (HTTP error, HTML instead of a feed, garbage JSON...)."""


def feed_fetcher(urls: list[str], tmp_dir: Path, log: list, per_host_delay: float = 0.0):
    """A Fetcher allowed on the hosts of `urls` only. The hosts are the user's configuration, so
    they may be private addresses (a company intranet, a test server on 127.0.0.1)."""
    from extractors.fetch import Fetcher
    from extractors.limits import CrawlConfig

    hosts = sorted({(urlsplit(u).hostname or "").lower().rstrip(".") for u in urls} - {""})
    config = CrawlConfig(per_host_delay=per_host_delay, total_timeout=30, read_timeout=10, max_retries=2)
    return Fetcher(config, hosts, tmp_dir, log, private_ok=set(hosts))


def get_bytes(fetcher, url: str, result, form: dict | None = None) -> tuple[bytes, str]:
    """The body and content type of `url` (POST `form` when given); FeedError when it failed."""
    result.requests += 1
    res = fetcher.fetch(url, kind="feed", max_bytes=MAX_FEED_BYTES, form=form)
    try:
        if not res.ok:
            raise FeedError(f"{url}: {res.error}")
        return res.read(), (res.content_type or "")
    finally:
        res.discard()


def looks_html(body: bytes) -> bool:
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def get_json(fetcher, url: str, result, form: dict | None = None):
    body, content_type = get_bytes(fetcher, url, result, form)
    if looks_html(body):
        raise FeedError(f"{url}: answered an HTML page ({content_type or 'no content-type'}), not JSON")
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FeedError(f"{url}: not JSON ({exc}); starts {body[:60]!r}") from None


def need(data, key: str, kind: type, where: str):
    """data[key] of the expected type, else FeedError naming what the answer lacked."""
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, kind):
        raise FeedError(f"{where}: expected {key!r} ({kind.__name__}) in the answer, got {type(value).__name__}")
    return value
