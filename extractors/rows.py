"""Targets-table rows -> rule hits: the row form the layout reader (extractors/layout.py) hands
the engine, "title: label | header: cell | header: cell" ("Our climate targets: Renewable
electricity share | Baseline: 2019 | 2030 goal: 100% | 2023 progress: 68%").

The label names the metric (a renewable-electricity share, or GHG emissions); each cell's
header names its role: a target ("2030 goal", "Target 2030", "目标") gives a target with the
header's year; a year or a progress column ("2023", "2023 progress") an achieved value, of
which only the latest is the share (the others are its history); "Baseline: 2019" the base
year. Values without % are absolute amounts (kt CO2e), not read. Language-neutral: the
words of both languages sit side by side, read after extractors.text.to_simplified.
"""
from __future__ import annotations

import re

from .text import MAX_EVIDENCE, RuleHit

SEP = " | "
_CELL = re.compile(r"^(?P<head>[^:：|]{1,60})[:：]\s*(?P<val>.+)$")
_VALUE = re.compile(r"^(?P<sign>[-–−])?\s*(?:(?P<lo>\d+(?:\.\d+)?)\s*[%％]?\s*[-–~～]\s*)?"
                    r"(?P<v>\d+(?:\.\d+)?)\s*(?P<pct>[%％])?\s*$")
_SHARE = re.compile(r"(?=.*(?:renewabl|green (?:electricity|power)|clean (?:electricity|energy)|"
                    r"可再生|再生能源|绿电|绿色电力|清洁能源))(?=.*(?:electric|power|share|energy|电|能源))", re.I)
_EMISSIONS = re.compile(r"emission|GHG|CO2|carbon|greenhouse|排放|温室气体|碳排|碳强度", re.I)
_NOT_EMISSIONS = re.compile(r"energy (?:use|consumption|intensity)|water|waste|flar|plastic|packaging|"
                            r"能耗|用水|废弃物|用电", re.I)
_TARGET_HEAD = re.compile(r"target|goal|ambition|objective|aim|commitment|目标|承诺", re.I)
_BASE_HEAD = re.compile(r"base(?:line)?|base year|基准", re.I)
_YEAR = re.compile(r"(?<!\d)20\d\d(?!\d)")


def is_row(chunk: str) -> bool:
    """A row is short and has cells (a page header "Company | Report title | Section" opens
    a whole page's text, which is not one)."""
    return SEP in chunk and len(chunk) <= 400 and chunk.index(SEP) <= 160


def row_facts(row: str, ref: int) -> list[RuleHit] | None:
    """Hits of a targets-table row; None when the label names no metric the row reader
    knows (the sentence rules then read the row)."""
    cells = row.split(SEP)
    label = cells[0]
    share = bool(_SHARE.search(label))
    cut = not share and bool(_EMISSIONS.search(label)) and not _NOT_EMISSIONS.search(label)
    if not (share or cut) or len(cells) < 2:
        return None
    percent_label = bool(re.search(r"[%％]", label))
    base, parsed, pos = None, [], len(label) + len(SEP)
    for cell in cells[1:]:
        start, pos = pos, pos + len(cell) + len(SEP)
        m = _CELL.match(cell.strip())
        if not m:
            continue
        head, val = m["head"], m["val"].strip()
        if _BASE_HEAD.search(head):
            y = _YEAR.search(val)
            base = int(y.group()) if y else base
            continue
        v = _VALUE.match(val)
        if not v or not (v["pct"] or percent_label):
            continue
        years = [int(y) for y in _YEAR.findall(head)]
        parsed.append((head, years[0] if years else None, v, start + len(cell)))
    hits, achieved = [], []
    for head, year, v, end in parsed:
        value, high = float(v["v"]), None
        if v["lo"] and float(v["lo"]) < value:
            value, high = float(v["lo"]), value
        if not 0 < value <= 100:
            continue
        quote = _quote(row, end)
        if _TARGET_HEAD.search(head):
            if year is None or year < ref - 1:
                continue
            if cut:
                hits.append(RuleHit("interim_target", year, value, "target", quote, base_year=base,
                                    value_high=high, rule="row.reduction", confidence=0.9))
            else:
                hits.append(RuleHit("renewable_electricity_target", year, value, "target", quote,
                                    value_high=high, rule="row.renewable_target", confidence=0.9))
        elif share and (year is None or year <= ref):
            achieved.append(RuleHit("green_power_share", year, value, "achieved", quote,
                                    rule="row.share", confidence=0.9))
    if achieved:  # the latest year's value; the others are its history
        dated = [h for h in achieved if h.year is not None]
        hits.append(max(dated, key=lambda h: h.year) if dated else achieved[0])
    return hits


def _quote(row: str, end: int) -> str:
    """A verbatim quote of the row ending with the cell that ends at `end`: the whole row up to
    it when short enough, else its last MAX_EVIDENCE characters from a word start."""
    lo = max(0, end - MAX_EVIDENCE)
    while 0 < lo < end and row[lo - 1].isalnum():
        lo += 1
    return row[lo:end].strip(" |")
