"""The rule engine: report text -> climate-target Facts, in every language of extractors/lang/.

Entry point: ``extract_facts(chunks)`` with chunks = (1-based page, page text) pieces.
Evidence is always a verbatim slice of the chunk text (one clause or sentence).

For each page that names a trigger word (lang.rule_trigger: the metric table's trigger words
and each language's number cues), each sentence (split by the page's language) goes through
the rules of the sentence's language (``detect_language``): year metrics, percentages and
flags, each returning RuleHits. The engine adds what spans sentences:
- "The objective extends to our US sites by 2030" repeats the previous sentence's
  percentage target for the new scope and year;
- an SBTi withdrawal anywhere in the document cancels its SBTi facts (the scorer ignores
  withdrawn commitments);
- the report's year (years.report_year) decides achieved vs target for years close to it.

The rules are linguistic, never company-specific; the tables live in extractors/lang/<code>.py.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Iterator

from common.metrics import METRICS
from common.schema import Fact

from .lang import LANGUAGES, detect_language, rule_trigger
from .lang.shared import GROUP_PART, HEDGES, WITHDRAWN
from .rows import is_row, row_facts
from .text import MAX_EVIDENCE, RuleHit, split_spans, to_simplified
from .years import find_years, report_year

TRIGGER = rule_trigger()
# scope labels that mean the whole company (or its value chain); any other scope names a part
# of it: a site, a region, a business
COMPANY_SCOPES = {label for language in LANGUAGES.values() for _, label in getattr(language, "SCOPES", ())}


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of a page text, split by the page's language."""
    language = LANGUAGES[detect_language(text)]
    return split_spans(text, language.SENTENCE_BREAK, language.KEEP_BREAK)


def mask_headings(s: str) -> str:
    """Section headings glued to the text by line joining ("战略与目标伊利已在…") are
    blanked (same length) so that they do not read as target wording."""
    for language in LANGUAGES.values():
        s = language.HEADINGS.sub(lambda m: " " * len(m.group(0)), s)
    return s


def sentence_facts(s: str, ref: int) -> list[RuleHit]:
    """Rule hits of one sentence; the evidence is a verbatim slice of s."""
    masked = mask_headings(s)
    out = []
    for hit in _sentence_facts(masked, ref):
        i = masked.find(hit.evidence)
        if i >= 0:
            hit = replace(hit, evidence=s[i:i + len(hit.evidence)])
        out.append(hit)
    return out


def _sentence_facts(s: str, ref: int) -> list[RuleHit]:
    years = find_years(s)
    language = LANGUAGES[detect_language(s)]
    return language.year_metrics(s, years, ref) + language.percent_metrics(s, years, ref) + language.flags(s)


def extract_facts(chunks: Iterable[tuple[int, str]], ref_year: int | None = None) -> list[Fact]:
    """Facts of (page, text) chunks. ``ref_year`` is the report's year (achieved vs
    target for years close to it); by default it is estimated from the text."""
    chunks = [(p, t) for p, t in chunks if t]
    ref = ref_year or report_year(t for _, t in chunks)
    facts: list[Fact] = []
    seen = set()
    for page, original in chunks:
        text = to_simplified(original)  # same length: evidence is sliced from the original
        if not TRIGGER.search(text):
            continue
        for a, b, found in _chunk_hits(text, ref):
            s = text[a:b]
            for hit in found:
                i = s.find(hit.evidence) if hit.evidence else -1
                if i < 0:
                    continue
                hit = replace(hit, evidence=original[a + i:a + i + len(hit.evidence)],
                              confidence=confidence(hit, s[max(0, i - 60):i + len(hit.evidence)]))
                value = True if isinstance(hit.value, bool) else hit.value
                key = (hit.metric, hit.year, value, hit.status)
                if key in seen:
                    continue
                seen.add(key)
                facts.append(Fact(metric=hit.metric, year=hit.year, value=hit.value, base_year=hit.base_year,
                                  scope=hit.scope, status=hit.status, page=page, evidence=hit.evidence,
                                  value_high=hit.value_high, confidence=hit.confidence, rule=hit.rule or None))
    if _sbti_withdrawn(t for _, t in chunks):
        facts = [f for f in facts if f.metric != "sbti"]
    return headline_shares(facts)


