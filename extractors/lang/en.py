"""English (en): the tables and rules that read climate targets in English sentences.

- year metrics (net zero / carbon neutral / peak): a keyword with a year introduced by
  by/in/before/since… (or adjacent: "our 2040 net-zero target", "Net Zero 2040"); national
  goals (the UK's…), customers', suppliers' and portfolio companies' goals, IEA scenarios,
  alliances and near-zero / zero-carbon-ready wording are skipped; "since"/achieved wording
  gives status "achieved";
- percentages: a cut of emissions with a target year ("by 2030", "the 2030 target of") is an
  interim target (base year kept), "halve", "at least one third" included; a renewable
  electricity share with target wording is a target, otherwise an achieved green-power share
  (table rows "Renewable electricity share % 71 66 54" read the latest column);
- flags: RE100 membership, own SBTi commitments (not suppliers').

The interface every language module provides is listed in extractors/lang/__init__.py.
"""
from __future__ import annotations

import re

from ..text import RuleHit, scope_of, sentence_evidence
from ..years import Year, base_year
from .shared import RE100_MEMBER, WITHDRAWN

CODE = "en"
# cues that open a sentence to the rules besides the metric table's trigger words
# (common/metrics.py): numbers as percentages or words, and keyword variants the page filter
# does not need
NUMBER_CUES = r"%|percent|half|halve|third|quarter"
KEYWORD_CUES = r"neutral|peak"

# a sentence break: ". " before a capital, bullets, dashes, wide gaps (dropped)
SENTENCE_BREAK = re.compile(
    r"(?<![\s(][A-Za-z]\.)(?<!e\.g\.)(?<!i\.e\.)(?<!\bNo\.)(?<!approx\.)(?<!\bvs\.)"
    r"(?<=[.!?;])\s+(?=[\"'“‘(–—]?\s?[A-Z0-9])|\s+[•▪●■◆►]\s*|\s[–—]\s(?=[A-Z])|\s{3,}")
KEEP_BREAK = False

# "The objective extends to our US sites by 2030": the previous sentence's target, new scope/year
EXTENDS = re.compile(
    r"\b(?:objective|target|goal|commitment|ambition|aim)s?\s+(?:also\s+)?(?:extends?|applies|"
    r"will (?:extend|apply|be extended))\s+to\b(?P<scope>[^.]{0,60}?)\bby\s+(?:FY\s?)?(?P<year>20\d\d)", re.I)
# pages worth scanning for a withdrawn SBTi commitment
SBTI_CUE = re.compile(r"SBTi|Science[- ]Based", re.I)
# English reports need no heading mask (a pattern that never matches)
HEADINGS = re.compile(r"(?!)")

# other actors' goals: "help our customers reach net zero", suppliers' own commitments
HELPING_BEFORE = re.compile(r"\b(?:help\w*|support\w*|enabl\w*|assist\w*)\b[^.]{0,50}$", re.I)
HELPED = re.compile(r"\b(?:customers?|clients?|companies|businesses|suppliers?|partners?|"
                    r"economy|sector|society|transition)\b", re.I)
OTHER_ACTORS = re.compile(r"\b(?:customers?|clients?|portfolio compan\w+|investees?|tenants?)\b", re.I)
OTHER_ACTORS_REDUCTION = re.compile(r"\b(?:customers?|clients?'|suppliers?|portfolio compan\w+|tenants?)\b", re.I)
OTHER_ACTORS_SBTI = re.compile(r"\bsuppliers?\b|\bportfolio compan|\bcustomers?\b|\bclients?\b|\bcounterpart", re.I)
SUPPLIER_OWN = re.compile(r"\bsuppliers?\b[^.]{0,40}\b(?:commit\w*|set|have|their|to)\b", re.I)
SUPPLY_CHAIN = re.compile(r"\bsupply chain\b", re.I)
# national and sector goals
NATIONAL = re.compile(
    r"\b(?:UK|U\.K\.|EU|European Union|China|China's|national|government|country|countries|"
    r"Paris Agreement goal|global economy|world|society|sector's|industry's)\b|the UK's", re.I)


SBTI = re.compile(
    r"Science[- ]Based Targets? initiative|\bSBTi\b|science[- ]based (?:emissions? )?(?:reduction )?targets?|"
    r"Science Based Target", re.I)

