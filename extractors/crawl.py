"""Crawl one company's site for its ESG / CSR / sustainability reports.

    result = crawl_source(source, raw_dir, known, CrawlConfig())

Discovery starts at the landing page (and any seed URLs), follows report-ish links within the
allowed domains (bounded depth and page count) and fetches every report document it finds,
incrementally: a URL in `known` is fetched with If-None-Match / If-Modified-Since, a 304 or a body
whose sha256 is already known is "unchanged" (not to be re-extracted). Bodies are sniffed (%PDF,
%%EOF), not trusted by Content-Type, and stored content-addressed as raw_dir/ab/<sha256>.pdf.
crawl_source never raises for network, HTTP or content problems; it records them.
"""
from __future__ import annotations

import heapq
import os
import traceback
from pathlib import Path
from urllib.parse import urlsplit

from .discover import Candidate, Link, candidate, classify, page_links, report_year
from .fetch import Fetched, Fetcher
from .urls import host_allowed, now_iso, strip_credentials, strip_fragment
from .limits import CrawlConfig
from .page_cache import PageCache
from .sessions import SessionPool
from .sources import normalise_host, normalise_source


# the error of a broken document the server says is unchanged (304 to its kept validators)
UNCHANGED_BROKEN = "unchanged since it failed, not downloaded again"


def content_path(raw_dir: Path, sha256: str) -> Path:
    return Path(raw_dir) / sha256[:2] / f"{sha256}.pdf"


def _sniff(head: bytes) -> str:
    if not head:
        return "empty"
    h = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if h.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<!--")) or b"<html" in h:
        return "text/html"
    if h.startswith(b"<?xml") or h.startswith(b"<"):
        return "markup"
    return "non-PDF bytes"


def _is_pdf(head: bytes) -> bool:
    return b"%PDF-" in head[:1024]


def _looks_html(res: Fetched) -> bool:
    return "html" in (res.content_type or "").lower() or _sniff(res.head) == "text/html"