def confidence(hit: RuleHit, context: str) -> float:
    """How sure a rule hit is, 0..1: the rule's own figure, lowered for hedged wording in its
    quote or just before it ("we are investigating how we can…"), a value told for a part of the company (a site, a region, a
    business, a subsidiary), and a quote that had to stretch (the number far from its keyword or year)."""
    c = hit.confidence
    if HEDGES.search(context):
        c *= 0.6
    if (hit.scope and hit.scope not in COMPANY_SCOPES) or GROUP_PART.search(context):
        c *= 0.7
    if len(hit.evidence) > 100:
        c *= 0.85
    return round(c, 2)


def headline_shares(facts: list[Fact]) -> list[Fact]:
    """A document's achieved green-power shares told for a part of the company (a site, a
    region: a rule named "*_part") are dropped when it also states a company-wide share; alone,
    they stay with their low confidence."""
    shares = [f for f in facts if f.metric == "green_power_share"]
    if not any(not (f.rule or "").endswith("_part") for f in shares):
        return facts
    return [f for f in facts if not (f.metric == "green_power_share" and (f.rule or "").endswith("_part"))]


def others_speak(s: str, before: bool) -> bool:
    """Whether the goals of sentence s are a state's, a policy paper's or an industry's
    rather than the company's (``before``: the sentence before was such a sentence and s
    goes on listing them)."""
    language = LANGUAGES[detect_language(s)]
    return bool(language.OTHERS_SPEAK.search(s)) or before and bool(language.GOAL_LIST_GOES_ON.search(s))


def _chunk_hits(text: str, ref: int) -> Iterator[tuple[int, int, list[RuleHit]]]:
    """(start, end, hits) of the spans of a chunk: a targets-table row read by the row
    reader (extractors/rows.py) as a whole, else each sentence by the rules of its language;
    a sentence whose goals a state, a policy paper or an industry states (and the sentences
    that go on listing them) gives none."""
    if is_row(text):
        hits = row_facts(text, ref)
        if hits is not None:
            yield 0, len(text), hits
            return
    prev: list[RuleHit] = []
    others = False
    for a, b in sentences(text):
        s = text[a:b]
        others = others_speak(s, others)
        ext = _extension(s, prev, ref)
        if not TRIGGER.search(s) and not ext:
            prev = []
            continue
        found = [] if others else sentence_facts(s, ref) + ext
        prev = found or prev
        yield a, b, found


def _extension(s: str, prev: list[RuleHit], ref: int) -> list[RuleHit]:
    """"The objective extends to our US sites by 2030": the previous sentence's
    percentage targets (share / reduction), for another scope and year."""
    matches = [m for m in (language.EXTENDS.search(s) for language in LANGUAGES.values()) if m]
    if not matches or not prev:
        return []
    m = min(matches, key=lambda x: x.start())
    year = int(m.group("year"))
    scope = (m.group("scope") or "").strip() or None
    quote = s.strip() if len(s) <= MAX_EVIDENCE else s[m.start():m.end()]
    return [replace(hit, year=year, scope=scope, evidence=quote, rule=f"{hit.rule}+extends",
                    confidence=min(hit.confidence, 0.8)) for hit in prev
            if METRICS[hit.metric].kind == "percent" and hit.status == "target" and year >= ref - 1]


def _sbti_withdrawn(texts: Iterable[str]) -> bool:
    """An SBTi commitment withdrawn in any sentence of the document."""
    for text in texts:
        if not any(language.SBTI_CUE.search(text) for language in LANGUAGES.values()):
            continue
        for a, b in sentences(text):
            s = text[a:b]
            if WITHDRAWN.search(s) and any(language.SBTI.search(s) for language in LANGUAGES.values()):
                return True
    return False
