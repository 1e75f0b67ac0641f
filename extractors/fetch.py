"""The polite, bounded HTTP layer of the crawler.

One `Fetcher` per crawl of one source. Every request and every refusal becomes a log row
{"url", "status", "reason", "at", "kind"}. Nothing here raises for network, HTTP or content
problems: a `Fetched` carries `error` instead.

Safety: http(s) only; the host must be in the allowlist; addresses that are not globally routable
(private, loopback, link-local, ...) are refused unless the host is named exactly in
allowed_domains or config.allow_private; redirects are followed by hand (each hop re-checked,
capped, loops detected); connect, read and total timeouts; a size cap; retries with backoff only
for 5xx and 429, honouring Retry-After (capped). Politeness: robots.txt (RFC 9309: 4xx = allow,
5xx / unreachable = disallow), one User-Agent, a per-host concurrency limit and delay shared by
all crawls in this process, Crawl-delay honoured (capped).
"""
from __future__ import annotations

import hashlib
import ipaddress
import os
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from common import interrupt

from .limits import Deadline, enter_gate, gate, reset_gates
from .sessions import new_session
from .urls import host_allowed, now_iso, strip_credentials, strip_fragment

try:  # RFC 9309 matching (wildcards, longest match); the stdlib parser is the fallback
    from protego import Protego
except ImportError:  # pragma: no cover
    Protego = None
    from urllib.robotparser import RobotFileParser

REDIRECTS = (301, 302, 303, 307, 308)
ROBOTS_MAX_BYTES = 512 * 1024
MAX_CRAWL_DELAY = 30.0
CHUNK = 64 * 1024
# a body left unread (304, redirect, error page) up to this size is drained so that the connection
# goes back to the pool (keep-alive: the next request to the host skips TCP and TLS set-up)
DRAIN_MAX_BYTES = 64 * 1024


# robots.txt outcomes shared by the crawls in this process (RFC 9309 allows caching up to 24 h);
# only answers are kept (a parsed file, or 4xx = no rules), never network failures.
ROBOTS_TTL = 3600.0
_robots_cache: dict[tuple[str, str], tuple[float, tuple]] = {}
_robots_lock = threading.Lock()


def reset_shared_state() -> None:
    """Forget the per-host gates and cached robots.txt answers of this process (for tests, whose
    servers may reuse a port of an earlier one)."""
    reset_gates()
    with _robots_lock:
        _robots_cache.clear()


# --------------------------------------------------------------------------- results
@dataclass
class Fetched:
    url: str
    final_url: str
    http_status: int | None = None
    error: str | None = None
    not_modified: bool = False
    headers: dict = field(default_factory=dict)
    path: Path | None = None  # temp file with the body (caller moves or deletes it)
    size: int = 0
    sha256: str | None = None
    head: bytes = b""  # first 1 KiB
    tail: bytes = b""  # last 1 KiB
    refused: bool = False  # never sent: allowlist, private address, robots.txt

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    def read(self, limit: int | None = None) -> bytes:
        if self.path is None:
            return b""
        with open(self.path, "rb") as fh:
            return fh.read(limit if limit is not None else -1)

    def discard(self) -> None:
        if self.path is not None:
            try:
                os.unlink(self.path)
            except OSError:
                pass
            self.path = None


class _Fail(Exception):
    pass


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, urllib3.util.Retry().parse_retry_after(value.strip()))
    except Exception:
        try:
            dt = parsedate_to_datetime(value)
            return max(0.0, (dt - datetime.now(timezone.utc)).total_seconds())
        except Exception:
            return None


def _describe(exc: BaseException) -> str:
    text = str(exc)
    if "Caused by" in text:
        text = text.split("Caused by", 1)[1].strip(" ()")
    return f"{type(exc).__name__}: {text}"[:300]


# --------------------------------------------------------------------------- fetcher
def _keep_alive(resp) -> None:
    """Drain a small unread body (a 304, a redirect, an error page) so urllib3 returns the
    connection to the pool instead of closing it; a large or unknown-length one is dropped."""
    if getattr(resp.raw, "connection", None) is None or resp.raw.tell():
        return  # back in the pool already (read to the end), closed, or a body read part-way
    length = resp.headers.get("Content-Length")
    small = resp.status_code in (204, 304) or (length is not None and length.strip().isdigit()
                                                and int(length) <= DRAIN_MAX_BYTES)
    if small:
        resp.raw.drain_conn()


