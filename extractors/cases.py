"""Segment the 100-case report (中国企业低碳转型与高质量发展报告 2023) into company cases.

Case k is the k-th block holding a ``公司简介`` line. Every case also has a three-line
header (company name / sector / industry, sector in SECTORS, industry in INDUSTRIES).
In the first cases the header stands before ``公司简介``; further on the layout puts it
AFTER the case's text (just before the next case's ``公司简介``). Headers and profiles are
therefore paired by order (the k-th header belongs to the k-th case), and the header's
position relative to its profile tells which layout a case has:

- header before profile: the case runs from its header to the next case's first line;
- header after profile: the case runs from its profile to its header, plus the lines
  after the header that stand on the header's page; the lines between the previous
  case's end and the profile that stand on later pages (boxes, highlights put at the top
  of the case's first page) open the case.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from common.schema import INDUSTRIES, SECTORS, Case

from .facts import extract_facts
from .pdftext import join_lines, pdf_title, pdfium_texts, plumber_texts, split_lines
from .titled_cases import publication_year, segment_titled_cases

PROFILE = "公司简介"
_PAGENO = re.compile(r"^\s*\d{1,4}\s*$")
# footer of a two-page spread that ended up inside a page: "105 1062023 <title>..."
_SPREAD = re.compile(r"^\s*\d{1,4}\s+\d{1,4}\S.{6,}$")


@dataclass
class Line:
    page: int
    text: str
    vpage: float = 0.0  # page of the source layout (a PDF page can hold two source pages)


def _strip(s: str) -> str:
    return re.sub(r"\s+", "", s)


def report_lines(pages: list[tuple[int, str]]) -> list[Line]:
    """All body lines of the report, without page numbers and running headers/footers
    (a line repeated as the first or last line of many pages)."""
    per_page = [(p, [ln for ln in split_lines(t) if ln.strip()]) for p, t in pages]
    edge = Counter()
    for _, lines in per_page:
        for ln in lines[:2] + lines[-2:]:
            edge[ln.strip()] += 1
    keep = {PROFILE, *SECTORS, *INDUSTRIES}
    running = {s for s, c in edge.items()
               if c >= max(5, 0.3 * len(per_page)) and not _PAGENO.match(s) and _strip(s) not in keep}
    out: list[Line] = []
    for p, lines in per_page:
        if lines and _PAGENO.match(lines[-1]):
            lines = lines[:-1]
        sub = 0.0
        for ln in lines:
            if ln.strip() in running or any(r in ln for r in running if len(r) >= 8):
                continue
            if _SPREAD.match(ln):
                sub += 0.5
                continue
            out.append(Line(p, ln.strip(), p + sub))
    return out


_NAME_BAD = re.compile(r"[。，；：！？,;]$|^\d+$")


def find_headers(lines: list[Line], first_profile: int = 0
                 ) -> list[tuple[int, int, str, str, str | None]]:
    """(start index, end index exclusive, name, sector, industry) of every case header.

    A header is a short name line, a sector line and an industry line. The source
    sometimes lacks the industry line; such a header (industry None) is accepted only
    inside the case section (from the line before the first profile on)."""
    heads = []
    start = max(0, first_profile - 4)
    for i in range(max(1, start), len(lines) - 1):
        if _strip(lines[i].text) not in SECTORS:
            continue
        name = lines[i - 1].text.strip()
        if not (0 < len(name) <= 40) or name == PROFILE or _NAME_BAD.search(name):
            continue
        if _strip(name) in SECTORS or _strip(name) in INDUSTRIES:
            continue
        nxt = _strip(lines[i + 1].text)
        if nxt in INDUSTRIES:
            heads.append((i - 1, i + 2, name, _strip(lines[i].text), nxt))
        else:
            heads.append((i - 1, i + 1, name, _strip(lines[i].text), None))
    return heads


def _fill_industries(cases: list[Case]) -> None:
    """A case whose header has no industry line takes its neighbours' industry: the
    report orders cases by sector and industry."""
    for k, c in enumerate(cases):
        if c.industry:
            continue
        prev = cases[k - 1] if k > 0 else None
        nxt = cases[k + 1] if k + 1 < len(cases) else None
        cands = [x for x in (prev, nxt) if x is not None and x.industry and x.sector == c.sector]
        if prev in cands and nxt in cands and prev.industry != nxt.industry:
            cands = [prev]
        c.industry = cands[0].industry if cands else ""


def _chunks(lines: list[Line], idx: list[int]) -> list[tuple[int, str]]:
    by_page: dict[int, list[str]] = {}
    for i in idx:
        by_page.setdefault(lines[i].page, []).append(lines[i].text)
    return [(p, join_lines(ls)) for p, ls in sorted(by_page.items())]


def segment_lines(lines: list[Line]) -> list[Case]:
    profiles = [i for i, ln in enumerate(lines) if _strip(ln.text) == PROFILE]
    if not profiles:
        return []
    heads = find_headers(lines, profiles[0])
    if len(heads) != len(profiles):
        raise ValueError(f"{len(profiles)} '{PROFILE}' blocks but {len(heads)} case headers")
    header_idx = set()
    for s, e, *_ in heads:
        header_idx.update(range(s, e))
    n = len(profiles)
    # 'before' layout: header k precedes profile k (and follows profile k-1)
    before = [heads[k][0] < profiles[k] for k in range(n)]
    # end (exclusive) of each case's main span and start of the next
    starts, ends = [0] * n, [0] * n
    for k in range(n):
        if before[k]:
            starts[k] = heads[k][0]
        else:
            starts[k] = profiles[k]
    for k in range(n):
        if before[k]:
            nxt = starts[k + 1] if k + 1 < n else len(lines)
            ends[k] = nxt
        else:
            ends[k] = heads[k][1]
    # lines after an 'after'-layout header: same page -> this case, later pages -> next
    extra: dict[int, list[int]] = {k: [] for k in range(n)}
    for k in range(n):
        if before[k]:
            continue
        stop = profiles[k + 1] if k + 1 < n else len(lines)
        if k + 1 < n and before[k + 1]:
            stop = heads[k + 1][0]
        # lines on the next profile's page (above it) open the next case; lines on
        # the header's page or on pages between belong to this case
        npage = lines[profiles[k + 1]].vpage if k + 1 < n and not before[k + 1] else None
        hpage = lines[heads[k][1] - 1].vpage
        for i in range(heads[k][1], stop):
            if npage is not None and lines[i].vpage == npage != hpage:
                extra[k + 1].append(i)
            elif k + 1 < n or lines[i].vpage == hpage:
                extra[k].append(i)
    cases = []
    for k in range(n):
        idx = [i for i in range(starts[k], ends[k]) if i not in header_idx]
        idx = sorted(set(idx) | set(extra[k]))
        s, e, name, sector, industry = heads[k]
        chunks = _chunks(lines, idx)
        cases.append(Case(case_no=k + 1, name=name, sector=sector, industry=industry,
                          pages=[p for p, _ in chunks], chunks=chunks))
    _fill_industries(cases)
    return cases


def report_year(pages: list[tuple[int, str]]) -> int | None:
    """The report's year from its title pages ("…报告 2023", "2023 年度…报告")."""
    for _, text in pages[:3]:
        m = re.search(r"报告\s*(20\d\d)|(20\d\d)\s*年?度?[^\n]{0,20}报告|Report\s+(20\d\d)", text)
        if m:
            return int(next(g for g in m.groups() if g))
    return None


