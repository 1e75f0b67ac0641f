"""The offline mirror of the 100 company sites, served on 127.0.0.1.

The machines running carbonwatch's demo and tests have no internet, so each company gets a
landing page that links to its report PDF, built from that company's case pages of the
100-case report (the text of the case, line for line, page for page). Nothing in it is
invented: edition 1 is the report's own text.

Edition 2 is a *demo fixture*: for a few companies it publishes a "2024" report whose text
differs from the 2023 one by the edits in EDITION2_EDITS (each marked in the PDF and page as a
demo edit), so that the second nightly run has real target changes to alert on.
"""
from __future__ import annotations

import csv
import hashlib
import html
import os
import shutil
import threading
from dataclasses import dataclass
from functools import lru_cache
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from common.schema import Case

# Fixed file times so both editions serve the same Last-Modified for unchanged files.
EDITION_MTIME = {1: 1688169600, 2: 1719792000}  # 2023-07-01, 2024-07-01 UTC
DEMO_NOTE = "carbonwatch 演示第二版（演示用修改稿，非公司真实披露）"


@dataclass(frozen=True)
class Edit:
    """One demo change of edition 2 and the alert it must raise."""

    case_no: int
    old: str  # text of the case that is replaced (must occur exactly once)
    new: str
    metric: str
    change: str  # changed | added | withdrawn
    old_value: str | None
    new_value: str | None


EDITION2_EDITS: tuple[Edit, ...] = (
    # 中兴通讯 brings its carbon-neutral year forward
    Edit(64, "早于 2060 年实现“碳中和”", "早于 2050 年实现“碳中和”", "carbon_neutral", "changed", "2060", "2050"),
    # 蚂蚁集团 brings its net-zero year forward
    Edit(71, "至 2030 年实现净零排放（范围 1、2 和 3）", "至 2028 年实现净零排放（范围 1、2 和 3）",
         "net_zero", "changed", "2030", "2028"),
    # 百度 joins RE100
    Edit(67, "“碳中和”的气候目标。", "“碳中和”的气候目标，并于 2024 年正式加入 RE100 倡议。", "re100", "added", None, "member"),
    # TCL drops its peak year
    Edit(30, "承诺“不晚于 2030 年实现碳达峰，不晚于 2050 年实现碳中和”", "承诺“不晚于 2050 年实现碳中和”",
         "peak", "withdrawn", "2030", None),
)


def case_dir_name(case_no: int) -> str:
    return f"{case_no:03d}"


def _wrap(text: str, measure, limit: float) -> list[str]:
    """Wrap a line to `limit` only where extractors.pdftext.join_lines puts it back as it
    was: beside a CJK character (joined with nothing) or at a space between two non-CJK
    characters (joined with one space). So the mirror's page text equals the report's."""
    from extractors.pdftext import is_cjk

    lines, start, last_break = [], 0, None
    i = 0
    while i < len(text):
        a, b = text[i - 1] if i else "", text[i]
        if i > start and b != " " and a != " " and (is_cjk(a) or is_cjk(b)):
            last_break = (i, i)  # cut before b, nothing dropped
        elif b == " " and i > start and i + 1 < len(text) and not is_cjk(a) and not is_cjk(text[i + 1]):
            last_break = (i, i + 1)  # cut at the space, drop it
        if measure(text[start:i + 1]) > limit and last_break and last_break[0] > start:
            cut, resume = last_break
            lines.append(text[start:cut])
            start, last_break = resume, None
            i = resume
            continue
        i += 1
    lines.append(text[start:])
    return lines


def _render_pdf(path: Path, title: str, chunks: list[tuple[int, str]], note: str | None = None) -> None:
    """One PDF page per report page of the case, each line drawn as in the report."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    width, height = A4
    margin, size = 36, 9
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)  # invariant: same text, same bytes
    pdf.setTitle(title)
    pdf.setAuthor("carbonwatch offline mirror")
    for _, text in chunks:
        lines = []
        for raw in text.splitlines() or [""]:
            lines += _wrap(raw, lambda s: pdfmetrics.stringWidth(s, font, size), width - 2 * margin)
        if note:
            lines = [note, ""] + lines
        leading = min(12.0, (height - 2 * margin) / max(len(lines), 1))
        pdf.setFont(font, min(size, leading))
        y = height - margin
        for line in lines:
            pdf.drawString(margin, y, line)
            y -= leading
        pdf.showPage()
    pdf.save()


def _landing_html(case: Case, reports: list[tuple[str, str]], note: str | None) -> str:
    links = "\n".join(f'    <li><a href="reports/{html.escape(f)}">{html.escape(t)}</a></li>' for f, t in reports)
    note_html = f"<p><strong>{html.escape(note)}</strong></p>" if note else ""
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>{html.escape(case.name)} — 可持续发展</title></head>
<body>
  <h1>{html.escape(case.name)}</h1>
  <p>{html.escape(case.sector)} · {html.escape(case.industry)}</p>
  <p>Offline mirror page built by carbonwatch from case {case.case_no} of
     《中国企业低碳转型与高质量发展报告 2023》 (report pages {", ".join(map(str, case.pages))}).</p>
  {note_html}
  <h2>ESG 与可持续发展报告下载</h2>
  <ul>
{links}
  </ul>
  <p><a href="/">全部公司</a></p>
</body></html>
"""


