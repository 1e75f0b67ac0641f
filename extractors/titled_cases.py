"""Segment a report whose company cases are titled ("公司：标题") and listed in a numbered
case list, such as the AmCham China dual-carbon report (中国美国商会《“双碳”目标…》).

The report's own structure, not a list of companies, finds the cases:

- the case list: a block of numbered items ("1. 通用电气（GE）：以技术创新…"), numbered
  from 1 again under each section heading, an item possibly wrapped onto a second line;
  it is the numbered block whose items come back later in the body as lines of their own;
- each case's title comes back as a running title on the case's pages and, in most
  cases, once more right after the case's last paragraph;
- most cases end with a company profile, a short heading line "…简介" followed by one
  paragraph.

Case k+1 starts where case k ends:
- after k's profile paragraph when the profile comes after k's last running title
  (the paragraph ends at the next "一、" section heading or running title);
- otherwise right after k's last running title, unless k's section numbering carries on
  after it ("三、" after "二、"): then k runs to the next "一、" heading.
Running titles and the report's letter-spaced spread footers ("中 国 美 国 商 会56")
are left out of the case text (they cut sentences in two).
"""
from __future__ import annotations

import re

from common.schema import Case

from .pdftext import join_lines, plumber_texts, split_lines

_ITEM = re.compile(r"^(\d{1,2})\s*[.、．]\s+(\S.*)$")
_PAGENO = re.compile(r"^\d{1,4}$")
_SPREAD_FOOTER = re.compile(r"^(?:[\u4e00-\u9fff]\s){3,}[\u4e00-\u9fff]\s*\d{1,4}$")
_SECTION = re.compile(r"^([一二三四五六七八九十]{1,3})、")
_PROFILE = re.compile(r"^(?P<name>.{1,30}?)\s*(?:(?<!有限)公司)?简介[:：]?$")
_NAME_SEP = re.compile(r"\s*[：:]\s*")
_ZH_ORD = "一二三四五六七八九十"


def _strip(s: str) -> str:
    return re.sub(r"\s+", "", s)


