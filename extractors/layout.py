"""Where real reports put targets: layout read into structured rows for the rules.

The rules (extractors/facts.py) read ``(page, text)`` chunks. Besides the page text, a
document hands them one chunk per structured row, with its context prefixed, so a target in a
table, a KPI box or a bullet list reads as one self-contained line:

- ``bullet_chunks(text)``: each bullet of a list under its lead-in or heading ("Our plans to
  reduce emissions through 2030 include: Achieving net-zero ..."; "目标：2030 年 100% ...").
  Read from the page's line text (pypdfium2's content-stream order, or pdfplumber's column
  order on mixed pages): cheap, every candidate page.
- ``kpi_chunks(text, title)``: KPI boxes and chart labels: a figure alone on its line with
  its label lines, under the page's title (pdftext.pdfium_title: the largest type).
- ``read_layout(page)``: a pdfplumber page (word positions, font sizes and the table
  finder) read into rows: ruled tables (pdfplumber's TableFinder, "lines" strategy) and
  tables drawn without rules (rows of words aligned in columns: "Target | Baseline | 2023
  progress" rows, columns of years), each row as "title: label | header cell | ...";
  footnote markers (small raised digits glued to a word: "2030²³") are dropped so they do not
  read as part of a number. pdfplumber is 20-70x slower than pypdfium2 per page, so the
  document reads only its most table-like candidate pages this way (``table_score``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .pdftext import is_cjk, join_lines, split_lines

# --------------------------------------------------------------------------- bullets
BULLET = re.compile(r"^\s*(?:[•●○◦▪▫■□◆◇►▶➢➤✓✔・‧∙⚫·]|[-–—*](?=\s))\s*")
_SENTENCE_END = re.compile(r"[.。!?！？;；]\s*$")
_LEAD_LINES = 3        # a heading or lead-in spans at most this many lines
_ITEM_LINES = 4        # a bullet's continuation lines
_MAX_LEAD = 160        # characters: longer is a paragraph, not a heading


def _glue(a: str, b: str, sep: str = " ") -> str:
    """a and b joined: nothing between CJK characters, else `sep`."""
    if not a:
        return b
    if not b:
        return a
    if is_cjk(a[-1]) or is_cjk(b[0]):
        return a + b
    return a + sep + b


def _with_context(context: str, body: str) -> str:
    """"context: body", the colon written once and in the context's script."""
    context, body = context.strip(), body.strip()
    if not context:
        return body
    if context[-1] in ":：":
        return _glue(context, body)
    return context + ("：" if is_cjk(context[-1]) else ": ") + body


def bullet_chunks(text: str) -> list[str]:
    """One chunk per bullet item of the page text (lines as the engine gave them), its
    lead-in or heading prefixed: the line(s) just above the list, back to the end of the
    previous sentence, at most a few short lines."""
    lines = [ln.strip() for ln in split_lines(text)]
    out: list[str] = []
    lead = ""
    i = item_end = 0
    while i < len(lines):
        if not BULLET.match(lines[i]):
            i += 1
            continue
        if i != item_end or i == 0:  # a new list (not the next item of the same one)
            lead = _lead_in(lines, i)
        item = [BULLET.sub("", lines[i])]
        j = i + 1
        while (j < len(lines) and j - i <= _ITEM_LINES and lines[j] and not BULLET.match(lines[j])
               and not _SENTENCE_END.search(item[-1])):
            item.append(lines[j])
            j += 1
        body = join_lines(item)
        if lead and body:
            out.append(_with_context(lead, body))
        i = item_end = j
    return out


def _lead_in(lines: list[str], i: int) -> str:
    """The heading or lead-in above the bullet at line i ("" when a full paragraph ends
    there: its last sentence is not a heading)."""
    picked: list[str] = []
    k = i - 1
    while k >= 0 and len(picked) < _LEAD_LINES and lines[k] and not BULLET.match(lines[k]):
        if _SENTENCE_END.search(lines[k]) and (picked or not lines[k].endswith(":")):
            break
        picked.insert(0, lines[k])
        k -= 1
    lead = join_lines(picked)
    return lead if len(lead) <= _MAX_LEAD else ""