NUMBER_WORDS = {
    "half": 50.0, "halve": 50.0, "halving": 50.0, "one third": 100 / 3, "a third": 100 / 3,
    "two thirds": 200 / 3, "one quarter": 25.0, "a quarter": 25.0, "three quarters": 75.0,
}
PERCENT = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)\s?(?:%|per\s?cent\b|percent\b)|"
    r"\b((?:at least )?(?:one|a) third|(?:one|a) quarter|two[- ]thirds|three quarters)\b", re.I)
KEYWORDS = {
    "net_zero": re.compile(r"\bnet[- ]?zero\b", re.I),
    "carbon_neutral": re.compile(r"\b(?:carbon|climate)[- ]neutral(?:ity)?\b", re.I),
    "peak": re.compile(r"\b(?:peak(?:ing)?|reach(?:ing)? (?:its|our|a) peak)\b(?= (?:in |our |its |of |total |carbon |GHG |CO2 )*(?:carbon |GHG |CO2 )?emissions)|"
                       r"(?<=emissions )(?:will |to |have |has |had )?peak(?:ed|s)?\b", re.I),
}
NOT_TARGET_AFTER = {
    "net_zero": re.compile(
        r"^[- ]?(?:\w+[- ]){0,2}(?:Banking Alliance|Asset Managers?|Asset Owners?|Insurance Alliance|"
        r"Alliance|Initiative|Standard|Tracker|transition plan|ready|pathways?|scenario|"
        r"reference|considerations|ambitions|emissions scenario|economy|world|future|"
        r"transition|aligned|alignment|commitments? of)", re.I),
    "carbon_neutral": re.compile(r"^[- ]?(?:products?|fuels?|certified|certification|offsets?|"
                                 r"shipping|delivery|LNG|gas|bonds?|packaging|offset)", re.I),
    "peak": re.compile(r"^(?!)"),
}
NEAR_ZERO = re.compile(r"near[- ]zero|zero[- ]carbon ready|net[- ]zero[- ]ready|absolute zero|"
                           r"Alliance for Net[- ]Zero|Race to Zero", re.I)
TARGET_WORDS = re.compile(
    r"\b(?:target\w*|aim\w*|ambition\w*|commit\w*|goal\w*|plan\w*|pledg\w*|strive|striving|will|"
    r"intend\w*|seek\w*|aspir\w*|on track|objective\w*|to (?:be|become|reach|achieve|get to)|expect\w*|"
    r"align\w*|path)\b", re.I)
ACHIEVED_WORDS = re.compile(r"\b(?:achieved|became|have been|has been|maintained|remained|"
                          r"reached|certified|since|peaked)\b", re.I)
YEAR_INTRO = re.compile(
    r"\b(?:by|in|before|until|till|no later than|from|since|of|for|year)\s+(?:the end of\s+|end of\s+)?"
    r"(?:(?:calendar|fiscal|financial) year\s+)?(?:FY\s?)?$|\bFY\s?$", re.I)


def _is_context_year(s: str, y: Year) -> bool:
    """"In 2023, …" / "In January 2024, we published…" at the head of a sentence."""
    return bool(re.match(r"^\W*(?:In|By the end of|During|As of|At the end of)\s+(?:\w+\s+)?$",
                         s[:y.pos])) and bool(re.match(r"^\s*[,:]", s[y.end:y.end + 3]))