class Fetcher:
    def __init__(self, config, allowed_domains: list[str], tmp_dir: Path, log: list,
                 private_ok: set[str] | None = None, session: requests.Session | None = None) -> None:
        self.config = config
        self.allowed = [d.lower() for d in allowed_domains]
        # hosts that may resolve to private / loopback addresses: those named in allowed_domains
        self.private_ok = set(self.allowed if private_ok is None else private_ok)
        self.tmp_dir = Path(tmp_dir)
        self.log_rows = log
        self._own_session = session is None  # a shared one (extractors/sessions.py) is closed by its pool
        self.session = new_session(config) if session is None else session
        self.session.cookies.clear()  # a shared session keeps its connections, not another crawl's cookies
        self._dns: dict[str, str | None] = {}
        budget = getattr(config, "company_budget", None)
        self.budget_end = time.monotonic() + budget if budget else float("inf")
        self._robots: dict[str, tuple] = {}  # origin -> (parser|None, disallow_reason|None, crawl_delay)

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def budget_left(self) -> float:
        """Seconds left of this crawl's company budget (0 once a stop was requested)."""
        return 0.0 if interrupt.requested() else self.budget_end - time.monotonic()

    def log(self, url: str, status: int | None, reason: str, kind: str) -> None:
        self.log_rows.append({"url": strip_credentials(url), "status": status, "reason": reason, "at": now_iso(),
                              "kind": kind})

    # ----------------------------------------------------------------- policy
    def refusal(self, url: str) -> str | None:
        """Why `url` may not be requested at all (scheme, allowlist, address), or None."""
        try:
            p = urlsplit(url)
            port = p.port or (443 if p.scheme == "https" else 80)
        except ValueError as exc:
            return f"refused: malformed URL ({exc})"
        if p.scheme not in ("http", "https"):
            return f"refused: scheme {p.scheme or '(none)'!r} is not http(s)"
        if "@" in p.netloc:  # requests would send them as Basic auth, to robots.txt too
            return "refused: URL carries credentials (user:password@), never sent"
        host = (p.hostname or "").lower().rstrip(".")
        if not host:
            return "refused: URL has no host"
        if not host_allowed(host, self.allowed):
            return f"refused: host {host} is not in allowed_domains ({';'.join(self.allowed)})"
        if self.config.allow_private or host in self.private_ok:
            return None
        if host not in self._dns:
            self._dns[host] = self._check_address(host, port)
        return self._dns[host]

    @staticmethod
    def _check_address(host: str, port: int) -> str | None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            return f"DNS lookup failed for {host}: {exc}"
        for info in infos:
            ip = ipaddress.ip_address(info[4][0].split("%", 1)[0])
            if getattr(ip, "ipv4_mapped", None):
                ip = ip.ipv4_mapped
            if not ip.is_global:
                return (
                    f"refused: {host} resolves to non-public address {ip} "
                    "(name the host in allowed_domains to allow it)"
                )
        return None

    # ----------------------------------------------------------------- robots.txt
    def robots(self, url: str) -> tuple:
        p = urlsplit(url)
        origin = f"{p.scheme}://{p.netloc}"
        if origin not in self._robots:
            key = (origin, self.config.user_agent)
            with _robots_lock:
                hit = _robots_cache.get(key)
            if hit and hit[0] > time.monotonic():
                self._robots[origin] = hit[1]
            else:
                self._robots[origin] = entry = self._load_robots(origin)
                if entry[1] is None:  # not a failure: share it
                    with _robots_lock:
                        _robots_cache[key] = (time.monotonic() + ROBOTS_TTL, entry)
        return self._robots[origin]

    def _load_robots(self, origin: str) -> tuple:
        url = origin + "/robots.txt"
        res = self.fetch(url, kind="robots", max_bytes=ROBOTS_MAX_BYTES, truncate=True, robots=False)
        try:
            if res.ok:
                text = res.read().decode("utf-8", "replace")
                if Protego is not None:
                    parser = Protego.parse(text)
                    delay = parser.crawl_delay(self.config.user_agent)
                else:  # pragma: no cover
                    parser = RobotFileParser()
                    parser.parse(text.splitlines())
                    delay = parser.crawl_delay(self.config.user_agent)
                return parser, None, float(delay or 0.0)
            if res.http_status is not None and 400 <= res.http_status < 500:
                return None, None, 0.0  # RFC 9309: unavailable -> no restrictions
            if res.refused:
                return None, None, 0.0  # e.g. redirected off the allowlist: unavailable too
            return None, f"robots.txt unreachable ({res.error}): site treated as disallowed", 0.0
        finally:
            res.discard()

    def robots_refusal(self, url: str) -> str | None:
        parser, reason, _ = self.robots(url)
        if reason:
            return reason
        if parser is None:
            return None
        agent = self.config.user_agent
        if Protego is not None:
            allowed = parser.can_fetch(url, agent)
        else:  # pragma: no cover
            allowed = parser.can_fetch(agent, url)
        return None if allowed else "disallowed by robots.txt"

    def _host_delay(self, url: str, robots: bool) -> float:
        delay = float(self.config.per_host_delay or 0.0)
        if robots:
            crawl_delay = self.robots(url)[2]
            delay = max(delay, min(crawl_delay, MAX_CRAWL_DELAY))
        return delay

    # ----------------------------------------------------------------- fetch
    def fetch(
        self,
        url: str,
        *,
        kind: str,
        max_bytes: int | None = None,
        conditional: dict | None = None,
        truncate: bool = False,
        robots: bool = True,
        form: dict | None = None,
    ) -> Fetched:
        """GET `url` following redirects by hand; the body goes to a temp file (res.path).
        `conditional` = {"etag", "last_modified"} of a previous fetch; `form`: fields to POST to `url`."""
        cfg = self.config
        max_bytes = cfg.max_bytes if max_bytes is None else max_bytes
        deadline = Deadline(cfg.total_timeout, self.budget_end)
        hops = [url]
        current = url
        attempt = 0
        headers = {}
        if conditional:
            if conditional.get("etag"):
                headers["If-None-Match"] = conditional["etag"]
            if conditional.get("last_modified"):
                headers["If-Modified-Since"] = conditional["last_modified"]
        res = Fetched(url=url, final_url=url)
        while True:
            res.final_url = current
            why = self.refusal(current)
            if why is None and robots:
                why = self.robots_refusal(current)
            if why is not None:
                res.error, res.refused = why, why.startswith(("refused", "disallowed", "robots.txt"))
                if current != url:
                    res.error = f"redirect to {strip_credentials(current)}: {why}"
                self.log(current, None, why, kind)
                return res
            host_gate = gate(urlsplit(current).netloc, getattr(cfg, "per_host_concurrency", 2))
            delay = self._host_delay(current, robots)
            waited = enter_gate(host_gate, delay, deadline)
            if waited is None:
                res.error = deadline.reason(cfg) + " waiting for the host"
                self.log(current, None, res.error, kind)
                return res
            deadline.extend(waited)  # queueing for the host is not this request's time (the budget still counts)
            try:
                retry_wait = self._attempt(res, current, headers, deadline, max_bytes, truncate, kind, attempt, hops,
                                       form if current == url else None)
            finally:
                host_gate.sem.release()
            if retry_wait is None:
                return res
            if isinstance(retry_wait, str):  # next redirect hop
                current = retry_wait
                continue
            wait, retry_after = retry_wait
            if retry_after:
                with host_gate.lock:  # the whole host backs off, not just this request
                    host_gate.blocked_until = max(host_gate.blocked_until, time.monotonic() + wait)
            time.sleep(wait)
            attempt += 1

    def _attempt(self, res, url, headers, deadline, max_bytes, truncate, kind, attempt, hops, form=None):
        """One request. Returns None when `res` is final, a URL string for a redirect hop,
        or (wait_seconds, honoured_retry_after) to retry."""
        cfg = self.config
        remaining = deadline.remaining()
        if remaining <= 0:
            res.error = deadline.reason(cfg)
            self.log(url, None, res.error, kind)
            return None
        timeout = (min(cfg.connect_timeout, remaining), min(cfg.read_timeout, remaining))
        try:
            resp = self.session.request("POST" if form is not None else "GET", url, data=form, headers=headers,
                                        stream=True, allow_redirects=False, timeout=timeout)
        except requests.exceptions.ConnectTimeout:
            res.error = f"connect timeout after {timeout[0]:g}s"
        except requests.exceptions.ReadTimeout:
            res.error = f"read timeout: no response within {timeout[1]:g}s"
        except requests.exceptions.SSLError as exc:
            res.error = f"TLS error: {_describe(exc)}"
        except requests.exceptions.ConnectionError as exc:
            res.error = f"connection error: {_describe(exc)}"
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            res.error = f"request failed: {_describe(exc)}"
        if res.error:
            self.log(url, None, res.error, kind)
            return None
        with resp:
            try:
                return self._handle(res, resp, url, deadline, max_bytes, truncate, kind, attempt, hops)
            finally:
                _keep_alive(resp)

    def _handle(self, res, resp, url, deadline, max_bytes, truncate, kind, attempt, hops):
        """What one response means: final (None), a redirect hop (URL) or a retry (wait, Retry-After?)."""
        cfg = self.config
        status = resp.status_code
        res.http_status = status
        res.headers = {k.lower(): v for k, v in resp.headers.items()}
        if status in REDIRECTS and resp.headers.get("Location"):
            nxt = strip_fragment(urljoin(url, resp.headers["Location"]))
            self.log(url, status, f"redirect to {strip_credentials(nxt)}", kind)
            if nxt in hops:
                res.error = "redirect loop: " + " -> ".join(hops[hops.index(nxt):] + [nxt])
            elif len(hops) > cfg.max_redirects:
                res.error = f"too many redirects (more than {cfg.max_redirects})"
            if res.error:
                self.log(url, status, res.error, kind)
                return None
            hops.append(nxt)
            return nxt
        if status == 429 or 500 <= status < 600:
            reason = f"HTTP {status} {resp.reason or ''}".strip()
            retry_after = parse_retry_after(resp.headers.get("Retry-After")) if status in (429, 503) else None
            if attempt >= cfg.max_retries:
                res.error = f"{reason} (gave up after {attempt} retries)"
            elif retry_after is not None and retry_after > getattr(cfg, "max_retry_after", 60.0):
                res.error = f"{reason}: Retry-After {retry_after:g}s exceeds the cap, not retried"
            else:
                wait = retry_after if retry_after is not None else cfg.backoff * (2 ** attempt)
                if wait >= deadline.remaining():
                    res.error = f"{reason}: retry in {wait:g}s would pass the total timeout"
                else:
                    src = "Retry-After" if retry_after is not None else "backoff"
                    self.log(url, status, f"{reason}: retry {attempt + 1}/{cfg.max_retries} in {wait:g}s ({src})", kind)
                    return wait, retry_after is not None
            self.log(url, status, res.error, kind)
            return None
        if status == 304:
            res.not_modified = True
            self.log(url, status, "not modified", kind)
            return None
        if not (200 <= status < 300) or status == 206:
            res.error = f"HTTP {status} {resp.reason or ''}".strip()
            self.log(url, status, res.error, kind)
            return None
        try:
            self._read_body(res, resp, deadline, max_bytes, truncate)
        except _Fail as exc:
            res.error = str(exc)
            res.discard()
            self.log(url, status, res.error, kind)
            return None
        self.log(url, status, f"OK {res.size} bytes ({res.content_type or 'no content-type'})", kind)
        return None

    def _read_body(self, res: Fetched, resp, deadline: Deadline, max_bytes: int, truncate: bool) -> None:
        cfg = self.config
        length = resp.headers.get("Content-Length")
        try:
            length = int(length) if length is not None else None
        except ValueError:
            length = None
        if length is not None and length > max_bytes and not truncate:
            raise _Fail(f"too large: Content-Length {length} exceeds the {max_bytes}-byte cap")
        sock = None  # its timeout is lowered so that no single read outlives the total deadline
        try:
            sock = resp.raw.connection.sock
        except AttributeError:
            pass
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.tmp_dir, suffix=".part")
        res.path = Path(tmp)
        digest = hashlib.sha256()
        size = 0
        head = b""
        tail = b""
        with os.fdopen(fd, "wb") as out:
            while True:
                remaining = deadline.remaining()
                if remaining <= 0:
                    raise _Fail(deadline.reason(cfg, size))
                if sock is not None:
                    try:
                        sock.settimeout(min(cfg.read_timeout, remaining))
                    except OSError:
                        pass
                try:
                    chunk = resp.raw.read1(CHUNK, decode_content=True)
                except (urllib3.exceptions.ReadTimeoutError, socket.timeout, TimeoutError):
                    if deadline.remaining() <= 0:
                        raise _Fail(deadline.reason(cfg, size)) from None
                    raise _Fail(f"read timeout: body stalled after {size} bytes") from None
                except urllib3.exceptions.ProtocolError as exc:
                    if "IncompleteRead" in str(exc) and length is not None:
                        raise _Fail(f"truncated: connection closed after {size} of {length} bytes") from None
                    raise _Fail(f"connection broken after {size} bytes: {_describe(exc)}") from None
                except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
                    raise _Fail(f"read failed after {size} bytes: {_describe(exc)}") from None
                if not chunk:
                    break
                if size + len(chunk) > max_bytes:
                    if truncate:
                        chunk = chunk[: max_bytes - size]
                    else:
                        raise _Fail(f"too large: body exceeds the {max_bytes}-byte cap")
                size += len(chunk)
                digest.update(chunk)
                out.write(chunk)
                if len(head) < 1024:
                    head += chunk[: 1024 - len(head)]
                tail = (tail + chunk)[-1024:]
                if truncate and size >= max_bytes:
                    break
        encoded = resp.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
        if length is not None and not encoded and not truncate and size != length:
            raise _Fail(f"truncated: received {size} of {length} bytes")
        res.size, res.sha256, res.head, res.tail = size, digest.hexdigest(), head, tail