# --------------------------------------------------------------------------- KPI boxes
# a line that is only a figure: "20-30%", ">15%", "46.3 %"
KPI_FIGURE = re.compile(r"^\s*[<>≥≤~]?\s*\d{1,3}(?:[.,]\d+)?\s*(?:[-–~]\s*\d{1,3}(?:[.,]\d+)?\s*)?[%％]\s*$",
                        re.M)
_LETTERS = re.compile(r"[^\W\d_]{2}")


def _label_line(line: str) -> bool:
    """A KPI box's label or qualifier line: short words, no sentence, no figure."""
    return (0 < len(line) <= 30 and bool(_LETTERS.search(line)) and not _SENTENCE_END.search(line)
            and not KPI_FIGURE.match(line))


def kpi_chunks(text: str, title_lines: list[str]) -> list[str]:
    """KPI boxes and chart labels: a figure alone on its line ("20-30%") read with the
    short label lines just above it ("GHG" / "intensity") and a qualifier just below
    ("CORPORATE-WIDE"), under the page's title (its lines in the largest type), which carries
    the year and what the figures are ("2030 GHG emission-reduction plans"): "title: GHG
    intensity 20-30% CORPORATE-WIDE"."""
    if not title_lines:
        return []
    title = " ".join(title_lines)
    lines = [ln.strip() for ln in split_lines(text)]
    out = []
    for i, line in enumerate(lines):
        if not KPI_FIGURE.match(line):
            continue
        label: list[str] = []
        k = i - 1
        while k >= 0 and len(label) < 2 and _label_line(lines[k]) and lines[k] not in title_lines:
            label.insert(0, lines[k])
            k -= 1
        if not label:
            continue
        after = lines[i + 1] if i + 1 < len(lines) and _label_line(lines[i + 1]) else ""
        out.append(_with_context(title, " ".join(label + [line] + ([after] if after else []))))
    return out


# --------------------------------------------------------------------------- page choice
_NUMERIC = re.compile(r"(?<![\d.])(?:19|20)\d\d(?!\d)|\d%|％|\d\s*%")
_HEADER_CUE = re.compile(
    r"\b(?:targets?|baselines?|base year|progress|status|performance|goals?|KPIs?|achieved|"
    r"actual)\b|目标|目標|基准|基準|进展|進展|完成|实际|實際|绩效|績效", re.I)


def table_score(text: str) -> int:
    """How table-like a page's line text is: short lines holding a year or a percentage
    (cells, KPI boxes, chart labels) and short lines holding two or more (a table row)
    count when a table header word (target, baseline,
    progress, 目标, 基准...) is on the page; 0 otherwise."""
    if not _HEADER_CUE.search(text):
        return 0
    short = 0
    for ln in split_lines(text):
        s = ln.strip()
        numbers = len(_NUMERIC.findall(s))
        if numbers and (len(s) <= 40 or numbers >= 2 and len(s.split()) <= 14):
            short += 1
    return short if short >= 3 else 0


# --------------------------------------------------------------------------- word positions
def without_footnote_marks(page):
    """The page without footnote markers: small digits raised right after a character of a
    larger size ("2030¹", "intensity22"), which would read as part of a number."""
    marks = set()
    prev = None
    for ch in page.chars:
        if (prev is not None and ch["text"].isdigit() and ch["size"] < 0.8 * prev["size"]
                and -0.5 <= ch["x0"] - prev["x1"] < 2.0 and ch["bottom"] < prev["bottom"] - 0.15 * prev["size"]):
            marks.add((ch["x0"], ch["top"], ch["text"]))
            continue  # prev stays: a marker may have several digits
        prev = ch
    if not marks:
        return page
    return page.filter(lambda obj: obj.get("object_type") != "char"
                       or (obj["x0"], obj["top"], obj["text"]) not in marks)


def _words(page) -> list[dict]:
    """The page's words with their font size."""
    return page.extract_words(x_tolerance=1.5, y_tolerance=2, keep_blank_chars=False,
                              extra_attrs=["size"])