def body_lines(pages: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """(page, line) of every text line, without page numbers and spread footers."""
    out = []
    for p, text in pages:
        lines = [ln.strip() for ln in split_lines(text) if ln.strip()]
        if lines and _PAGENO.match(lines[-1]):
            lines = lines[:-1]
        out += [(p, ln) for ln in lines if not _SPREAD_FOOTER.match(ln)]
    return out


def _numbered_block(lines: list[tuple[int, str]], i: int) -> tuple[list[str], int]:
    """The numbered items starting at line i (an item "1."), their stripped texts and the
    index after the block. A line between items n and n+1 continues item n; a line
    before a new item 1 is a section heading."""
    items: list[list] = []
    while i < len(lines):
        m = _ITEM.match(lines[i][1])
        if m and int(m.group(1)) == (items[-1][0] + 1 if items else 1) or m and items and m.group(1) == "1":
            items.append([int(m.group(1)), m.group(2).strip()])
            i += 1
            continue
        nxt = _ITEM.match(lines[i + 1][1]) if i + 1 < len(lines) else None
        if items and nxt and int(nxt.group(1)) == items[-1][0] + 1:
            items[-1][1] = join_lines([items[-1][1], lines[i][1]])
        elif not (items and nxt and nxt.group(1) == "1"):
            break
        i += 1
    return [re.sub(r"\s+", " ", t) for _, t in items], i


def title_at(title: str, lines: list[tuple[int, str]], j: int) -> int:
    """How many lines from j on spell the running title (0: none). A long title may be
    wrapped onto a second line or cut short by the layout."""
    title, line = _strip(title), _strip(lines[j][1])
    if len(line) < 4 or not title.startswith(line):
        return 0
    if line == title:
        return 1
    if j + 1 < len(lines) and title.startswith(line + _strip(lines[j + 1][1])):
        return 2
    return 1 if len(line) >= max(8, 0.5 * len(title)) else 0


def find_case_list(lines: list[tuple[int, str]]) -> tuple[list[str], int]:
    """The case titles of the report's case list and the index of the line after it:
    the numbered block (at least three items) most of whose items come back later as
    lines of their own."""
    best: tuple[list[str], int] = ([], 0)
    i = 0
    while i < len(lines):
        m = _ITEM.match(lines[i][1])
        if not m or m.group(1) != "1":
            i += 1
            continue
        titles, end = _numbered_block(lines, i)
        if len(titles) >= 3 and len(titles) > len(best[0]):
            back = sum(any(title_at(t, lines, j) for j in range(end, len(lines))) for t in titles)
            if back >= 0.5 * len(titles):
                best = (titles, end)
        i = max(end, i + 1)
    return best


def case_name(title: str, profile: str | None) -> str:
    """The company's name as the case title gives it ("微软：…" -> 微软), else as its
    profile heading does ("领英公司简介" -> 领英)."""
    parts = _NAME_SEP.split(title, maxsplit=1)
    if len(parts) == 2 and parts[0]:
        return parts[0]
    return profile or title


def _section_no(line: str) -> int | None:
    m = _SECTION.match(line)
    return _ZH_ORD.index(m.group(1)[-1]) + 1 if m and len(m.group(1)) == 1 else None


def segment_lines(lines: list[tuple[int, str]]) -> list[Case]:
    titles, start = find_case_list(lines)
    if not titles:
        return []
    n = len(titles)
    # running-title lines of each case, in body order
    hits: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    title_lines: set[int] = set()
    for j in range(start, len(lines)):
        for k, t in enumerate(titles):
            w = title_at(t, lines, j)
            if w:
                hits[k].append((j, w))
                title_lines.update(range(j, j + w))
                break
    starts, profiles = [start], []
    for k in range(n):
        lo = starts[k]
        nxt_first = next((j for j, _ in hits[k + 1] if j >= lo), len(lines)) if k + 1 < n else len(lines)
        own = [(j, w) for j, w in hits[k] if lo <= j < nxt_first]
        prof = next((j for j in range(lo, nxt_first) if j not in title_lines
                     and _PROFILE.match(lines[j][1]) and len(lines[j][1]) <= 30), None)
        profiles.append(prof)
        if k + 1 == n:
            break
        last = own[-1][0] + own[-1][1] if own else None
        if prof is not None and (last is None or prof > last):
            end = _paragraph_end(lines, prof + 1, nxt_first, title_lines)
        elif last is not None:
            end = _after_title(lines, lo, last, nxt_first)
        elif nxt_first < len(lines):  # neither: the case ends where the next one's page starts
            end = next(j for j in range(nxt_first, -1, -1) if j == 0 or lines[j - 1][0] < lines[nxt_first][0])
        else:  # nothing marks the end: the rest of the report (the next cases stay empty)
            end = len(lines)
        starts.append(max(end, lo))
    ends = starts[1:] + [len(lines)]
    cases = []
    for k in range(n):
        idx = [j for j in range(starts[k], ends[k]) if j not in title_lines]
        by_page: dict[int, list[str]] = {}
        for j in idx:
            by_page.setdefault(lines[j][0], []).append(lines[j][1])
        chunks = [(p, join_lines(ls)) for p, ls in sorted(by_page.items())]
        prof = profiles[k]
        profile_name = _PROFILE.match(lines[prof][1]).group("name") if prof is not None else None
        case = Case(case_no=k + 1, name=case_name(titles[k], profile_name), sector="", industry="",
                    pages=[p for p, _ in chunks], chunks=chunks)
        case.title = titles[k]
        case.profile_name = profile_name
        cases.append(case)
    return cases


def _paragraph_end(lines, j: int, stop: int, title_lines: set[int]) -> int:
    """End of a profile paragraph starting at line j: the next section heading or running
    title."""
    while j < stop and j not in title_lines and not _SECTION.match(lines[j][1]):
        j += 1
    return j


def _after_title(lines, lo: int, after: int, stop: int) -> int:
    """Where the next case starts after a case's last running title: right there, unless
    the case's own section numbering carries on after it; then at the next "一、"."""
    last_no = next((no for j in range(after - 1, lo - 1, -1) if (no := _section_no(lines[j][1]))), None)
    nxt = next(((j, no) for j in range(after, stop) if (no := _section_no(lines[j][1]))), None)
    if last_no is None or nxt is None or nxt[1] != last_no + 1:
        return after
    return next((j for j in range(nxt[0], stop) if _section_no(lines[j][1]) == 1), stop)


_DATED_EVENT = re.compile(r"(?<![到至于前])\s*(20\d\d)\s*年\s*\d{1,2}\s*月")


def publication_year(cases: list[Case]) -> int | None:
    """The report's year when its cover does not say it: the latest year of an event the
    cases date to the month ("2022 年 1 月，…宣布"); target years carry no month."""
    years = [int(m.group(1)) for c in cases for _, t in c.chunks for m in _DATED_EVENT.finditer(t)]
    return max(years) if years else None


def segment_titled_cases(pdf_path: str) -> list[Case]:
    """The titled company cases of the report PDF, in order (pdfplumber text; pages of
    (cid:NN) codes fall back to pypdfium2, see pdftext)."""
    return segment_lines(body_lines(list(plumber_texts(pdf_path))))
