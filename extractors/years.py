"""Years in report text: where they stand, which are base years, which year the report
tells about.

"2030 年前", "不晚于 2050", "2050 年或之前", "by 2050 or sooner", "around 2025" all give the
named year; fiscal years "FY2049/50" / "2049/50 财年" give the later year. Base-year cues are
listed in both languages together because reports mix them within one sentence
("比 2018 年", "relative to a 2019 baseline").
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

# 2030, 2030 年, FY2049/50, 2029/30 财年, 2049-50
_YEAR = re.compile(
    r"(?<![\d.,A-Za-z])(?:FY\s?)?(20[0-9]{2})(?:\s*[/-]\s*(?:20)?(\d{2}))?(?![\d.,]*\d)"
    r"(?:\s*(?:财)?年(?:度)?)?")
# a number followed by a unit is a quantity, not a year: 2030 万吨, 2025 MW
_YEAR_UNIT_AFTER = re.compile(r"^\s*(?:万|亿|千|百|吨|个|家|座|人|辆|米|平方|兆|吉|kg|t\b|MW|GW|%|％)")
_BASE_BEFORE = re.compile(
    r"(?:比|较|相比|相较于?|相对于?|对比|基准年|基线|基准|以|与|从|自|vs\.?|versus|"
    r"compared (?:with|to)|relative to(?: an?)?(?: absolute)?|from(?: an?)?(?: absolute)?|"
    r"against(?: an?)?|baseline(?: of)?|base year(?: of)?|since|over)\s*$", re.I)
_BASE_AFTER = re.compile(
    r"^\s*(?:年)?\s*(?:为|作为|作)?\s*(?:基准|基线|基年|基数|水平|的基准|相比(?!\s*(?:基准|20\d\d))|"
    r"比(?!\s*(?:基准|20\d\d))|以来|"
    r"baseline|base year|base|levels?\b|figures?\b)", re.I)
_SINCE_BEFORE = re.compile(r"(?:自|从|since|from)\s*$", re.I)


class Year:
    """A year at [pos, end) of a sentence; `base` for a base year, `since` after 自/从/since/from."""

    __slots__ = ("pos", "end", "year", "base", "since")

    def __init__(self, pos, end, year, base, since):
        self.pos, self.end, self.year, self.base, self.since = pos, end, year, base, since

    def __repr__(self):
        return f"Year({self.year}@{self.pos}{' base' if self.base else ''})"


def find_years(s: str) -> list[Year]:
    out = []
    for m in _YEAR.finditer(s):
        y = int(m.group(1))
        if m.group(2):  # FY2049/50 -> 2050 (second year of the fiscal year)
            y2 = int(m.group(1)[:2] + m.group(2))
            if y2 == y + 1:
                y = y2
        if not (2000 <= y <= 2070):
            continue
        tail = s[m.end():m.end() + 4]
        has_nian = "年" in m.group(0)
        if not has_nian and _YEAR_UNIT_AFTER.match(tail):
            continue
        before = s[max(0, m.start() - 28):m.start()]
        after = s[m.end():m.end() + 14]
        base = bool(_BASE_BEFORE.search(before)) or bool(_BASE_AFTER.match(after))
        since = bool(_SINCE_BEFORE.search(before))
        out.append(Year(m.start(), m.end(), y, base, since))
    return out


def pick_year(years: list[Year], k: int, s: str, max_dist: int = 60,
              since: bool = False) -> Year | None:
    """Nearest non-base year before position k in the sentence, else None. With
    ``since``, "从 2022 年起" years count (a state holding from that year on)."""
    best = None
    for y in years:
        if (y.base and not (since and y.since and re.match(r"\s*起", s[y.end:y.end + 3])))\
                or y.pos >= k:
            continue
        if k - y.end > max_dist:
            continue
        best = y
    return best


def base_year(s: str, years: list[Year], k: int) -> int | None:
    """The base year nearest to position k, if the sentence names one."""
    bases = [y for y in years if y.base]
    if not bases:
        return None
    return min(bases, key=lambda y: abs(y.pos - k)).year


# ----------------------------------------------------------------------------- report year
_DATA_YEAR = re.compile(
    r"(?<!\d)(?:截至|截止|在)?\s*(20[0-3]\d)\s*年(?:度)?\s*(?:\d{1,2}\s*月)?\s*(?:底|末|初|上半年)?[，,]|"
    r"\b(?:In|in|As of|as of|During|during|At the end of|at the end of|Since|since)\s+(?:FY\s?)?"
    r"(20[0-3]\d)\b(?!\s*(?:target|goal))|\b(20[0-3]\d)\s+(?:was|saw|marked)\b")
_TARGET_YEAR_BEFORE = re.compile(r"(?:到|至|前|于|by|By|until|before|to)\s*$")


def report_year(texts: Iterable[str]) -> int:
    """The report's year, estimated as one after the year its facts are mostly told about
    ("2022 年，…", "截至 2022 年底，", "In 2023, …", "as of 2023"); target years ("到 2030
    年", "by 2030") do not count. Without such dates: one after the most mentioned year
    up to 2025."""
    texts = list(texts)
    c = Counter()
    for t in texts:
        for m in _DATA_YEAR.finditer(t):
            if _TARGET_YEAR_BEFORE.search(t[max(0, m.start() - 6):m.start()]) \
                    and not m.group(0).lstrip().startswith(("截至", "截止")):
                continue  # "至 2030 年，", "by 2030," are target years
            y = int(next(g for g in m.groups() if g))
            if 2000 <= y <= 2030:
                c[y] += 1
    if not c:
        for t in texts:
            for m in re.finditer(r"(?<!\d)(20[0-2]\d)(?!\d)", t):
                y = int(m.group(1))
                if 2000 <= y <= 2025:
                    c[y] += 1
    if not c:
        return 2023
    top = max(c.values())
    y = max(k for k, v in c.items() if v == top)
    return y + 1