class _Crawl:
    def __init__(self, src: dict, raw_dir: Path, known: dict, config: CrawlConfig, result: dict,
                 session=None) -> None:
        self.src, self.raw_dir, self.known, self.cfg, self.result = src, Path(raw_dir), known, config, result
        landing_host = normalise_host(urlsplit(src["landing_url"]).hostname or "")
        allowed = list(src["allowed_domains"])
        if landing_host and landing_host not in allowed:
            allowed.append(landing_host)
        self.fetcher = Fetcher(config, allowed, self.raw_dir / ".tmp", result["log"],
                               private_ok=set(src["allowed_domains"]), session=session)
        self.page_cache = PageCache(self.raw_dir / "pages")  # links of pages seen, with validators
        self.known_by_sha = {}
        for url, row in known.items():
            if row and row.get("sha256"):
                self.known_by_sha.setdefault(row["sha256"], url)
        self.pages: list = []  # heap of (depth, -score, order, url)
        self.seen_pages: set[str] = set()
        self.page_link: dict[str, Link] = {}  # the link that led to a page (its text, if it is a PDF)
        self.docs: dict[str, Candidate] = {}
        self.doc_depth: dict[str, int] = {}
        self.done: set[str] = set()
        self.rows: list[tuple[dict, Candidate]] = []
        self.run_sha: dict[str, str] = {}  # sha256 -> first url this run
        self.order = 0
        self.pages_fetched = 0

    def log(self, url: str, status, reason: str, kind: str = "discovery") -> None:
        self.fetcher.log(url, status, reason, kind)

    # ----------------------------------------------------------------- queueing
    def _push_page(self, url: str, depth: int, score: float) -> None:
        if url in self.seen_pages:
            return
        self.seen_pages.add(url)
        self.order += 1
        heapq.heappush(self.pages, (depth, -score, self.order, url))

    def _add_doc(self, link: Link, score: float, depth: int, page: str) -> None:
        self.order += 1
        new = candidate(link, score, self.order, page)
        old = self.docs.get(link.url)
        if old is None:
            self.docs[link.url] = new
            self.doc_depth[link.url] = depth
        elif link.url not in self.done and score > old.score:
            new.order = old.order
            new.report_year = new.report_year or old.report_year
            self.docs[link.url] = new

    def _consider(self, link: Link, depth: int, page: str) -> None:
        if "@" in urlsplit(link.url).netloc:  # never followed, never stored with its secret
            self.log(link.url, None, "refused: link carries credentials (user:password@), not followed")
            return
        kind, score = classify(link)
        if kind == "document":
            self._add_doc(link, score, depth, page)
        elif kind == "page" and depth + 1 <= self.cfg.max_depth:
            host = urlsplit(link.url).hostname or ""
            if host_allowed(host, self.fetcher.allowed) and link.url not in self.done:
                self.page_link.setdefault(link.url, link)
                self._push_page(link.url, depth + 1, score)

    def _next_doc(self) -> Candidate | None:
        pending = [c for u, c in self.docs.items() if u not in self.done]
        if not pending:
            return None
        return min(pending, key=lambda c: (-(c.report_year or 0), -c.score, c.order))

    # ----------------------------------------------------------------- run
    def run(self) -> None:
        landing = strip_fragment(self.src["landing_url"])
        self._push_page(landing, 0, float("inf"))
        for seed in self.src["seed_urls"]:
            seed = strip_fragment(seed)
            if urlsplit(seed).path.lower().endswith(".pdf"):
                self._add_doc(Link(seed, "", ""), 1.0, 0, "seed_urls")
            else:
                self._push_page(seed, 0, 100.0)
        fetched_docs = 0
        while True:
            if self.fetcher.budget_left() <= 0:
                self._budget_spent(landing)
                break
            if self.pages and self.pages_fetched < self.cfg.max_pages:
                depth, _, _, url = heapq.heappop(self.pages)
                self._page(url, depth, is_landing=(url == landing and self.pages_fetched == 0))
                continue
            cand = self._next_doc()
            if cand is None:
                break
            if fetched_docs >= self.cfg.max_documents:
                left = sum(1 for u in self.docs if u not in self.done)
                self.log(cand.url, None, f"max_documents ({self.cfg.max_documents}) reached: {left} report links not fetched")
                break
            self.done.add(cand.url)
            fetched_docs += 1
            self._document(cand)
        if self.pages:
            self.log(landing, None, f"max_pages ({self.cfg.max_pages}) reached: {len(self.pages)} pages not visited")
        if not self.docs:
            self.log(landing, None, f"no report links found ({self.pages_fetched} pages visited)")

    def _budget_spent(self, landing: str) -> None:
        """The company's crawl budget ran out (or a stop was requested): what arrived is kept,
        the rest is logged as not fetched."""
        from common import interrupt

        docs = sum(1 for u in self.docs if u not in self.done)
        why = interrupt.reason() if interrupt.requested() else \
            f"company crawl budget ({self.cfg.company_budget:g}s) spent"
        self.log(landing, None, f"{why}: {docs} report links and {len(self.pages)} pages not fetched")
        self.pages = []

    def _page(self, url: str, depth: int, is_landing: bool) -> None:
        self.done.add(url)
        self.pages_fetched += 1
        kept = self.page_cache.get(url)
        res = self.fetcher.fetch(url, kind="page", conditional=kept)
        try:
            if not res.ok:
                if is_landing:
                    self.result["error"] = f"landing page failed: {res.error}"
                return
            if res.not_modified:  # the server says the page is as last parsed: its links then
                if kept is None:
                    reason = "HTTP 304 to a request without validators: page not read"
                    self.log(url, res.http_status, reason)
                    if is_landing:
                        self.result["error"] = f"landing page failed: {reason}"
                    return
                for link in self.page_cache.links(kept):
                    self._consider(link, depth, kept["final_url"])
                return
            if _is_pdf(res.head):  # a seed or page link that is itself a report
                self.done.discard(url)
                self._add_doc(self.page_link.get(url) or Link(url, "", ""), 1.0, depth, url)
                return
            if not _looks_html(res):
                reason = f"not an HTML page ({res.content_type or _sniff(res.head)}), not parsed"
                self.log(url, res.http_status, reason)
                if is_landing:
                    self.result["error"] = f"landing page failed: {reason}"
                return
            self._parse(res, depth)
        finally:
            res.discard()

    def _parse(self, res: Fetched, depth: int) -> None:
        body = res.read(self.cfg.max_page_bytes)
        try:
            links = page_links(body, res.final_url, res.content_type)
        except Exception as exc:  # a page BeautifulSoup cannot cope with is one failed page
            self.log(res.final_url, res.http_status, f"HTML parse failed: {type(exc).__name__}: {exc}")
            return
        try:
            self.page_cache.put(res.url, res.final_url, res.headers, links)
        except OSError as exc:  # a full disk costs the next crawl a parse, not this one its links
            self.log(res.final_url, res.http_status, f"page links not kept: {exc}")
        for link in links:
            self._consider(link, depth, res.final_url)

    def _document(self, cand: Candidate) -> None:
        url = cand.url
        prev = self.known.get(url) or {}
        conditional = None
        failed_before = str(prev.get("sha256") or "").startswith("url:")  # a broken document, validators kept
        if failed_before and (prev.get("etag") or prev.get("last_modified")) or \
                prev.get("sha256") and not failed_before and content_path(self.raw_dir, prev["sha256"]).exists():
            conditional = {"etag": prev.get("etag"), "last_modified": prev.get("last_modified")}
        res = self.fetcher.fetch(url, kind="document", conditional=conditional)
        row = {
            "url": url, "final_url": strip_credentials(res.final_url), "status": "failed",
            "http_status": res.http_status,
            "sha256": None, "path": None, "bytes": None,
            "etag": res.headers.get("etag"), "last_modified": res.headers.get("last-modified"),
            "content_type": res.content_type, "title": cand.title, "report_year": cand.report_year,
            "error": None, "fetched_at": now_iso(), "same_as": None,
        }
        try:
            if res.not_modified and failed_before:  # still the same broken document: not downloaded again
                earlier = str(prev.get("error") or "see earlier runs").removeprefix(f"HTTP 304: {UNCHANGED_BROKEN}: ")
                row.update(error=f"{UNCHANGED_BROKEN}: {earlier}", keep_validators=True,
                           etag=row["etag"] or prev.get("etag"),
                           last_modified=row["last_modified"] or prev.get("last_modified"))
            elif res.not_modified:
                sha = prev["sha256"]
                path = content_path(self.raw_dir, sha)
                row.update(status="unchanged", sha256=sha, path=str(path), bytes=path.stat().st_size,
                           etag=row["etag"] or prev.get("etag"),
                           last_modified=row["last_modified"] or prev.get("last_modified"))
                self.run_sha.setdefault(sha, url)
            elif not res.ok:
                row["error"] = res.error  # the fetcher has logged it
            elif not _is_pdf(res.head):
                claims_pdf = "pdf" in (res.content_type or "").lower() or urlsplit(url).path.lower().endswith(".pdf")
                if _looks_html(res) and not claims_pdf:
                    # a report-ish link that is an HTML page: read it for links instead
                    self.log(url, res.http_status, "report link is an HTML page: parsed for links")
                    self._parse(res, self.doc_depth.get(url, 0) + 1)
                    return
                row["error"] = f"not a PDF: {_sniff(res.head)} body served as {res.content_type or 'no content-type'}"
                row["keep_validators"] = True  # the whole body came: the document itself is broken
            elif b"%%EOF" not in res.tail:
                row["error"] = f"truncated PDF: no %%EOF marker at the end ({res.size} bytes received)"
                row["keep_validators"] = True
            else:
                sha = res.sha256
                path = content_path(self.raw_dir, sha)
                if not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(res.path, path)
                    res.path = None
                row.update(sha256=sha, path=str(path), bytes=res.size)
                if prev.get("sha256") == sha:
                    row["status"] = "unchanged"
                elif sha in self.run_sha or sha in self.known_by_sha:
                    row.update(status="unchanged", same_as=self.known_by_sha.get(sha) or self.run_sha[sha])
                else:
                    row["status"] = "new"
                self.run_sha.setdefault(sha, url)
            if row["status"] == "failed" and res.ok:
                self.log(res.final_url, res.http_status, row["error"], "document")
            if row["report_year"] is None:
                row["report_year"] = report_year(urlsplit(res.final_url).path)
            self.rows.append((row, cand))
        finally:
            res.discard()