def year_metrics(s: str, years: list[Year], ref: int) -> list[RuleHit]:
    found = []
    for metric, rx in KEYWORDS.items():
        for m in rx.finditer(s):
            if NOT_TARGET_AFTER[metric].match(s[m.end():m.end() + 40]):
                continue
            if NEAR_ZERO.search(s[max(0, m.start() - 25):m.end() + 15]):
                continue
            if re.match(r"^[^.]{0,30}\b(?:scenarios?|pathways?)\b|^[^.]{0,15}\(?NZE\b", s[m.end():], re.I):
                continue  # IEA "Net Zero Emissions by 2050 Scenario"
            cands = []
            for y in years:
                if y.base and not y.since:
                    continue
                pre = s[max(0, y.pos - 30):y.pos]
                intro = YEAR_INTRO.search(pre)
                if intro is None and (0 <= y.pos - m.end() <= 3 or 0 <= m.start() - y.end <= 3):
                    # "our 2040 net-zero target", "Net Zero 2040"
                    cands.append((0, y, "adjacent"))
                    continue
                if y.pos >= m.end() and y.pos - m.end() <= 70 and intro:
                    cands.append((y.pos - m.end(), y, intro.group(0).strip().lower()))
                elif y.end <= m.start() and m.start() - y.end <= 60 and intro:
                    cands.append((m.start() - y.end + 15, y, intro.group(0).strip().lower()))
            if not cands:
                continue
            _, y, intro = min(cands, key=lambda c: c[0])
            # a run of years is a table header, not a statement
            if re.search(r"20\d\d\s+20\d\d", s[max(0, y.pos - 6):y.end + 6]):
                continue
            lo, hi = min(y.pos, m.start()), max(y.end, m.end())
            span = s[max(0, lo - 30):hi + 5]
            if NATIONAL.search(span):
                continue
            if HELPING_BEFORE.search(s[:m.start()][-70:]) and HELPED.search(s[max(0, m.start() - 70):m.start()]):
                continue
            if OTHER_ACTORS.search(s[lo:hi]):
                continue
            if SUPPLIER_OWN.search(s[max(0, lo - 60):hi]) and not SUPPLY_CHAIN.search(s[lo:hi]):
                continue
            status = None
            if intro.startswith("since") or (intro in ("in", "of", "from") and ACHIEVED_WORDS.search(
                    s[max(0, lo - 50):hi + 10]) and y.year <= ref):
                status = "achieved" if y.year <= ref else None
            elif TARGET_WORDS.search(s[max(0, lo - 120):hi + 30]) and y.year >= ref - 1:
                status = "target"
            if status is None:
                continue
            if status == "target" and _is_context_year(s, y):
                continue
            found.append(RuleHit(metric, y.year, None, status, scope=_scope(s[max(0, lo - 40):hi + 5]),
                                 evidence=sentence_evidence(s, lo, hi)))
    return found



# the scope a target covers: the first label whose words are near it, else the place named
SCOPES = (
    (re.compile(r"financed emissions|facilitated emissions", re.I), "financed emissions"),
    (re.compile(r"scopes? 1,? (?:2,? )?(?:and|&) 3|scopes 1-3|value chain|supply chain|scope 3", re.I),
     "value chain"),
    (re.compile(r"scopes? 1\s*(?:and|&|\+|,)\s*2", re.I), "scope 1+2"),
    (re.compile(r"operations|operational", re.I), "operations"),
)
PLACE = re.compile(r"\b(?:in|at|across) (?:all |our )?((?:[A-Z][\w.]* )?(?:sites?|plants?|factories|"
                   r"facilities|offices|campus))\b")


def _scope(ctx: str) -> str | None:
    return scope_of(ctx, SCOPES, PLACE)


EMISSIONS = re.compile(r"\bemissions?\b|\bscopes? \d|\bGHG\b|\bCO2e?\b|\bCO 2\b|\bcarbon\b|\bgreenhouse\b|"
                      r"\bfootprint\b|\bmethane\b", re.I)
NOT_EMISSIONS = re.compile(r"\benergy (?:consumption|use|intensity|demand)\b|\bwater\b|\bwaste\b|"
                          r"\bplastics?\b|\bexposure\b|\blandfill|\bpackaging\b|\bfinancing\b|"
                          r"\bfuel (?:use|consumption)\b|\bpaper\b|\bgender\b|\bwomen\b", re.I)
RENEWABLE = re.compile(r"\brenewabl\w*|\bgreen (?:electricity|power|energy)\b|\bclean (?:electricity|power)\b",
                    re.I)
PAST_REDUCTION = re.compile(
    r"\b(?:we|has|have|had|was|were|it|they)\s+(?:already\s+|successfully\s+)?(?:reduced|cut|lowered|decreased)\b|"
    r"\b(?:were|was|is|are)\s+\d[\d.]*\s?%\s+lower\b|\breduction of\s*$|\bdown\s*$|"
    r"\bachieved\b|\bexceeded\b", re.I)


def _target_year(s: str, years: list[Year], a: int, b: int, ref: int) -> Year | None:
    """The target year of a percentage at [a, b): 'by 2030' after it, or 'the 2030
    target of', '2025 target -30%' before it."""
    best = None
    for y in years:
        if y.base or y.since or y.year < ref - 1:
            continue
        pre = s[max(0, y.pos - 25):y.pos]
        post = s[y.end:y.end + 30]
        if y.pos >= b and y.pos - b <= 100 and re.search(
                r"\b(?:by|in|for|until|before|no later than)\s+(?:the end of\s+)?(?:FY\s?)?$", pre, re.I):
            d = y.pos - b
        elif y.end <= a and a - y.end <= 30 and re.match(
                r"^\s*(?:[a-z-]+\s+){0,3}(?:reduction\s+)?(?:targets?|goals?|ambitions?)\b", post, re.I):
            d = a - y.end + 5
        elif y.end <= a and a - y.end <= 100 and re.search(
                r"\b(?:by|in|for|until|before)\s+(?:the end of\s+)?(?:FY\s?)?$", pre, re.I) and \
                re.match(r"^\s*[,:]", post):
            d = a - y.end + 20  # "By 2030, we will reduce … by 50%"
        else:
            continue
        if best is None or d < best[0]:
            best = (d, y)
    return best[1] if best else None