def _lines(words: list[dict]) -> list[list[dict]]:
    """Words grouped into visual lines (vertical overlap), top to bottom, left to right."""
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (w["top"], w["x0"])):
        mid = (w["top"] + w["bottom"]) / 2
        for ln in reversed(lines[-3:]):
            if ln[0]["top"] - 1 <= mid <= ln[0]["bottom"] + 1:
                ln.append(w)
                break
        else:
            lines.append([w])
    for ln in lines:
        ln.sort(key=lambda w: w["x0"])
    return lines


def _segments(line: list[dict]) -> list[dict]:
    """A line split at wide gaps (more than one em): its cells."""
    segs: list[dict] = []
    for w in line:
        last = segs[-1] if segs else None
        if last is not None and w["x0"] - last["x1"] <= max(4.0, 1.0 * w["size"]):
            gap = w["x0"] - last["x1"]
            sep = "" if gap <= 1.0 and (is_cjk(last["text"][-1]) or is_cjk(w["text"][0])) else " "
            last["text"] = _glue(last["text"], w["text"], sep)
            last["x1"] = w["x1"]
            last["bottom"] = max(last["bottom"], w["bottom"])
        else:
            segs.append({"text": w["text"], "x0": w["x0"], "x1": w["x1"], "top": w["top"],
                         "bottom": w["bottom"], "size": w["size"]})
    return segs


_PLAIN_YEAR = re.compile(r"(?:FY\s?)?((?:19|20)\d\d)[*†]?", re.I)


def history_columns(header: list[str]) -> set[int]:
    """Columns of past years in a header with a column per year ("2019 | 2021 | 2022 |
    2023 | Target 2030"): all but the latest year, and but a target year far beyond it
    ("2019 | 2022 | 2023 | 2030" keeps 2023 and 2030). Their values are history, not the
    facts a report states now, and they would read as so many achieved shares."""
    years = {}
    for k, cell in enumerate(header):
        m = _PLAIN_YEAR.fullmatch((cell or "").strip())
        if m:
            years[k] = int(m.group(1))
    if len(years) < 2:
        return set()
    ranked = sorted(years, key=lambda k: years[k], reverse=True)
    keep = {ranked[0]}
    if years[ranked[0]] - years[ranked[1]] >= 5:
        keep.add(ranked[1])
    return set(years) - keep


def _row_chunk(title: str, header: list[str], cells: list[str]) -> str:
    """"title: label | header cell | ..." (a header cell is written before its value);
    past years' columns left out (``history_columns``)."""
    parts = []
    history = history_columns(header)
    for k, cell in enumerate(cells):
        cell = (cell or "").replace("\n", " ").strip()
        if not cell or k in history:
            continue
        head = (header[k] if k < len(header) else "") or ""
        head = head.replace("\n", " ").strip()
        parts.append(_with_context(head, cell) if head and k > 0 and head != cell else cell)
    if len(parts) < 2:
        return ""
    return _with_context(title, " | ".join(parts))


def _heading(line: str) -> str:
    """line when it reads as a heading (short, no sentence end), else ""."""
    return line if line and len(line) <= 80 and not _SENTENCE_END.search(line) else ""


def _has_number(s: str) -> bool:
    return bool(re.search(r"\d", s))


def _ruled_tables(page) -> tuple[list[str], list[tuple]]:
    """Rows of the page's ruled tables (pdfplumber's table finder, "lines" strategy) and the
    tables' boxes."""
    chunks, boxes = [], []
    for table in page.find_tables():
        rows = [r for r in table.extract() if any((c or "").strip() for c in r)]
        if len(rows) < 2 or max(len(r) for r in rows) < 2:
            continue
        boxes.append(table.bbox)
        x0, top, x1, _ = table.bbox
        above = page.crop((x0, max(0, top - 30), x1, top), strict=False).extract_text() or ""
        title = _heading((split_lines(above)[-1] if above.strip() else "").strip())
        header = [c or "" for c in rows[0]]
        for row in rows[1:]:
            chunk = _row_chunk(title, header, [c or "" for c in row])
            if chunk and _has_number(chunk):
                chunks.append(chunk)
    return chunks, boxes