def crawl_source(source: dict, raw_dir: Path, known: dict[str, dict] | None = None,
                 config: CrawlConfig | None = None, session=None) -> dict:
    """Crawl one source; see the module docstring. Never raises for site problems. `session`:
    a requests session to use (a SessionPool's, shared with the thread's other crawls)."""
    config = config or CrawlConfig()
    raw_dir = Path(raw_dir)
    result: dict = {
        "case_no": source.get("case_no") if isinstance(source, dict) else None,
        "landing_url": strip_credentials(str(source.get("landing_url") or "")) or None if isinstance(source, dict) else None,
        "documents": [], "log": [], "error": None, "counts": {},
    }
    try:
        src = normalise_source(source, where=f"source {result['case_no']}")
    except (ValueError, TypeError, AttributeError) as exc:
        result["error"] = f"bad source: {exc}"
        result["log"].append({"url": result["landing_url"], "status": None, "reason": result["error"],
                              "at": now_iso(), "kind": "source"})
        return result
    result["case_no"], result["landing_url"] = src["case_no"], src["landing_url"]
    crawl = None
    try:
        crawl = _Crawl(src, raw_dir, known or {}, config, result, session)
        crawl.run()
    except Exception as exc:  # a bug must not fail the other companies either
        where = traceback.extract_tb(exc.__traceback__)[-1]
        reason = f"internal error: {type(exc).__name__}: {exc} ({Path(where.filename).name}:{where.lineno})"
        result["error"] = result["error"] or reason
        result["log"].append({"url": src["landing_url"], "status": None, "reason": reason, "at": now_iso(),
                              "kind": "internal"})
    finally:
        _collect(crawl, result)
    return result