def percent_metrics(s: str, years: list[Year], ref: int) -> list[RuleHit]:
    found = []
    for m in PERCENT.finditer(s):
        if m.group(1):
            v = float(m.group(1))
        else:
            w = re.sub(r"^at least ", "", m.group(2).lower()).replace("-", " ")
            v = NUMBER_WORDS.get(w)
            if v is None:
                continue
        if v <= 0 or v > 100:
            continue
        a, b = m.start(), m.end()
        before, after = s[max(0, a - 150):a], s[b:b + 90]
        # a percentage right after another number is a table cell
        table = bool(re.search(r"(?<![A-Za-z])\d[\d.,]*\s+[-–−]?\s*$", s[max(0, a - 10):a]) and
                     not re.search(r"(?:scopes?|and|&)\s+\d\s*[-–−]?\s*$", s[max(0, a - 14):a], re.I))
        # ---- reductions
        red = (re.match(r"^\s*(?:absolute\s+)?(?:reduction|cut|decrease|lower)\b", after, re.I)
               or re.search(r"\b(?:reduc\w*|cut\w*|lower\w*|decreas\w*)\b[^.%]{0,140}"
                            r"(?:\bby|\bemissions|\bGHG|\bCO2e?|\bfootprint|\bintensity)\s*$", before, re.I)
               or re.search(r"\b(?:reduction\s+)?(?:target|goal|ambition)s?\s*(?:of|:|is|was)\s*[-–−]?\s*$",
                            before, re.I)
               or re.search(r"\btarget\s*[-–−]\s*$", before, re.I)
               # "-30% CO2 emissions by 2025": a signed KPI
               or (re.search(r"(?:^|\s)[-–−]\s?$", s[max(0, a - 2):a])
                   and re.match(r"^\s*(?:in\s+|of\s+)?(?:absolute\s+)?(?:scopes?\s[\d,&+ and]+)?"
                                r"(?:GHG|CO2e?|CO 2|carbon|greenhouse gas)?\s*emissions\b", after, re.I)))
        if table and re.match(r"^\s*(?:reduction|decrease)\s+in\b[^.%]{0,80}\bby\s+20\d\d", after, re.I):
            table = False  # a label after a table cell: "103 42% reduction in … by 2030"
        if re.match(r"^\s*(?:reduction|decrease)\s+\d", after):
            table = True  # "67% reduction 78% reduction 34 103": cells of a progress table
        if red and not table:
            win = s[max(0, a - 110):b + 80]
            if not EMISSIONS.search(win):
                continue
            close = s[max(0, a - 70):b + 50]
            if NOT_EMISSIONS.search(close) and not re.search(r"emissions|GHG|CO2", close, re.I):
                continue
            if OTHER_ACTORS_REDUCTION.search(close):
                continue
            if PAST_REDUCTION.search(s[max(0, a - 60):a]) or re.match(
                    r"^\s*(?:lower|decrease|reduction)\s+(?:than|compared|vs|versus|on|from)\b", after, re.I):
                continue
            y = _target_year(s, years, a, b, ref)
            if y is None:
                continue
            lo, hi = min(y.pos, a), max(y.end, b)
            ctxt = s[max(0, lo - 120):hi + 60]
            if not (TARGET_WORDS.search(ctxt) or re.search(r"\bby\s+(?:FY\s?)?20\d\d", s[b:b + 90], re.I)):
                continue
            if re.search(r"\bestimat\w*\b", s[max(0, lo - 60):hi], re.I):
                continue
            base = base_year(s, years, a)
            found.append(RuleHit("interim_target", y.year, v, "target", base_year=base, scope=_scope(ctxt),
                                 evidence=sentence_evidence(s, lo, hi)))
            continue
        # "halve … emissions by 2030"
        # ---- renewable electricity
        near = s[max(0, a - 60):b + 60]
        if not RENEWABLE.search(near) or not re.search(r"electricity|power", near, re.I):
            continue
        if re.match(r"^\s*of (?:our |the |total )?(?:electricity|power)(?: consumed| used| consumption)?\s+"
                    r"(?:comes?|came|was|is|were|are)\s+(?:from|sourced from)\s+renewable", after, re.I):
            ys = [x for x in years if x.year <= ref and abs(x.pos - a) < 80]
            found.append(RuleHit("green_power_share", ys[0].year if ys else None, v, "achieved",
                                 scope=_scope(near), evidence=sentence_evidence(s, a, b + 60)))
            continue
        if re.search(r"\b(?:generation|generated|generating|capacity|output|supplied to|customers?|"
                     r"suppliers?|portfolio|financ\w+|lending|GW|MW|revenue|with commitments|"
                     r"estimate\w*|market|grid|national|country|countries)\b", near, re.I):
            continue
        if re.search(r"\b(?:increase|growth|decrease|rise|up|down)\s+(?:of|by)?\s*$", s[max(0, a - 20):a], re.I):
            continue
        if re.match(r"^\s*\d[\d.,]*\s+\d[\d.,]*\s", after):
            continue  # "Renewable Electricity 8 % 100 100 100": a unit (and footnote) column
        y = _target_year(s, years, a, b, ref)
        lo, hi = a, b
        if y is not None:
            lo, hi = min(lo, y.pos), max(hi, y.end)
        tgt = y is not None and bool(TARGET_WORDS.search(s[max(0, lo - 100):hi + 30]) or
                                     re.search(r"\bby\s+20\d\d", s[b:b + 90]))
        if tgt and not re.search(r"\b(?:achieved|maintained|reached|sourced|consumed|used)\b",
                                 s[max(0, a - 40):a], re.I):
            found.append(RuleHit("renewable_electricity_target", y.year, v, "target",
                                 scope=_scope(s[max(0, lo - 60):hi + 10]),
                                 evidence=sentence_evidence(s, lo, hi)))
        elif not table or re.search(r"renewable", s[max(0, a - 45):a], re.I):
            if re.search(r"\b(?:target|goal|aim|ambition|commit\w*|will)\b", s[max(0, a - 50):b + 30], re.I):
                continue  # a target without a year: not an achieved share either
            ys = [x for x in years if x.year <= ref and abs(x.pos - a) < 80]
            asof = min(ys, key=lambda x: abs(x.pos - a)).year if ys else None
            found.append(RuleHit("green_power_share", asof, v, "achieved", scope=_scope(near),
                                 evidence=sentence_evidence(s, a, b)))
    # "halve … emissions by 2030" (a worded 50% cut)
    for m in re.finditer(r"\b(?:halve|halving|(?:cut|reduce|reducing|cutting) (?:[\w-]+ ){0,5}(?:in|by) half)\b",
                         s, re.I):
        win = s[m.start():m.end() + 90]
        if not EMISSIONS.search(win):
            continue
        y = _target_year(s, years, m.start(), m.end(), ref)
        if y is None or re.search(r"\b(?:customers?|clients?|suppliers?)\b", win, re.I):
            continue
        found.append(RuleHit("interim_target", y.year, 50.0, "target", base_year=base_year(s, years, m.start()),
                             scope=_scope(win), evidence=sentence_evidence(s, m.start(), y.end)))
    # table row: "Renewable electricity share % 71 66 54" (first column = latest year)
    for m in re.finditer(r"\brenewable (?:electricity|power|energy)(?: share| consumption share| use|"
                         r" consumption)?\s*\(?%\)?\s*(?:[a-z]\.?\s+)?(\d+(?:\.\d+)?)(?=\s)", s, re.I):
        v = float(m.group(1))
        if 0 < v <= 100:
            found.append(RuleHit("green_power_share", None, v, "achieved",
                                 evidence=sentence_evidence(s, m.start(), m.end())))
    return found


def flags(s: str) -> list[RuleHit]:
    found = []
    m = RE100_MEMBER.search(s)
    if m:
        found.append(RuleHit("re100", None, True, "target", evidence=sentence_evidence(s, m.start(), m.end())))
    m = SBTI.search(s)
    if m and not WITHDRAWN.search(s):
        near = s[max(0, m.start() - 100):m.end() + 40]
        if not OTHER_ACTORS_SBTI.search(near):
            found.append(RuleHit("sbti", None, None, "target", evidence=sentence_evidence(s, m.start(), m.end())))
    return found
