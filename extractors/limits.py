"""Time and host limits shared by the crawls of one process.

`Deadline`: one document's total time (every read, retry and redirect), never past the end of
its company's crawl budget; a stop request (SIGTERM) ends it at once. `Gate`: per-host
concurrency, delay and Retry-After back-off, shared by every crawl in this process.
`CrawlConfig`: the bounds of one crawl or feed request (timeouts, sizes, retries, politeness),
read by the Fetcher; here, below crawl.py, so the feed adapters can use it without the crawler.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from common import interrupt, settings


class Deadline:
    """One document's total deadline (all reads, retries and redirects), never past the end of
    its company's crawl budget (`hard_end`); a stop request (SIGTERM) ends it at once."""

    def __init__(self, seconds: float, hard_end: float = float("inf")) -> None:
        self.end = time.monotonic() + seconds
        self.hard_end = hard_end

    def remaining(self) -> float:
        if interrupt.requested():
            return 0.0
        return min(self.end, self.hard_end) - time.monotonic()

    def extend(self, seconds: float) -> None:
        self.end += seconds

    def reason(self, config, size: int | None = None) -> str:
        after = "" if size is None else f" after {size} bytes"
        if interrupt.requested():
            return f"{interrupt.reason()}{after}"
        if self.hard_end <= self.end:
            return f"company crawl budget ({config.company_budget:g}s) spent{after}"
        return f"total timeout ({config.total_timeout:g}s) exceeded{after}"


class Gate:
    """One host's limits, shared by every crawl in this process."""

    def __init__(self, concurrency: int) -> None:
        self.sem = threading.BoundedSemaphore(max(1, concurrency))
        self.lock = threading.Lock()
        self.last_start = -1e9  # monotonic time the last request to the host started
        self.blocked_until = 0.0  # Retry-After: no request to the host before this


_gates: dict[tuple[str, int], Gate] = {}
_gates_lock = threading.Lock()


def gate(netloc: str, concurrency: int) -> Gate:
    with _gates_lock:
        g = _gates.get((netloc, concurrency))
        if g is None:
            g = _gates[(netloc, concurrency)] = Gate(concurrency)
        return g


def reset_gates() -> None:
    with _gates_lock:
        _gates.clear()


def enter_gate(host: Gate, delay: float, deadline: Deadline) -> float | None:
    """Wait for the host's slot and delay; None (slot not taken) when the company's budget
    would run out first."""
    t0 = time.monotonic()
    limit = deadline.hard_end - t0
    if not host.sem.acquire(timeout=max(0.0, limit) if limit != float("inf") else None):
        return None
    with host.lock:
        now = time.monotonic()
        start = max(now, host.last_start + delay, host.blocked_until)
        if start >= deadline.hard_end or interrupt.requested():
            host.sem.release()
            return None
        host.last_start = start
    if start > now:
        time.sleep(start - now)
    return time.monotonic() - t0


def _default_user_agent() -> str:
    contact = settings.contact()
    return f"carbonwatch/0.1 (+contact: {contact or 'set CARBONWATCH_CONTACT'})"


@dataclass
class CrawlConfig:
    user_agent: str = field(default_factory=_default_user_agent)
    connect_timeout: float = 5
    read_timeout: float = 15
    total_timeout: float = 60  # one URL, redirects and retries included (the per-document deadline)
    company_budget: float | None = None  # seconds for the whole crawl of one source (None: unbounded)
    max_bytes: int = 100 * 2**20
    max_redirects: int = 5
    max_retries: int = 3
    backoff: float = 0.5  # seconds; doubled on each retry of a 5xx / 429
    max_depth: int = 2
    max_pages: int = 20  # HTML pages fetched per source
    per_host_delay: float = 0.0  # 1.0 is polite for real sites; robots.txt Crawl-delay may raise it
    allow_private: bool = False
    # additions beyond the agreed interface
    per_host_concurrency: int = 2  # requests in flight per host, across all crawls in this process
    max_retry_after: float = 60.0  # a longer Retry-After is not waited for (recorded as failure)
    max_documents: int = 50  # report documents fetched per source
    max_page_bytes: int = 5 * 2**20  # HTML parsed per page
    trust_env: bool = False  # use HTTP(S)_PROXY etc. from the environment
