"""A small threaded HTTP server on 127.0.0.1 with programmable routes and faults,
for the crawler tests. No network beyond loopback.

    with CrawlServer() as srv:
        srv.route("/index.html", html('<a href="r.pdf">2023 ESG report</a>'))
        srv.route("/r.pdf", Route(body=make_pdf("x"), content_type="application/pdf", etag='"v1"'))
        srv.url("/index.html")
        srv.hits("/r.pdf")            # number of requests seen for that path

A Route answers with `status`, `headers` and `body`; faults: `delay` before the headers,
`stall_after` bytes then `stall` seconds of silence, `drip` (bytes per tick, seconds per tick),
`content_length` override (a lie: the truncated-body case), `close_early` bytes then hang up.
`etag` / `last_modified` make the route answer 304 to a matching conditional request.
`srv.route(path, [r1, r2])` answers r1, then r2 for every later request (e.g. 429 then 200).
`srv.connections()` counts the TCP connections the requests came over (HTTP/1.1 keep-alive).
"""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0  # seconds before the status line
    stall_after: int | None = None  # send this many body bytes, then go silent
    stall: float = 0.0
    drip: tuple[int, float] | None = None  # (bytes, seconds) per tick
    content_length: int | None = None  # announced length if not len(body)
    close_early: int | None = None  # send this many bytes, then close the connection
    chunked: bool = False


def html(body: str, status: int = 200, **kw) -> Route:
    return Route(status=status, body=body.encode("utf-8"), **kw)


def redirect(location: str, status: int = 302) -> Route:
    return Route(status=status, headers={"Location": location}, content_type=None)


def pdf(body: bytes, **kw) -> Route:
    kw.setdefault("content_type", "application/pdf")
    return Route(body=body, **kw)


def make_pdf(text: str = "hello", pad: int = 0) -> bytes:
    """A small valid one-page PDF whose bytes depend on `text` (xref offsets computed)."""
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    content = f"BT /F1 12 Tf 72 720 Td ({safe}) Tj ET".encode("latin-1", "replace")
    content += b"\n%" + b"x" * pad + b"\n" if pad else b""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        srv = self.server.owner
        path = self.path.split("?", 1)[0]
        srv._record(self.path, dict(self.headers), self.client_address)
        route = srv._next(self.path) or srv._next(path)
        if route is None:
            route = Route(status=404, body=b"not found")
        if callable(route):
            route = route(self)
            if route is None:
                return
        with srv._lock:
            srv.in_flight += 1
            srv.max_in_flight = max(srv.max_in_flight, srv.in_flight)
        try:
            self._answer(route)
        finally:
            with srv._lock:
                srv.in_flight -= 1

    def _answer(self, r: Route) -> None:
        stop = self.server.owner.stop_event
        if r.delay:
            stop.wait(r.delay)
        status, body = r.status, r.body
        inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        if status == 200 and ((r.etag and inm == r.etag) or (r.last_modified and ims == r.last_modified and not inm)):
            status, body = 304, b""
        self.send_response(status)
        if r.content_type and status != 304:
            self.send_header("Content-Type", r.content_type)
        if r.etag:
            self.send_header("ETag", r.etag)
        if r.last_modified:
            self.send_header("Last-Modified", r.last_modified)
        for k, v in r.headers.items():
            self.send_header(k, v)
        if r.chunked and status != 304:
            self.send_header("Transfer-Encoding", "chunked")
        elif status != 304:
            self.send_header("Content-Length", str(r.content_length if r.content_length is not None else len(body)))
        if r.close_early is not None or r.content_length is not None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        try:
            if status == 304:
                return
            if r.chunked:
                for i in range(0, len(body), 4096):
                    part = body[i:i + 4096]
                    self.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            elif r.close_early is not None:
                self.wfile.write(body[: r.close_early])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
            elif r.stall_after is not None:
                self.wfile.write(body[: r.stall_after])
                self.wfile.flush()
                stop.wait(r.stall)
                self.wfile.write(body[r.stall_after:])
            elif r.drip:
                n, tick = r.drip
                for i in range(0, len(body), n):
                    if stop.wait(tick):
                        break
                    self.wfile.write(body[i:i + n])
                    self.wfile.flush()
            else:
                self.wfile.write(body)
        except OSError:
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "CrawlServer"

    def handle_error(self, request, client_address) -> None:  # clients hang up on purpose
        pass


class CrawlServer:
    """Threaded HTTP server on 127.0.0.1:<free port> with programmable routes."""

    def __init__(self) -> None:
        from extractors.fetch import reset_shared_state

        reset_shared_state()  # this port may be an earlier server's: no cached robots.txt or gates
        self._routes: dict[str, list] = {}
        self._lock = threading.Lock()
        self.requests: list[tuple[str, dict, float]] = []  # (path, headers, time)
        self.clients: list[tuple | None] = []  # the client address of each request
        self.stop_event = threading.Event()
        self.in_flight = 0
        self.max_in_flight = 0  # most requests answered at the same time
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "CrawlServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.stop_event.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def route(self, path: str, answer: "Route | list | Callable") -> None:
        """Serve `answer` at `path` (a list is served in order, its last item repeating)."""
        with self._lock:
            self._routes[path] = list(answer) if isinstance(answer, list) else [answer]

    def _next(self, path: str):
        with self._lock:
            seq = self._routes.get(path)
            if not seq:
                return None
            return seq.pop(0) if len(seq) > 1 else seq[0]

    def _record(self, path: str, headers: dict, client: tuple | None = None) -> None:
        with self._lock:
            self.requests.append((path, headers, time.monotonic()))
            self.clients.append(client)

    def connections(self) -> int:
        """TCP connections the requests came over (a kept-alive connection carries several)."""
        with self._lock:
            return len(set(self.clients))

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for p, _, _ in self.requests if p == path)

    def request_headers(self, path: str) -> list[dict]:
        with self._lock:
            return [h for p, h, _ in self.requests if p == path]

    def times(self, path: str) -> list[float]:
        with self._lock:
            return [t for p, _, t in self.requests if p == path]


class Blackhole:
    """A port on 127.0.0.1 whose connects time out: a listening socket with a full
    accept queue (backlog 0, filled, never accepted), so the kernel drops new SYNs."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(0)
        self.port = self._sock.getsockname()[1]
        self._fill = []
        for _ in range(3):
            c = socket.socket()
            c.setblocking(False)
            try:
                c.connect(("127.0.0.1", self.port))
            except BlockingIOError:
                pass
            self._fill.append(c)
        time.sleep(0.05)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> "Blackhole":
        return self

    def __exit__(self, *exc) -> None:
        for c in self._fill:
            c.close()
        self._sock.close()


def fast_config(**overrides):
    """A CrawlConfig with test-sized timeouts and backoff."""
    from extractors.crawl import CrawlConfig

    values = dict(connect_timeout=0.5, read_timeout=0.5, total_timeout=3.0, backoff=0.05, max_retries=2,
                  max_retry_after=2.0, per_host_concurrency=4)
    values.update(overrides)
    return CrawlConfig(**values)


def source(srv: "CrawlServer", path: str = "/index.html", case_no: int = 1, **extra) -> dict:
    """A source dict for a landing page on `srv` (allowed_domains 127.0.0.1 unless given)."""
    row = {"case_no": case_no, "name": f"company {case_no}", "landing_url": srv.url(path),
           "allowed_domains": "127.0.0.1"}
    row.update(extra)
    return row
