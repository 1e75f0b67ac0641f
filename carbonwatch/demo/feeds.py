"""A loopback disclosure feed for the demo, the tests and the streaming benchmark.

`FeedServer` serves on 127.0.0.1 what it has been told to publish, in the shapes the feed
adapters read (extractors/feeds): an RSS 2.0 feed (/feed.xml, and one company's at /rss/<code>.xml), an Atom feed (/atom.xml), a
sitemap (/sitemap.xml), a cninfo-shaped announcement search (POST /new/hisAnnouncement/query)
with the PDFs under /static/, an HKEXnews-shaped title search (/search/titleSearchServlet.do)
and an EDGAR-shaped submissions file (/submissions/CIK##########.json).

    with FeedServer() as feeds:
        feeds.publish(case_no=64, company="…", code="999064", title="2024年度可持续发展报告", pdf=path)
        feeds.fault["/feed.xml"] = "500"      # or "html", "garbage", "empty"; None to heal

The codes used with it are made up (999xxx is no exchange's range): nothing here is a real
company's disclosure. Published times are the moment `publish` was called.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

HONG_KONG = timezone(timedelta(hours=8))


@dataclass
class Announcement:
    announcement_id: str
    case_no: int
    company: str
    code: str  # the demo's stock code / CIK
    title: str
    body: bytes  # the PDF
    published_ms: int
    path: str  # served at /static/<path>

    @property
    def published(self) -> datetime:
        return datetime.fromtimestamp(self.published_ms / 1000, timezone.utc)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _answer(self, method: str) -> None:
        feeds: FeedServer = self.server.feeds
        parts = urlsplit(self.path)
        form = {}
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("utf-8")).items()}
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        feeds.count(parts.path)
        fault = feeds.fault.get(parts.path)
        if fault == "500":
            return self._send(500, b"internal error", "text/plain")
        if fault == "html":
            return self._send(200, b"<!doctype html><html><body>maintenance</body></html>", "text/html; charset=utf-8")
        if fault == "garbage":
            return self._send(200, b"\x00{not json or xml]]", "application/json")
        status, body, content_type = feeds.route(parts.path, query | form, empty=(fault == "empty"))
        self._send(status, body, content_type)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client killed mid-request: not news
            super().handle_error(request, client_address)


class FeedServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._lock = threading.Lock()
        self.announcements: list[Announcement] = []
        self.fault: dict[str, str | None] = {}
        self.missing: set[str] = set()  # /static/ paths answered 404 (a dead PDF link)
        self.hits: dict[str, int] = {}
        self._httpd = _Server((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.feeds = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="feeds", daemon=True)

    # ------------------------------------------------------------------ control
    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FeedServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "FeedServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def count(self, path: str) -> None:
        with self._lock:
            self.hits[path] = self.hits.get(path, 0) + 1

    def publish(self, *, case_no: int, company: str, code: str, title: str, pdf: bytes | str | Path,
                announcement_id: str | None = None, path: str | None = None,
                published: datetime | None = None) -> Announcement:
        """Announce a report now (or at `published`). Returns the announcement as served."""
        body = pdf if isinstance(pdf, bytes) else Path(pdf).read_bytes()
        moment = published or datetime.now(timezone.utc)
        with self._lock:
            n = len(self.announcements) + 1
            item = Announcement(announcement_id or f"{1200000000 + n}", case_no, company, code, title, body,
                                int(moment.timestamp() * 1000), path or f"finalpage/{moment:%Y-%m-%d}/{1200000000 + n}.PDF")
            self.announcements.append(item)
        return item

    def env(self) -> dict:
        """The settings that point the exchange adapters at this server."""
        return {"CARBONWATCH_CNINFO_URL": self.base_url, "CARBONWATCH_CNINFO_STATIC_URL": self.base_url + "/static",
                "CARBONWATCH_HKEX_URL": self.base_url, "CARBONWATCH_EDGAR_URL": self.base_url,
                "CARBONWATCH_EDGAR_ARCHIVES_URL": self.base_url + "/static/edgar"}

    # ------------------------------------------------------------------ answers
    def _published(self, code: str | None = None) -> list[Announcement]:
        with self._lock:
            items = [a for a in self.announcements if code is None or a.code == code]
        return sorted(items, key=lambda a: (a.published_ms, a.announcement_id), reverse=True)

    def route(self, path: str, params: dict, empty: bool = False) -> tuple[int, bytes, str]:
        items = [] if empty else None
        if path == "/feed.xml":
            return 200, self.rss(items), "application/rss+xml; charset=utf-8"
        if path.startswith("/rss/") and path.endswith(".xml"):  # one company's feed
            return 200, self.rss(self._published(path[5:-4]) if items is None else items), "application/rss+xml"
        if path == "/atom.xml":
            return 200, self.atom(items), "application/atom+xml; charset=utf-8"
        if path == "/sitemap.xml":
            return 200, self.sitemap(items), "application/xml; charset=utf-8"
        if path == "/new/hisAnnouncement/query":
            return 200, self.cninfo(params, items), "application/json;charset=UTF-8"
        if path == "/search/titleSearchServlet.do":
            return 200, self.hkex(params, items), "application/json;charset=UTF-8"
        if path.startswith("/submissions/CIK") and path.endswith(".json"):
            return 200, self.edgar(str(int(path[len("/submissions/CIK"):-5])), items), "application/json"
        if path.startswith("/static/") and path not in self.missing:
            wanted = path[len("/static/"):]
            for a in self._published():
                if a.path == wanted or wanted.endswith("/" + a.path.rsplit("/", 1)[-1]) and wanted.startswith("edgar/"):
                    return 200, a.body, "application/pdf"
        return 404, b"not found", "text/plain"

    def rss(self, items=None) -> bytes:
        entries = "".join(
            f"<item><title>{escape(a.company + ' ' + a.title)}</title><link>{self.base_url}/static/{escape(a.path)}</link>"
            f"<guid isPermaLink=\"false\">{a.announcement_id}</guid><pubDate>{format_datetime(a.published)}</pubDate></item>"
            for a in (self._published() if items is None else items))
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>demo disclosures</title>'
                f"<link>{self.base_url}/</link><description>carbonwatch loopback feed</description>{entries}"
                "</channel></rss>").encode("utf-8")

    def atom(self, items=None) -> bytes:
        entries = "".join(
            f"<entry><title>{escape(a.company + ' ' + a.title)}</title><id>urn:demo:{a.announcement_id}</id>"
            f"<link href=\"{self.base_url}/static/{escape(a.path)}\"/><updated>{a.published.isoformat()}</updated></entry>"
            for a in (self._published() if items is None else items))
        return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>demo</title>'
                f"<id>urn:demo</id><updated>{datetime.now(timezone.utc).isoformat()}</updated>{entries}</feed>").encode()

    def sitemap(self, items=None) -> bytes:
        urls = "".join(f"<url><loc>{self.base_url}/static/{escape(a.path)}</loc><lastmod>{a.published.isoformat()}</lastmod></url>"
                       for a in (self._published() if items is None else items))
        return (f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"{urls}</urlset>").encode()

    def cninfo(self, form: dict, items=None) -> bytes:
        rows = self._published(form.get("stock")) if items is None else items
        size, page = int(form.get("pageSize") or 30), int(form.get("pageNum") or 1)
        chunk = rows[(page - 1) * size: page * size]
        return json.dumps({
            "announcements": [{"announcementId": a.announcement_id, "announcementTitle": a.title,
                               "announcementTime": a.published_ms, "adjunctUrl": a.path, "secCode": a.code,
                               "secName": a.company, "adjunctType": "PDF"} for a in chunk] or None,
            "hasMore": page * size < len(rows), "totalAnnouncement": len(rows)}, ensure_ascii=False).encode()

    def hkex(self, params: dict, items=None) -> bytes:
        rows = self._published(params.get("stockId")) if items is None else items
        result = [{"NEWS_ID": a.announcement_id, "TITLE": a.title, "FILE_LINK": f"/static/{a.path}",
                   "DATE_TIME": a.published.astimezone(HONG_KONG).strftime("%d/%m/%Y %H:%M"), "STOCK_CODE": a.code}
                  for a in rows]
        return json.dumps({"result": json.dumps(result, ensure_ascii=False), "hasNextRow": False}).encode()

    def edgar(self, cik: str, items=None) -> bytes:
        rows = self._published(cik) if items is None else items
        recent = {"accessionNumber": [f"0000000000-{a.published.year % 100:02d}-{int(a.announcement_id) % 1000000:06d}" for a in rows],
                  "filingDate": [f"{a.published:%Y-%m-%d}" for a in rows],
                  "acceptanceDateTime": [a.published.isoformat(timespec="milliseconds").replace("+00:00", "Z") for a in rows],
                  "form": ["8-K"] * len(rows), "primaryDocument": [a.path.rsplit("/", 1)[-1] for a in rows],
                  "primaryDocDescription": [a.title for a in rows]}
        return json.dumps({"cik": cik, "filings": {"recent": recent}}).encode()


def wait_until(predicate, timeout: float, step: float = 0.2) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