def _inside(w: dict, boxes: list[tuple]) -> bool:
    return any(x0 - 1 <= w["x0"] and w["x1"] <= x1 + 1 and top - 1 <= w["top"] and w["bottom"] <= bottom + 1
               for x0, top, x1, bottom in boxes)


def _aligned_rows(page, words: list[dict]) -> tuple[list[str], list[tuple]]:
    """Tables drawn without rules: a block of lines that starts with a line of three or
    more cells goes to pdfplumber's table finder ("text" strategy: columns where words
    line up, a row per line), cropped to the block so prose around it is not cut into
    columns; the cells are read back as rows or as column items (``_table_chunks``)."""
    width = float(page.width)
    lines = _lines(words)
    segs = [_segments(ln) for ln in lines]
    out: list[str] = []
    boxes: list[tuple] = []
    i = 0
    while i < len(lines):
        if len(segs[i]) < 3:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j][0]["top"] - max(w["bottom"] for w in lines[j - 1]) \
                < 4.0 * lines[j][0]["size"] and not _prose(segs[j], width):
            j += 1
        block = [w for ln in lines[i:j] for w in ln]
        if j - i >= 2:
            bbox = (max(0.0, min(w["x0"] for w in block) - 1), max(0.0, min(w["top"] for w in block) - 1),
                    min(width, max(w["x1"] for w in block) + 1),
                    min(float(page.height), max(w["bottom"] for w in block) + 1))
            title = _heading(segs[i - 1][0]["text"]) if i > 0 and len(segs[i - 1]) == 1 else ""
            crop = page.crop(bbox, strict=False)
            # the block's edges as explicit lines: a label column with fewer than
            # min_words_vertical rows still belongs to the table
            settings = dict(TEXT_TABLE, explicit_vertical_lines=[bbox[0] + 0.5, bbox[2] - 0.5])
            for table in crop.find_tables(settings):
                if not _cuts_words(table, block):
                    chunks = _table_chunks(title, *logical_rows(table))
                    if chunks:
                        out += chunks
                        boxes.append(table.bbox)
        i = j
    return out, boxes


# pdfplumber table settings for tables drawn without rules (see pdfplumber/table.py)
TEXT_TABLE = {"vertical_strategy": "text", "horizontal_strategy": "text", "min_words_vertical": 3,
              "min_words_horizontal": 1, "text_x_tolerance": 3, "text_y_tolerance": 2,
              "text_keep_blank_chars": True}


def _cuts_words(table, words: list[dict]) -> bool:
    """The text strategy put a column edge through words ("progr|ess"): more than 3% of
    the words straddle one of the table's column edges. Such a table is not read."""
    edges = sorted({round(cell[0], 1) for cell in table.cells} | {round(cell[2], 1) for cell in table.cells})
    inner = edges[1:-1]
    x0, top, x1, bottom = table.bbox
    inside = [w for w in words if w["top"] >= top - 1 and w["bottom"] <= bottom + 1]
    if not inside:
        return True
    cut = sum(1 for w in inside if any(w["x0"] + 0.5 < x < w["x1"] - 0.5 for x in inner))
    return cut > 0.03 * len(inside)


def _prose(segs: list[dict], width: float) -> bool:
    """A line of running text (one cell across most of the page, or a sentence, such as a
    footnote under a table): it ends a table block."""
    return len(segs) == 1 and (segs[0]["x1"] - segs[0]["x0"] > 0.6 * width or len(segs[0]["text"]) > 50)


def logical_rows(table) -> tuple[list[list[str]], bool]:
    """The rows of a table found by the "text" strategy (one per visual line), grouped into
    the table's rows: a cell wrapped over several lines is one cell (lines kept apart by
    "\n"). Lines are grouped where the gaps between them are uneven (tight within a row,
    wider between rows); with even gaps every line is a row. Returns (rows, grouped)."""
    lines = [(row.bbox, [c or "" for c in cells]) for row, cells in zip(table.rows, table.extract())
             if any((c or "").strip() for c in cells)]
    if len(lines) < 2:
        return [cells for _, cells in lines], False
    gaps = [b[1] - a[3] for (a, _), (b, _) in zip(lines, lines[1:])]
    tight = max(min(gaps), 0.0)
    if max(gaps) <= 1.6 * tight + 1.0:
        return [cells for _, cells in lines], False
    groups = [list(lines[0][1])]
    for gap, (_, cells) in zip(gaps, lines[1:]):
        if gap > 1.6 * tight + 1.0:
            groups.append(list(cells))
        else:
            groups[-1] = [f"{a}\n{b}" if a and b else a or b for a, b in zip(groups[-1], cells)]
    return groups, True