_PROFILE_LINE = re.compile(r"^\s*公\s*司\s*简\s*介\s*$", re.M)


def case_pages(raw: list[str]) -> list[int]:
    """1-based pages that can hold case text, found from fast pypdfium2 text: from the
    page before the first profile to three pages after the last one (the last case's
    text and header follow its profile)."""
    hits = [i + 1 for i, t in enumerate(raw) if _PROFILE_LINE.search(t)]
    if not hits:
        return list(range(1, len(raw) + 1))
    return list(range(max(1, hits[0] - 1), min(len(raw), hits[-1] + 3) + 1))


def segment_cases(pdf_path: str) -> list[Case]:
    """The company cases of the 100-case report PDF, in order. pypdfium2 finds the case
    section and the report's year fast; pdfplumber reads the case pages (pages whose
    pdfplumber text is (cid:NN) codes fall back to pypdfium2's text, see pdftext).
    A report without "公司简介" headers is read as a report of titled cases
    (extractors.titled_cases); its year, when the title pages lack it, is the latest year
    its cases date an event to the month."""
    raw = pdfium_texts(pdf_path)
    year = report_year([(i + 1, t) for i, t in enumerate(raw[:3])])
    if not _PROFILE_LINE.search("\n".join(raw)):  # no 公司简介 headers: cases titled "公司：标题"?
        cases = segment_titled_cases(pdf_path)
        year = year or publication_year(cases)
        for c in cases:
            c.ref_year = year
        return cases
    pages = list(plumber_texts(pdf_path, case_pages(raw)))
    cases = segment_lines(report_lines(pages))
    for c in cases:
        c.ref_year = year  # the report's year: past years are achievements
    return cases


# a line that is only an organisation's name: the report's signature or running footer
_ORG_LINE = re.compile(r"^[\u4e00-\u9fff]{2,24}(?:商会|委员会|协会|研究院|研究中心|基金会|联合会)$")


def report_info(pdf_path: str, cases: list[Case]) -> dict:
    """What the warehouse records of a seed report: its title (the PDF's), publisher (the
    organisation line it signs with or repeats as footer), year (its cases' reference year)
    and pages."""
    raw = pdfium_texts(pdf_path)
    orgs = Counter()
    for text in raw:
        for line in split_lines(text):
            line = re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])", "", line.strip())
            line = re.sub(r"\s*\d{1,4}$", "", line)
            if _ORG_LINE.match(line):
                orgs[line] += 1
    return {"title": pdf_title(pdf_path), "publisher": orgs.most_common(1)[0][0] if orgs else None,
            "year": next((c.ref_year for c in cases if getattr(c, "ref_year", None)), None),
            "pages": len(raw)}


def case_record(case: Case) -> dict:
    facts = extract_facts(case.chunks, ref_year=getattr(case, "ref_year", None))
    if getattr(case, "title", None):  # a titled case: no sector/industry header
        return {"case_no": case.case_no, "name": case.name, "title": case.title,
                "sector": None, "industry": None, "pages": case.pages,
                "facts": [f.to_dict() for f in facts]}
    return {
        "case_no": case.case_no,
        "name": case.name,
        "sector": case.sector,
        "industry": case.industry,
        "pages": case.pages,
        "facts": [f.to_dict() for f in facts],
    }
