"""Text machinery every language's rules share: sentence spans, clause bounds, evidence
quotes, Chinese numerals, the CJK share of a text, and the rule hit type.

Evidence is always a verbatim slice of the sentence it is read from (one clause or the
sentence), at most MAX_EVIDENCE characters. Language tables live in extractors/lang/.
"""
from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from functools import lru_cache

from .pdftext import _CJK_RE

MAX_EVIDENCE = 120


@dataclass(frozen=True)
class RuleHit:
    """What a rule found in one sentence; `evidence` is a verbatim slice of that sentence."""

    metric: str
    year: int | None
    value: float | bool | None
    status: str  # "target" or "achieved"
    evidence: str
    base_year: int | None = None
    scope: str | None = None
    value_high: float | None = None  # a range's upper bound ("20-30%": value 20, value_high 30)
    rule: str = ""  # the rule's name, "<language>.<rule>"
    confidence: float = 1.0  # lowered by the engine for hedges, per-site values, distant numbers


# ----------------------------------------------------------------------------- characters
_CJK_RUN = re.compile(f"{_CJK_RE.pattern}+")
_LETTER_RUN = re.compile(r"[^\W\d_]+")


def cjk_ratio(s: str) -> float:
    """CJK characters per letter of s (0 for text without letters). Counted by regular
    expression runs, not a Python loop per character: the engine asks it of every sentence."""
    if not s:
        return 0.0
    n = sum(map(len, _CJK_RUN.findall(s)))
    letters = sum(map(len, _LETTER_RUN.findall(s)))
    return n / max(1, letters)


_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}


def zh_number(s: str) -> int | None:
    """Chinese numerals up to 百: 三十五 -> 35, 百 -> 100."""
    if not s:
        return None
    if s in ("百", "一百"):
        return 100
    total, cur = 0, 0
    for ch in s:
        if ch in _ZH_DIGITS:
            cur = _ZH_DIGITS[ch]
        elif ch == "十":
            total += (cur or 1) * 10
            cur = 0
        elif ch == "百":
            total += (cur or 1) * 100
            cur = 0
        else:
            return None
    return total + cur


_HAN = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # the OpenCC project's Traditional -> Simplified tables
    return opencc.OpenCC("t2s")


def to_simplified(s: str) -> str:
    """s with Traditional Chinese characters in Simplified form (淨零 -> 净零, 減少 -> 减少),
    of the same length, so that positions, and so evidence slices, map back to s. The
    rules are written in Simplified Chinese; Taiwanese and Hong Kong reports use Traditional."""
    if not _HAN.search(s):
        return s
    out = _t2s().convert(s)
    if len(out) == len(s):
        return out
    conv = _t2s().convert  # a phrase changed length: convert character by character
    return "".join(c2 if len(c2 := conv(c)) == 1 else c for c in s)


# ----------------------------------------------------------------------------- sentences
def split_spans(text: str, pattern: re.Pattern, keep_break: bool) -> list[tuple[int, int]]:
    """Spans of text between the matches of `pattern` (a sentence break). With `keep_break` the
    match ends the span before it ("。" belongs to its sentence); else it is dropped (a space)."""
    spans, start = [], 0
    for m in pattern.finditer(text):
        spans.append((start, m.end() if keep_break else m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return trimmed(text, spans)


def trimmed(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans without leading and trailing white space; empty ones dropped; none longer
    than MAX_SENTENCE (see bounded)."""
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.extend(bounded(text, a, b))
    return out


MAX_SENTENCE = 1500  # characters; longer "sentences" are run-on text (tables, joined bullets)
_BREAK = re.compile(r"[\s，,：:；;、]")


def bounded(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """[a, b) cut into pieces of at most MAX_SENTENCE characters, each ending at the last
    space or clause separator of its window when there is one: every rule looks at a bounded
    neighbourhood, so a page costs time linear in its length, whatever its punctuation."""
    pieces = []
    while b - a > MAX_SENTENCE:
        window = text[a + MAX_SENTENCE // 2:a + MAX_SENTENCE]
        cut = max((m.end() for m in _BREAK.finditer(window)), default=len(window))
        end = a + MAX_SENTENCE // 2 + cut
        piece_end = end
        while piece_end > a and text[piece_end - 1].isspace():
            piece_end -= 1
        if piece_end > a:
            pieces.append((a, piece_end))
        a = end
        while a < b and text[a].isspace():
            a += 1
    if b > a:
        pieces.append((a, b))
    return pieces


# ----------------------------------------------------------------------------- scope
def scope_of(ctx: str, scopes: tuple[tuple[re.Pattern, str], ...], place: re.Pattern) -> str | None:
    """The label of the first of `scopes` (pattern, label) found in ctx, else the place
    `place` names in ctx (its group 1: a site, a plant, a business), else None."""
    for pattern, label in scopes:
        if pattern.search(ctx):
            return label
    m = place.search(ctx)
    return m.group(1) if m else None


# ----------------------------------------------------------------------------- evidence
_CLAUSE_SEP = re.compile(r"[，,：:；;（）()]")


@functools.lru_cache(maxsize=16)
def _separator_positions(s: str) -> tuple[int, ...]:
    """Positions of the clause separators of s, found once per sentence (the rules ask for
    the clause of many matches in the same sentence)."""
    return tuple(m.start() for m in _CLAUSE_SEP.finditer(s))


def clause_bounds(s: str, a: int, b: int) -> tuple[int, int]:
    """Expand [a, b) of sentence s to whole clauses (between commas/colons).

    A binary search in the sentence's separator positions, not a scan per match: that scan
    made a long run-on sentence cost time quadratic in its length."""
    seps = _separator_positions(s)
    i = bisect.bisect_left(seps, a)  # the separators before a are seps[:i]
    lo = seps[i - 1] + 1 if i > 0 else 0
    j = bisect.bisect_left(seps, b)  # the first separator at or after b
    hi = seps[j] if j < len(seps) else max(b, len(s))
    return lo, hi


def clause_evidence(s: str, a: int, b: int) -> str:
    """A verbatim quote of s covering [a, b): whole clauses when short enough."""
    lo, hi = clause_bounds(s, a, b)
    if hi - lo > 90:  # run-on text (joined bullets, tables): keep close to the match
        lo, hi = max(lo, a - 12), min(hi, b + 24)
        if hi - lo > MAX_EVIDENCE:
            lo, hi = a, min(b, a + MAX_EVIDENCE)
    q = s[lo:hi]
    return q.strip(" \t，,：:；;、")


def sentence_evidence(s: str, a: int, b: int) -> str:
    """The sentence when short, else the clause(s) around [a, b) within MAX_EVIDENCE."""
    if len(s) <= MAX_EVIDENCE:
        return s.strip()
    lo, hi = a, b
    while lo > 0 and b - lo < MAX_EVIDENCE * 2 // 3 and s[lo - 1] not in ",;:(•–":
        lo -= 1
    while hi < len(s) and hi - lo < MAX_EVIDENCE and s[hi] not in ",;:)•–":
        hi += 1
    while lo < a and lo > 0 and s[lo - 1].isalnum():  # do not start inside a word
        lo += 1
    while hi > b and hi < len(s) and s[hi - 1].isalnum() and s[hi].isalnum():
        hi -= 1
    return s[lo:hi].strip(" ,;:–•")