def _table_chunks(title: str, rows: list[list[str]], grouped: bool = False) -> list[str]:
    """Chunks of a table: a row of short cells (numbers, years) is one chunk ("title: label
    | header cell | ..."); longer text runs down its column, so each column's items (a
    bullet, or the text up to the next row label) become chunks of their own ("title:
    label | header: item"). Cells may hold several lines ("\n"); ``grouped`` rows are
    whole table rows (``logical_rows``), else each row is one visual line."""
    rows = [[c.strip() for c in r] for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2 or len(rows[0]) < 2:
        return []
    for k in range(len(rows[0]) - 1, 0, -1):  # a header cell the finder split ("Target | 2030")
        if not any(r[k] for r in rows[1:]):
            rows[0][k - 1] = _glue(rows[0][k - 1], rows[0][k])
            rows = [r[:k] + r[k + 1:] for r in rows]
    header = [_oneline(c) for c in rows[0]]
    # a column of bullets is read as items, not as the rows' labels
    first = 1 if not any(BULLET.match(r[0]) for r in rows[1:] if r[0]) else 0
    out: list[str] = []
    label = ""
    items: dict[int, str] = {}

    def emit(k: int) -> None:
        item = items.pop(k, "")
        if _has_number(item):
            head = _with_context(header[k], item) if header[k] and header[k] != item else item
            out.append(_with_context(title, " | ".join(x for x in (label, head) if x)))

    for row in rows[1:]:
        flat = [_oneline(c) for c in row]
        filled = [c for c in flat[1:] if c]
        if len(filled) >= 2 and all(_short_cell(c) for c in filled) \
                and 2 * sum(1 for c in filled if _has_number(c)) >= len(filled):
            for k in sorted(items):
                emit(k)
            chunk = _row_chunk(title, header, flat)
            if chunk and _has_number(chunk):
                out.append(chunk)
            continue
        if first and flat[0]:
            for k in sorted(items):
                emit(k)
            label = flat[0]
        for k in range(first, len(row)):
            for line in row[k].split("\n"):
                line = line.strip()
                if not line:
                    continue
                if BULLET.match(line) or k not in items:
                    emit(k)
                    items[k] = BULLET.sub("", line)
                else:
                    items[k] = _glue(items[k], line)
        if grouped:
            for k in sorted(items):
                emit(k)
    for k in sorted(items):
        emit(k)
    return out


def _oneline(cell: str) -> str:
    return join_lines(cell.split("\n"))


def _short_cell(cell: str) -> bool:
    """A cell of a numbers table (a value, a year, a short label), not a line of text:
    at most 25 characters, a CJK character counting as two, and no bullet."""
    return not BULLET.match(cell) and len(cell) + sum(1 for ch in cell if is_cjk(ch)) <= 25


@dataclass
class PageLayout:
    """What layout reading found on a page: its structured rows, and the boxes of the
    tables they were read from ((x0, top, x1, bottom), pdfplumber's coordinates). The page
    text keeps the tables' lines: where a table is read poorly as rows, its lines in
    pypdfium2's order still hold the target (measured on the real reports)."""

    rows: list[str] = field(default_factory=list)
    table_boxes: list[tuple] = field(default_factory=list)


def read_layout(page) -> PageLayout:
    """Structured rows of a pdfplumber page: ruled tables first (pdfplumber's table
    finder), then tables drawn without rules outside them; footnote markers dropped."""
    page = without_footnote_marks(page)
    ruled, boxes = _ruled_tables(page)
    words = _words(page)
    aligned, text_boxes = _aligned_rows(page, [w for w in words if not _inside(w, boxes)])
    return PageLayout(ruled + aligned, boxes + text_boxes)