def _collect(crawl: "_Crawl | None", result: dict) -> None:
    """Close the crawl's fetcher and put its documents (newest report first) and counts in `result`."""
    if crawl is not None:
        crawl.fetcher.close()
        rows = sorted(crawl.rows, key=lambda rc: (-(rc[0]["report_year"] or 0), -rc[1].score, rc[1].order))
        result["documents"] = [r for r, _ in rows]
    docs = result["documents"]
    result["counts"] = {
        "new": sum(d["status"] == "new" for d in docs),
        "unchanged": sum(d["status"] == "unchanged" for d in docs),
        "failed": sum(d["status"] == "failed" for d in docs),
        "pages": crawl.pages_fetched if crawl is not None else 0,
        "downloaded": sum(d["http_status"] == 200 and d["sha256"] is not None for d in docs),
        "bytes_downloaded": sum(d["bytes"] or 0 for d in docs if d["http_status"] == 200 and d["sha256"]),
    }


def fetch_disclosure(disclosure: dict, raw_dir: Path, known: dict[str, dict] | None = None,
                     config: CrawlConfig | None = None, trusted_hosts: list[str] | None = None) -> dict:
    """Fetch the one document a feed announced (extractors/feeds: case_no, url, title, ...) with
    the crawler's own document handling (sniffing, size caps, conditional GET, same bytes at
    another URL = unchanged). Returns a crawl result like crawl_source. `trusted_hosts` (the
    feed's own hosts) may resolve to private addresses. Never raises for the document's faults."""
    config = config or CrawlConfig()
    url = disclosure["url"]
    host = normalise_host(urlsplit(url).hostname or "")
    result: dict = {"case_no": disclosure["case_no"], "landing_url": url, "documents": [], "log": [],
                    "error": None, "counts": {}}
    crawl = None
    try:
        src = {"case_no": disclosure["case_no"], "name": disclosure.get("company") or "", "landing_url": url,
               "allowed_domains": [host] if host else [], "seed_urls": [], "feeds": [], "notes": ""}
        crawl = _Crawl(src, Path(raw_dir), known or {}, config, result)
        crawl.fetcher.private_ok = {h for h in (trusted_hosts or [])}
        crawl._document(candidate(Link(url, disclosure.get("title") or "", ""), 1.0, 0, disclosure.get("feed") or url))
    except Exception as exc:  # a bug fails this disclosure only
        result["error"] = f"internal error: {type(exc).__name__}: {exc}"
        result["log"].append({"url": url, "status": None, "reason": result["error"], "at": now_iso(), "kind": "internal"})
    finally:
        _collect(crawl, result)
    return result


def crawl_sources(sources: list[dict], raw_dir: Path, known: dict[str, dict] | None = None,
                  config: CrawlConfig | None = None, workers: int = 8) -> list[dict]:
    """crawl_source for many sources in a thread pool (per-host limits still apply); results in
    input order. One source's failure never affects another's."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool, SessionPool(config or CrawlConfig()) as sessions:
        return list(pool.map(lambda s: crawl_source(s, raw_dir, known, config, sessions.get()), sources))
