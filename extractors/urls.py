"""URL helpers shared by the crawler's stages: fragments and credentials stripped, allowlists
matched, log timestamps."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def strip_fragment(url: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, p.path or "/", p.query, ""))


def strip_credentials(url: str) -> str:
    """`url` without a user:password@ part (for logs and storage)."""
    try:
        p = urlsplit(url)
    except ValueError:
        return url
    if "@" not in p.netloc:
        return url
    return urlunsplit((p.scheme, p.netloc.rsplit("@", 1)[1], p.path, p.query, p.fragment))


def host_allowed(host: str, allowed: list[str]) -> bool:
    host = (host or "").lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in allowed)
