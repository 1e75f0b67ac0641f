"""One PDF document -> facts, with a time and memory cap and clear failures.

``extract_document(path)`` returns a ``Document`` (``.record()`` -> {"file", "pages",
"facts"}) or raises ``DocumentError(file, reason)`` for a document that cannot be read:
not a PDF, encrypted (password required), corrupt or truncated, no text layer
(image-only, needs OCR), over the page limit, over the time cap or the memory cap.

How the text is read (fast path first):
1. pypdfium2 reads every page (hundreds of pages per second) in content-stream order,
   which is column order on multi-column pages (pdfplumber's default text merges the
   columns line by line), and keeps the candidate pages, the ones with climate-target
   keywords; only these go through the rules;
2. where layout matters pdfplumber re-reads the page column by column
   (pdftext.columns_text): a candidate page whose content stream jumps between two
   columns line by line (checked on pypdfium2's text rectangles), or a page whose
   pypdfium2 text is unusable (replacement/control characters); pdfplumber's
   ``(cid:NN)`` output, in turn, falls back to pypdfium2's text of that page;
3. structured rows (extractors/layout.py) go to the rules as chunks of their own, context
   prefixed (``Document.rows``): every candidate page's bullet items under their lead-in or
   heading and KPI figures under the page's title (pypdfium2's text and character boxes), and, on the most table-like candidate pages (layout.table_score) within a
   budget, pdfplumber's table rows (table finder and word positions). pdfplumber costs
   20-70x pypdfium2's time per page, growing with the page's characters, vector paths and
   form objects (``plumber_cost``, counted by pypdfium2); the pages it reads may cost
   LAYOUT_BUDGET per page of the document in all. ``stats`` counts the pages each engine read.

Caps: by default the work runs in a child process (fork; CARBONWATCH_DOC_START_METHOD
can name another multiprocessing start method); the parent kills it when it exceeds
``timeout`` seconds or ``max_rss_mb`` of resident memory and raises DocumentError with
the reason, so one bad document never fails the run. The child also gets an
address-space limit and checks the time after every page. Defaults come from
CARBONWATCH_DOC_TIMEOUT (300 s), CARBONWATCH_DOC_MAX_RSS_MB (1024) and
CARBONWATCH_DOC_MAX_PAGES (3000).
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field

from common.metrics import triggers as metric_triggers
from common.schema import Fact
from common.settings import DocumentLimits

from .facts import extract_facts
from .layout import KPI_FIGURE, bullet_chunks, kpi_chunks, read_layout, table_score
from .lang import LANGUAGES
from .pdftext import (cid_ratio, columns_text, find_gutter, join_lines, open_pdfium, pdfium_title, plumber_subset,
                      split_lines)

LIMITS = DocumentLimits.from_env()
DEFAULT_TIMEOUT = LIMITS.timeout
DEFAULT_MAX_RSS_MB = LIMITS.max_rss_mb
DEFAULT_MAX_PAGES = LIMITS.max_pages

# A page worth reading names at least one metric's trigger word (common/metrics.py), in any language.
CANDIDATE = re.compile("|".join(metric_triggers(code) for code in LANGUAGES), re.I)
# pdfplumber's table reading: estimated cost (plumber_cost units) allowed per page of the
# document, and at least LAYOUT_MIN_BUDGET for a short one. A unit costs pdfplumber about
# what a whole page costs pypdfium2 / 60, so 12 a page keeps pdfplumber within ~0.2-0.5x
# of the pypdfium2 pass (make bench: extraction >= 0.25 of pypdfium2's raw rate).
LAYOUT_BUDGET = 12
LAYOUT_MIN_BUDGET = 1500


class DocumentError(Exception):
    """A document that cannot be read; ``str()`` is the reason, ``.file`` the file name."""

    def __init__(self, file: str, reason: str):
        super().__init__(reason)
        self.file = file
        self.reason = reason

    def __reduce__(self):
        return (DocumentError, (self.file, self.reason))


@dataclass
class Document:
    file: str
    pages: int
    facts: list[Fact] = field(default_factory=list)
    # (page, text) of the candidate pages, as the rules read them
    texts: list[tuple[int, str]] = field(default_factory=list, repr=False)
    # (page, structured row) chunks: table rows and bullet items with their context prefixed
    rows: list[tuple[int, str]] = field(default_factory=list, repr=False)
    stats: dict = field(default_factory=dict, repr=False)

    def record(self) -> dict:
        return {"file": self.file, "pages": self.pages,
                "facts": [f.to_dict() for f in self.facts]}


# --------------------------------------------------------------------------- layout
def stream_mixes_columns(page, tp) -> bool:
    """True when the page has two text columns and pypdfium2's (content-stream) order
    jumps between them line by line instead of reading one column after the other."""
    n = tp.count_rects()
    if n < 8 or n > 1500:
        return False
    rects = [tp.get_rect(i) for i in range(n)]
    # text boxes are fewer and coarser than words: a wider band, a looser share, fewer boxes
    width = page.get_width()
    g = find_gutter([(r[0], r[2]) for r in rects], width, band=(0.2, 0.8), cross_share=0.04,
                    min_spans=8, min_side=4)
    if g is None:
        return False
    left = sorted(r[2] - r[0] for r in rects if r[2] <= g)
    right = sorted(r[2] - r[0] for r in rects if r[0] >= g)
    # prose columns: lines of text on both sides, not the short cells of a table
    if len(left) < 6 or len(right) < 6 or left[len(left) // 2] < 0.25 * width \
            or right[len(right) // 2] < 0.25 * width:
        return False
    sides = [("L" if r[2] <= g else "R") for r in rects if not (r[0] < g < r[2])]
    switches = sum(1 for a, b in zip(sides, sides[1:]) if a != b)
    return switches >= max(4, 0.4 * min(sides.count("L"), sides.count("R")) * 2)


# --------------------------------------------------------------------------- reading
_SPACES = re.compile(r"[ \t\xa0\u2000-\u200b\u202f\u205f\u3000]+")


def page_text(raw: str) -> str:
    """The page text facts are read from and quoted in: lines joined (pdftext.join_lines)
    with every run of spaces, tabs and no-break spaces written as one space."""
    lines = [_SPACES.sub(" ", ln) for ln in split_lines(raw)]
    return join_lines(lines)


def _check_file(path: str, name: str) -> None:
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise DocumentError(name, f"cannot read file: {exc.strerror or exc}") from None
    if size == 0:
        raise DocumentError(name, "empty file (0 bytes)")
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        raise DocumentError(name, "not a PDF (no %PDF- header)")


def _open(path: str, name: str, password: str | None):
    import pypdfium2 as pdfium

    try:
        return open_pdfium(path, password=password)
    except pdfium.PdfiumError as exc:
        msg = str(exc)
        if "password" in msg.lower():
            raise DocumentError(name, "encrypted PDF: a password is required to open it") from None
        raise DocumentError(name, f"corrupt or truncated PDF, cannot be parsed ({msg})") from None


def _bad_text(text: str) -> bool:
    t = text.strip()
    if not t:
        return True
    bad = t.count("\ufffd") + sum(1 for ch in t if ord(ch) < 32 and ch not in "\n\r\t")
    return bad / len(t) > 0.2


def read_document(path: str, password: str | None = None, max_pages: int = DEFAULT_MAX_PAGES,
                  deadline: float | None = None, ref_year: int | None = None) -> Document:
    """Read a PDF into a Document (no caps other than ``deadline``, a time.monotonic()
    value checked after every page)."""
    name = os.path.basename(path)
    _check_file(path, name)
    doc = _open(path, name, password)
    t0 = time.perf_counter()
    try:
        n = len(doc)
        if n == 0:
            raise DocumentError(name, "corrupt PDF: no pages")
        if n > max_pages:
            raise DocumentError(name, f"too large: {n} pages (limit {max_pages})")
        raw: list[str] = []
        candidates: list[int] = []
        unusable: list[int] = []
        mixed: list[int] = []
        scores: dict[int, int] = {}
        costs: dict[int, int] = {}
        titles: dict[int, list[str]] = {}
        for i in range(n):
            try:
                page = doc[i]
            except Exception as exc:  # a damaged page object
                raise DocumentError(name, f"corrupt or truncated PDF: page {i + 1} cannot be "
                                          f"loaded ({exc})") from None
            try:
                tp = page.get_textpage()
                try:
                    text = tp.get_text_range().replace("\r\n", "\n").replace("\r", "\n")
                    if CANDIDATE.search(text):
                        candidates.append(i + 1)
                        if stream_mixes_columns(page, tp):
                            mixed.append(i + 1)
                        scores[i + 1] = table_score(text)
                        if KPI_FIGURE.search(text):
                            titles[i + 1] = pdfium_title(tp)
                        if scores[i + 1]:
                            costs[i + 1] = plumber_cost(page, tp)
                    elif _bad_text(text) and tp.count_chars() > 50:
                        unusable.append(i + 1)
                finally:
                    tp.close()
            finally:
                page.close()
            raw.append(text)
            if deadline is not None and time.monotonic() > deadline:
                raise DocumentError(name, f"time cap exceeded after {i + 1} of {n} pages")
    finally:
        doc.close()
    total = sum(len(t.strip()) for t in raw)
    if total < max(20, 5 * n):
        raise DocumentError(name, f"no text layer: {n} page(s) without extractable text "
                                  "(image-only/scanned PDF, needs OCR)")
    layout = layout_pages(scores, costs, n)
    plumbed, table_rows = 0, []
    if unusable or mixed or layout:
        plumbed, table_rows = _plumber_pass(path, raw, sorted(set(unusable) | set(mixed)), layout,
                                            candidates, password)
    pages = sorted(set(candidates))
    texts = [(p, page_text(raw[p - 1])) for p in pages]
    bullets = [(p, chunk) for p in pages for chunk in bullet_chunks(raw[p - 1])]
    kpis = [(p, chunk) for p, title in titles.items() for chunk in kpi_chunks(raw[p - 1], title)]
    rows = bullets + kpis + table_rows
    facts = extract_facts(texts + rows, ref_year=ref_year)
    stats = {"seconds": time.perf_counter() - t0, "candidates": len(pages),
             "pdfium_pages": n, "pdfplumber_pages": plumbed, "mixed_column_pages": len(mixed),
             "table_pages": len(layout), "table_rows": len(table_rows), "bullet_rows": len(bullets),
             "kpi_rows": len(kpis)}
    return Document(file=name, pages=n, facts=facts, texts=texts, rows=rows, stats=stats)


def plumber_cost(page, tp) -> int:
    """pdfplumber's work on a page, estimated from what pypdfium2 counts: characters, plus
    vector paths (3 each) and form objects (40 each: pdfminer re-reads their content)."""
    import pypdfium2.raw as pdfium_c

    paths = forms = 0
    for k in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
        kind = pdfium_c.FPDFPageObj_GetType(pdfium_c.FPDFPage_GetObject(page.raw, k))
        paths += kind == pdfium_c.FPDF_PAGEOBJ_PATH
        forms += kind == pdfium_c.FPDF_PAGEOBJ_FORM
    return tp.count_chars() + 3 * paths + 40 * forms


def layout_pages(scores: dict[int, int], costs: dict[int, int], n: int) -> list[int]:
    """The candidate pages pdfplumber reads for tables: the most table-like ones first
    (highest layout.table_score, earlier page on ties), each while its plumber_cost fits
    what is left of the budget (LAYOUT_BUDGET per page of the document)."""
    left = max(LAYOUT_MIN_BUDGET, LAYOUT_BUDGET * n)
    chosen = []
    for p in sorted((p for p, score in scores.items() if score > 0), key=lambda p: (-scores[p], p)):
        if costs.get(p, 0) <= left:
            chosen.append(p)
            left -= costs.get(p, 0)
    return sorted(chosen)


def _plumber_pass(path: str, raw: list[str], fallback: list[int], layout: list[int],
                  candidates: list[int], password: str | None = None) -> tuple[int, list[tuple[int, str]]]:
    """One pdfplumber pass over the pages that need it: pages whose pypdfium2 text is
    unusable or mixes two columns line by line are re-read in column order (pdfplumber's
    (cid:NN) output is itself replaced by pypdfium2's text); the chosen table-like pages
    give their structured rows. Returns (pages read, (page, row) chunks)."""
    rows: list[tuple[int, str]] = []
    todo = sorted(set(fallback) | set(layout))
    with plumber_subset(path, todo, password) as plumber_pages:
        for p, page in plumber_pages.items():
            try:
                if p in fallback:
                    text = columns_text(page)[0]
                    if text.strip() and cid_ratio(text) < 0.05 and not _bad_text(text):
                        raw[p - 1] = text
                        if CANDIDATE.search(text):
                            candidates.append(p)
                if p in layout:
                    found = read_layout(page)
                    chunks = [chunk for chunk in found.rows if cid_ratio(chunk) < 0.05]
                    rows += [(p, chunk) for chunk in chunks]
            finally:
                page.close()
    return len(todo), rows


# --------------------------------------------------------------------------- caps
def _child(conn, path, password, max_pages, timeout, max_rss_mb, ref_year=None):
    try:
        import resource

        limit = max(2 * max_rss_mb, 1536) * 1024 * 1024  # address space, above the RSS cap
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except Exception:
        pass
    try:
        deadline = time.monotonic() + timeout
        conn.send(("ok", read_document(path, password, max_pages, deadline, ref_year=ref_year)))
    except DocumentError as exc:
        conn.send(("err", exc.reason))
    except MemoryError:
        conn.send(("err", f"memory cap exceeded ({max_rss_mb} MB)"))
    except Exception as exc:  # anything pypdfium2/pdfplumber throws on a broken file
        conn.send(("err", f"unreadable PDF: {type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def extract_document(path: str, *, password: str | None = None,
                     timeout: float = DEFAULT_TIMEOUT, max_rss_mb: int = DEFAULT_MAX_RSS_MB,
                     max_pages: int = DEFAULT_MAX_PAGES, isolate: bool = True,
                     ref_year: int | None = None) -> Document:
    """Facts of one PDF. Raises DocumentError (``.file``, reason) when the document cannot
    be read or exceeds its caps (``timeout`` seconds, ``max_rss_mb`` resident memory,
    ``max_pages``). ``isolate=False`` runs in-process (time cap only). ``ref_year`` is the
    report's year when the caller knows it (the crawler reads it from the link or URL):
    years before it are achievements; without it the year is estimated from the text."""
    name = os.path.basename(path)
    if not isolate:
        return read_document(path, password, max_pages, time.monotonic() + timeout, ref_year=ref_year)
    import multiprocessing as mp

    import pdfplumber  # noqa: F401 (imported once here, the forked children inherit it)

    ctx = mp.get_context(DocumentLimits.from_env().start_method)
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, path, password, max_pages, timeout, max_rss_mb, ref_year),
                       daemon=True)
    proc.start()
    send.close()
    start = time.monotonic()
    result = None
    try:
        while True:
            if recv.poll(0.05):
                try:
                    result = recv.recv()
                except EOFError:
                    result = None
                break
            if not proc.is_alive():
                if recv.poll(0):
                    continue
                break
            if time.monotonic() - start > timeout + 5:
                raise DocumentError(name, f"time cap exceeded ({timeout:.0f} s)")
            if max_rss_mb and _rss_mb(proc.pid) > max_rss_mb:
                raise DocumentError(name, f"memory cap exceeded (> {max_rss_mb} MB resident)")
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        recv.close()
    if result is None:
        code = proc.exitcode
        if code is not None and code < 0:
            raise DocumentError(name, f"extraction crashed (signal {-code}); memory cap "
                                      f"{max_rss_mb} MB or a corrupt PDF")
        raise DocumentError(name, f"extraction failed (exit code {code})")
    kind, payload = result
    if kind == "err":
        raise DocumentError(name, payload)
    return payload
