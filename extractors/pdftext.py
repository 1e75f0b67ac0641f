"""Page text of PDFs: pypdfium2 (fast, every page) and pdfplumber (layout, chosen pages).

Conventions shared by all extractors:
- pages are 1-based;
- ``page_lines`` gives the raw lines of a page, ``join_lines`` turns lines into the
  single-string "page text" evidence quotes are taken from: a line break between two
  CJK-side characters disappears, any other line break becomes one space.
- pdfplumber pages are closed after use (memory stays flat on long documents).
- CJK fonts without a ToUnicode map come out of pdfplumber as ``(cid:NN)``: such a
  page falls back to pypdfium2's text for that page.
- pages with two or more text columns are read column by column (``columns_text``).
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Iterable, Iterator

CID_RE = re.compile(r"\(cid:\d+\)")
_CJK = (
    "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uff00-\uffef\u201c\u201d\u2018\u2019\u2014\u2026"
)
_CJK_RE = re.compile(f"[{_CJK}]")


def is_cjk(ch: str) -> bool:
    return bool(ch) and bool(_CJK_RE.match(ch))


def join_lines(lines: Iterable[str]) -> str:
    """Join text lines into one string: no separator where either side of the break is
    a CJK character (Chinese wraps anywhere), a single space otherwise."""
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if not out:
            out = line
        elif is_cjk(out[-1]) or is_cjk(line[0]):
            out += line
        else:
            out += " " + line
    return out


def split_lines(text: str) -> list[str]:
    return [ln for ln in re.split(r"\r\n|\r|\n", text or "")]


def cid_ratio(text: str) -> float:
    """Share of the text taken by (cid:NN) placeholders."""
    if not text:
        return 0.0
    n = sum(len(m.group(0)) for m in CID_RE.finditer(text))
    return n / len(text)


# --------------------------------------------------------------------------- pypdfium2
def open_pdfium(path: str, password: str | None = None):
    import pypdfium2 as pdfium

    return pdfium.PdfDocument(path, password=password)


def pdfium_page_text(doc, index: int) -> str:
    """Text of page ``index`` (0-based) with pypdfium2, lines separated by \\n."""
    page = doc[index]
    try:
        tp = page.get_textpage()
        try:
            text = tp.get_text_range()
        finally:
            tp.close()
    finally:
        page.close()
    return text.replace("\r\n", "\n").replace("\r", "\n")


@contextmanager
def plumber_subset(path: str, pages: list[int], password: str | None = None):
    """pdfplumber pages for the given 1-based pages only, as {page: pdfplumber page}.
    pypdfium2 first copies them into a small in-memory PDF: opened on the whole file,
    pdfplumber (pdfminer) parses every page object of the document's page tree before the
    first page is read, seconds on a long report for one page."""
    import io

    import pdfplumber
    import pypdfium2 as pdfium

    src = open_pdfium(path, password=password)
    try:
        subset = pdfium.PdfDocument.new()
        try:
            subset.import_pages(src, [p - 1 for p in pages])
            buf = io.BytesIO()
            subset.save(buf)
        finally:
            subset.close()
    finally:
        src.close()
    buf.seek(0)
    with pdfplumber.open(buf) as pdf:
        yield dict(zip(pages, pdf.pages))


def pdfium_title(tp) -> list[str]:
    """The page's title from pypdfium2's text page: the runs (lines) of words set in the
    largest type (letters' loose box heights; pypdfium2's font size is the nominal one,
    before the text matrix scales it); figures in large type (KPI numbers) are not title."""
    import pypdfium2.raw as pdfium_c

    chars = []
    for i in range(tp.count_chars()):
        left, bottom, right, top = tp.get_charbox(i, loose=True)
        chars.append((chr(pdfium_c.FPDFText_GetUnicode(tp.raw, i)), top - bottom))
    heights = [h for ch, h in chars if ch.isalpha()]
    if not heights:
        return []
    big = 0.85 * max(heights)
    runs, run = [], ""
    for ch, h in chars:
        if h >= big and (ch.isalnum() or ch in " -–'’&"):
            run += ch
        elif run.strip():
            runs.append(run.strip())
            run = ""
    if run.strip():
        runs.append(run.strip())
    runs = [r for r in runs if sum(ch.isalpha() for ch in r) >= 2]
    return runs if sum(len(r) for r in runs) <= 160 and sum(ch.isalpha() for r in runs for ch in r) >= 4 else []


def pdfium_texts(path: str) -> list[str]:
    doc = open_pdfium(path)
    try:
        return [pdfium_page_text(doc, i) for i in range(len(doc))]
    finally:
        doc.close()


def pdf_title(path: str) -> str | None:
    """The title in the PDF's document information, if it has one."""
    doc = open_pdfium(path)
    try:
        return (doc.get_metadata_dict().get("Title") or "").strip() or None
    finally:
        doc.close()