def apply_edits(case: Case, edits: tuple[Edit, ...]) -> list[tuple[int, str]] | None:
    """The case's chunks with its edition-2 edits applied, or None when it has none."""
    mine = [e for e in edits if e.case_no == case.case_no]
    if not mine:
        return None
    chunks = list(case.chunks)
    for e in mine:
        hits = [i for i, (_, t) in enumerate(chunks) if e.old in t]
        if len(hits) != 1 or chunks[hits[0]][1].count(e.old) != 1:
            raise ValueError(f"edition 2 edit of case {e.case_no}: {e.old!r} must occur exactly once")
        page, text = chunks[hits[0]]
        chunks[hits[0]] = (page, text.replace(e.old, e.new))
    return chunks


def build_mirror(cases: list[Case], out_dir: str | Path, edits: tuple[Edit, ...] | None = None) -> dict[int, Path]:
    """Write edition 1 and edition 2 of the mirror under out_dir/edition1, out_dir/edition2."""
    edits = EDITION2_EDITS if edits is None else edits
    out = Path(out_dir)
    roots = {1: out / "edition1", 2: out / "edition2"}
    for root in roots.values():
        if root.exists():
            shutil.rmtree(root)
        (root / "companies").mkdir(parents=True)
    for case in cases:
        name = case_dir_name(case.case_no)
        title_2023 = f"{case.name} 2023 可持续发展报告"
        for edition, root in roots.items():
            reports_dir = root / "companies" / name / "reports"
            reports_dir.mkdir(parents=True)
            pdf_2023 = reports_dir / "esg-2023.pdf"
            if edition == 2:
                shutil.copy2(roots[1] / "companies" / name / "reports" / "esg-2023.pdf", pdf_2023)
            else:
                _render_pdf(pdf_2023, title_2023, case.chunks)
                os.utime(pdf_2023, (EDITION_MTIME[1], EDITION_MTIME[1]))
            reports = [("esg-2023.pdf", f"2023 可持续发展报告（PDF）")]
            note = None
            edited = apply_edits(case, edits) if edition == 2 else None
            if edited is not None:
                pdf_2024 = reports_dir / "esg-2024.pdf"
                _render_pdf(pdf_2024, f"{case.name} 2024 可持续发展报告", edited, note=DEMO_NOTE)
                os.utime(pdf_2024, (EDITION_MTIME[2], EDITION_MTIME[2]))
                reports.insert(0, ("esg-2024.pdf", "2024 可持续发展报告（PDF）"))
                note = DEMO_NOTE
            page = root / "companies" / name / "index.html"
            page.write_text(_landing_html(case, reports, note), encoding="utf-8")
            os.utime(page, (EDITION_MTIME[edition if note else 1],) * 2)
    for root in roots.values():
        items = "\n".join(
            f'<li><a href="companies/{case_dir_name(c.case_no)}/index.html">{html.escape(c.name)}</a></li>' for c in cases)
        (root / "index.html").write_text(
            f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>carbonwatch mirror</title></head>"
            f"<body><h1>carbonwatch offline mirror</h1><ul>{items}</ul></body></html>\n", encoding="utf-8")
        (root / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    return roots


def write_sources(cases: list[Case], path: str | Path, base_url: str) -> Path:
    """A sources CSV (case_no,name,landing_url,allowed_domains,notes) pointing at a mirror."""
    from urllib.parse import urlsplit

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    host = urlsplit(base_url).hostname
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["case_no", "name", "landing_url", "allowed_domains", "notes"])
        for c in cases:
            w.writerow([c.case_no, c.name, f"{base_url.rstrip('/')}/companies/{case_dir_name(c.case_no)}/index.html",
                        host, "offline mirror built from the 100-case report"])
    return path


@lru_cache(maxsize=4096)
def _etag_of(path: Path, mtime_ns: int, size: int) -> str:
    return '"' + hashlib.sha256(path.read_bytes()).hexdigest()[:32] + '"'


def _etag(path: Path) -> str:
    """Strong ETag from the bytes, hashed once per (file, mtime, size), like a real server's cache."""
    st = path.stat()
    return _etag_of(path, st.st_mtime_ns, st.st_size)


class _Handler(SimpleHTTPRequestHandler):
    """Static files with strong ETags (sha256 of the bytes) and If-None-Match -> 304, over
    HTTP/1.1 keep-alive like a company's web server."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    def log_message(self, fmt, *args):  # keep demo output readable
        pass

    def translate_path(self, path):
        self.directory = str(self.server.root)
        return super().translate_path(path)

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.is_file():
            etag = _etag(path)
            if etag in [t.strip() for t in self.headers.get("If-None-Match", "").split(",")]:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return None
            self._etag = etag
        else:
            self._etag = None
        return super().send_head()

    def end_headers(self):
        if getattr(self, "_etag", None):
            self.send_header("ETag", self._etag)
            self._etag = None
        super().end_headers()


class MirrorServer:
    """`with MirrorServer(root) as server:` serves root on 127.0.0.1 in a thread.
    `server.root = other_dir` switches editions without restarting."""

    def __init__(self, root: str | Path, host: str = "127.0.0.1", port: int = 0):
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.root = Path(root)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="mirror", daemon=True)

    @property
    def root(self) -> Path:
        return self._httpd.root

    @root.setter
    def root(self, value: str | Path) -> None:
        self._httpd.root = Path(value)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "MirrorServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "MirrorServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