# --------------------------------------------------------------------------- pdfplumber
def find_gutter(spans: list[tuple[float, float]], width: float, *, band: tuple[float, float] = (0.25, 0.75),
                cross_share: float = 0.03, min_spans: int = 20, min_side: int = 10) -> float | None:
    """x of a vertical gap between text columns, or None for a one-column page.

    spans are the (left, right) x extents of the page's words or text boxes. A gutter is an
    x position within `band` (fractions of the width) that at most `cross_share` of the spans
    cross, at least ~8 pt wide, with `min_side` spans wholly on each side; the one nearest
    the middle wins."""
    if len(spans) < min_spans:
        return None
    limit = max(1, int(len(spans) * cross_share))
    run: list[float] = []
    runs = []
    x, hi = width * band[0], width * band[1]
    while x <= hi:
        if sum(1 for x0, x1 in spans if x0 < x < x1) <= limit:
            run.append(x)
        else:
            if run:
                runs.append(run)
            run = []
        x += 2.0
    if run:
        runs.append(run)
    best = None
    for r in runs:
        if r[-1] - r[0] < 6:  # gap narrower than ~8pt: a word space, not a gutter
            continue
        mid = (r[0] + r[-1]) / 2
        left = sum(1 for _, x1 in spans if x1 <= mid)
        right = sum(1 for x0, _ in spans if x0 >= mid)
        if left >= min_side and right >= min_side:
            if best is None or abs(mid - width / 2) < abs(best - width / 2):
                best = mid
    return best


def _lines_of(words: list[dict], tol: float = 3.0) -> list[str]:
    """Group words into lines by their top coordinate, in reading order."""
    words = sorted(words, key=lambda w: (round(w["top"]), w["x0"]))
    lines: list[list[dict]] = []
    for w in words:
        if lines and abs(lines[-1][0]["top"] - w["top"]) <= tol:
            lines[-1].append(w)
        else:
            lines.append([w])
    out = []
    for ln in lines:
        ln.sort(key=lambda w: w["x0"])
        s = ""
        prev = None
        for w in ln:
            if prev is not None:
                gap = w["x0"] - prev["x1"]
                if gap > 1.0 or not (is_cjk(prev["text"][-1:]) or is_cjk(w["text"][:1])):
                    s += " "
            s += w["text"]
            prev = w
        out.append(s)
    return out


def columns_text(page) -> tuple[str, int]:
    """Text of a pdfplumber page in column order, and the number of columns found.

    Rows of words that cross the gutter (titles, full-width paragraphs) split the page
    into bands; inside a band the left column is read before the right one."""
    words = page.extract_words(keep_blank_chars=False, use_text_flow=False, x_tolerance=1.5)
    g = find_gutter([(w["x0"], w["x1"]) for w in words], float(page.width))
    if g is None:
        return page.extract_text() or "", 1
    # bands: a row is full-width when some word in it crosses the gutter
    rows: dict[int, list[dict]] = {}
    for w in words:
        rows.setdefault(round(w["top"] / 3), []).append(w)
    out: list[str] = []
    band_l: list[dict] = []
    band_r: list[dict] = []

    def flush():
        out.extend(_lines_of(band_l))
        out.extend(_lines_of(band_r))
        band_l.clear()
        band_r.clear()

    for key in sorted(rows):
        row = rows[key]
        if any(w["x0"] < g < w["x1"] for w in row):
            flush()
            out.extend(_lines_of(row))
        else:
            for w in row:
                (band_l if w["x1"] <= g else band_r).append(w)
    flush()
    return "\n".join(out), 2


def plumber_texts(path: str, pages: Iterable[int] | None = None, columns: bool = False
                  ) -> Iterator[tuple[int, str]]:
    """(1-based page, text) for the given 1-based pages (all by default), pdfplumber."""
    import pdfplumber

    pdfium_doc = None
    with pdfplumber.open(path) as pdf:
        n = len(pdf.pages)
        todo = list(pages) if pages is not None else list(range(1, n + 1))
        try:
            for p in todo:
                page = pdf.pages[p - 1]
                try:
                    text = columns_text(page)[0] if columns else (page.extract_text() or "")
                finally:
                    page.close()
                if cid_ratio(text) > 0.05:
                    if pdfium_doc is None:
                        pdfium_doc = open_pdfium(path)
                    alt = pdfium_page_text(pdfium_doc, p - 1)
                    if cid_ratio(alt) < cid_ratio(text):
                        text = alt
                yield p, text
        finally:
            if pdfium_doc is not None:
                pdfium_doc.close()
