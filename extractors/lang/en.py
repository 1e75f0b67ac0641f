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
# sentences whose goals a state, a policy paper or an industry states (see zh.OTHERS_SPEAK):
# national goals in English are caught per clause by NATIONAL; none needed here yet
OTHERS_SPEAK = re.compile(r"(?!)")
GOAL_LIST_GOES_ON = re.compile(r"(?!)")

# other actors' goals: "help our customers reach net zero", suppliers' own commitments
HELPING_BEFORE = re.compile(r"\b(?:help\w*|support\w*|enabl\w*|assist\w*)\b[^.]{0,50}$", re.I)
HELPED = re.compile(r"\b(?:customers?|clients?|companies|businesses|suppliers?|partners?|"
                    r"economy|sector|society|transition)\b", re.I)
OTHER_ACTORS = re.compile(r"\b(?:customers?|clients?|portfolio compan\w+|investees?|tenants?|investors?|"
                          r"(?<!Group )(?<!group )companies)\b", re.I)
# a keyword inside the name of a national goal: "the national 'dual carbon' goals of peaking
# carbon emissions by 2030 and achieving carbon neutrality by 2060"
NATIONAL_GOAL_OF = re.compile(r"(?:national|dual[- ]carbon|country's|China's|government's|[“\"'‘]30[·・.]60)"
                              r"\W*(?:[\w-]+\W+){0,2}?(?:goals?|targets?|strategy|vision)\s+of\b[^.;]{0,100}$", re.I)
OTHER_ACTORS_REDUCTION = re.compile(r"\b(?:customers?|clients?'|suppliers?|portfolio compan\w+|tenants?)\b", re.I)
OTHER_ACTORS_SBTI = re.compile(r"\bsuppliers?\b|\bportfolio compan|\bcustomers?\b|\bclients?\b|\bcounterpart", re.I)
SUPPLIER_OWN = re.compile(r"\bsuppliers?\b[^.]{0,40}\b(?:commit\w*|set|have|their|to)\b", re.I)
SUPPLY_CHAIN = re.compile(r"\bsupply chain\b", re.I)
# national and sector goals
NATIONAL = re.compile(
    r"\b(?:UK|U\.K\.|EU|European Union|European|China|China's|national|government|country|countries|"
    r"Paris Agreement goal|global economy|world|society|sector's|industry's|industry-wide)\b|the UK's|"
    r"\b(?:electricity|energy|power|shipping|aviation|steel|cement|oil and gas) (?:sector|industry)\b", re.I)
# someone else's target: "HSBC Asset Management continues to work towards its ambition of
# reducing…", "help the company reach its net zero goal" (not "the Company and its…")
OTHERS_POSSESSIVE = re.compile(r"\b(?:its|their)\s+(?:own\s+)?(?:[\w-]+\s+){0,3}?"
                               r"(?:ambitions?|targets?|goals?|commitments?|pledges?|aims?)\b", re.I)
SELF_NAMED = re.compile(r"\b(?:the )?(?:Company|Group|Bank)\b[^.]{0,40}$")
# a company written of in lower case within a sentence is another company (an engagement
# case study's investee: "In December 2023, the company set a new target…"); a report writes
# of itself as "we" or "the Company" (SBTi's wording "The company commits to…" opens a sentence)
THIRD_PARTY = re.compile(r"(?<=[\w,;] )(?:the|this|that) (?:company|issuer)\b")
# a target replaced by a newer one
SUPERSEDED = re.compile(
    r"\b(?:previous(?:ly)?|former|prior|original|old|earlier)\s+(?:[\w-]+\s+){0,3}?(?:targets?|goals?|ambitions?)\b|"
    r"\breplac\w*\s+(?:our|the|its|a)\s+(?:[\w-]+\s+){0,3}?(?:targets?|goals?|ambitions?)\b|\bsupersed\w*", re.I)
# "While we have not adopted Science Based Targets": no commitment
NEGATED_BEFORE = re.compile(r"\b(?:not|never|yet to|no)\b[^.,;]{0,30}$", re.I)


def others_target(s: str, lo: int, hi: int) -> bool:
    """The target at [lo, hi) is another actor's: a third-party company or "its/their target"
    not said of the Company / Group itself; or a superseded target."""
    win = s[max(0, lo - 110):hi]
    if THIRD_PARTY.search(s[max(0, lo - 300):hi]) or SUPERSEDED.search(s[max(0, lo - 80):hi + 40]):
        return True
    for m in OTHERS_POSSESSIVE.finditer(win):
        if not SELF_NAMED.search(win[:m.start()]):
            return True
    return False


SBTI = re.compile(
    r"Science[- ]Based Targets? initiative|\bSBTi\b|science[- ]based (?:emissions? )?(?:reduction )?targets?|"
    r"Science Based Target", re.I)

# an SBTi mention is the company's commitment when it says so (committed, validated, set, its
# targets…), not a method or a standard it uses ("the SBTi's sectoral decarbonisation approach")
SBTI_COMMITMENT = re.compile(r"\b(?:commit\w*|validat\w*|approv\w*|set|sets|setting|submitt\w*|verifi\w*|"
                             r"joined|signed|targets?|goals?|trajector\w*|aligned|in line|our|own|ambitions?|confirm\w*)\b", re.I)

NUMBER_WORDS = {
    "half": 50.0, "halve": 50.0, "halving": 50.0, "one third": 100 / 3, "a third": 100 / 3,
    "two thirds": 200 / 3, "one quarter": 25.0, "a quarter": 25.0, "three quarters": 75.0,
}
# "20-30%" / "20% to 30%": a range, read at its lower bound (group lo), the upper kept
PERCENT = re.compile(
    r"(?<![\d.])(?:(?P<lo>\d+(?:\.\d+)?)\s?%?\s?(?:-|–|to)\s?)?(\d+(?:\.\d+)?)\s?(?:%|per\s?cent\b|percent\b)|"
    r"\b((?:at least )?(?:one|a) third|(?:one|a) quarter|two[- ]thirds|three quarters)\b", re.I)
KEYWORDS = {
    "net_zero": re.compile(r"\bnet[- ]?zero\b", re.I),
    "carbon_neutral": re.compile(r"\b(?:carbon|climate)[- ]neutral(?:ity)?\b", re.I),
    "peak": re.compile(r"\bcarbon peak(?:ing)?\b|\b(?:peak(?:ing)?|reach(?:ing)? (?:its|our|a) peak)\b(?= (?:in |our |its |of |total |carbon |GHG |CO2 )*(?:carbon |GHG |CO2 )?emissions)|"
                       r"(?<=emissions )(?:will |to |have |has |had )?peak(?:ed|s)?\b", re.I),
}
NOT_TARGET_AFTER = {
    "net_zero": re.compile(
        r"^[- ]?(?:\w+[- ]){0,2}(?:Banking Alliance|Asset Managers?|Asset Owners?|Insurance Alliance|"
        r"Alliance|Initiative|Standard|Tracker|transition plan|ready|pathways?|scenario|benchmark|"
        r"reference|considerations|ambitions|emissions scenario|economy|world|future|"
        r"transition|aligned|alignment|commitments? of|"
        # a thing made net zero, not the company: "net zero vessels operating in our fleet"
        r"(?:vessels?|ships?|fuels?|technolog\w+|buildings?|homes?|products?|solutions?|vehicles?|cars?)\b)", re.I),
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
# "consistent with achieving net zero by 2050": alignment with a goal, not the goal itself
ALIGNED_WITH = re.compile(r"\b(?:consistent|compatible|aligned)\s+with\s+(?:achieving\s+|reaching\s+)?"
                          r"(?:a\s+|the\s+)?(?:global\s+)?$", re.I)
YEAR_INTRO = re.compile(
    r"\b(?:by|in|before|until|till|through|no later than|from|since|of|for|year)\s+(?:the end of\s+|end of\s+)?"
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
            if ALIGNED_WITH.search(s[max(0, m.start() - 40):m.start()]):
                continue  # a criterion or a pathway ("CAPEX is consistent with achieving net zero…")
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
                elif y.end <= m.start() and m.start() - y.end <= 60 and intro and not any(
                        y.end <= x.pos < m.start() for x in years):
                    # ("by 2030 compared to 2008, and … our net-zero ambition": 2030 is another
                    # statement's year)
                    cands.append((m.start() - y.end + 15, y, intro.group(0).strip().lower()))
            if not cands:
                continue
            if any(y.pos >= m.end() and i != "adjacent" for _, y, i in cands):
                # "carbon neutral … by 2030 and net zero … by 2040": a keyword's own year follows it
                cands = [c for c in cands if c[1].pos >= m.end() or c[2] == "adjacent"]
            _, y, intro = min(cands, key=lambda c: c[0])
            # a run of years is a table header, not a statement
            if re.search(r"20\d\d\s+20\d\d", s[max(0, y.pos - 6):y.end + 6]):
                continue
            lo, hi = min(y.pos, m.start()), max(y.end, m.end())
            span = s[max(0, lo - 30):hi + 5]
            if NATIONAL.search(span) or NATIONAL_GOAL_OF.search(s[max(0, lo - 160):lo]):
                continue
            if HELPING_BEFORE.search(s[:m.start()][-70:]) and HELPED.search(s[max(0, m.start() - 70):m.start()]):
                continue
            if OTHER_ACTORS.search(s[lo:hi]):
                continue
            if SUPPLIER_OWN.search(s[max(0, lo - 60):hi]) and not SUPPLY_CHAIN.search(s[lo:hi]):
                continue
            if others_target(s, lo, hi):
                continue
            status = None
            if intro.startswith("since") or (intro in ("in", "of", "from") and ACHIEVED_WORDS.search(
                    s[max(0, lo - 50):hi + 10]) and y.year <= ref):
                status = "achieved" if y.year <= ref else None
            elif (TARGET_WORDS.search(s[max(0, lo - 120):hi + 30]) and y.year >= ref - 1) or (
                    intro == "by" and y.year > ref):  # "By 2050, have net zero CO2 emissions…"
                status = "target"
            if status is None:
                continue
            if status == "target" and _is_context_year(s, y):
                continue
            found.append(RuleHit(metric, y.year, None, status, scope=_scope(s[max(0, lo - 40):hi + 5]),
                                 evidence=sentence_evidence(s, lo, hi), rule=f"en.{metric}_year"))
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


# a part of the company a share is told for ("in Europe", "across our China sites"), not its
# headline value; the engine prefers a company-wide share
PART = re.compile(
    r"\b(?:in|across|at) (?:the |our |all )?((?:[A-Z][a-z]+|U\.S\.|US|UK|EU)(?: [A-Z][a-z]+)? "
    r"(?:sites?|plants?|factories|facilities|offices|operations|region|markets?|business(?:es)?|division|segment))\b|"
    r"\b(?:in|across) (?:the )?((?:[A-Z][a-z]+|U\.S\.|US|UK|EU)(?: [A-Z][a-z]+)?)\b(?! (?:Group|Company))(?!['’]s)")
NOT_PART = re.compile(r"^(?:January|February|March|April|May|June|July|August|September|October|November|"
                      r"December|Scope|Scopes|Our|The|This|Group|Company|Bank|FY|Q\d)\b")


# "92% of our manufacturing sites": a share of sites, not of electricity; a share told after it
# is those sites' share
SHARE_OF_SITES = re.compile(r"\d+(?:\.\d+)?\s?%\s*of\s+(?:our|the|all|its)?\s*(?:[\w-]+\s+){0,2}?(?:sites|"
                            r"facilities|plants|factories|offices|stores|buildings|data cent(?:er|re)s|suppliers|"
                            r"locations)\b", re.I)


def _part_of_company(ctx: str) -> str | None:
    """The region, site or business a share is told for, if ctx names one."""
    for m in PART.finditer(ctx):
        name = m.group(1) or m.group(2)
        if not NOT_PART.match(name):
            return name
    return None


EMISSIONS = re.compile(r"\bemissions?\b|\bscopes? \d|\bGHG\b|\bCO2e?\b|\bCO 2\b|\bcarbon\b|\bgreenhouse\b|"
                      r"\bfootprint\b|\bmethane\b", re.I)
NOT_EMISSIONS = re.compile(r"\benergy (?:consumption|use|intensity|demand)\b|\bwater\b|\bwaste\b|"
                          r"\bplastics?\b|\bexposure\b|\blandfill|\bpackaging\b|\bfinancing\b|"
                          r"\bfuel (?:use|consumption)\b|\bpaper\b|\bgender\b|\bwomen\b|\bflar(?:e|ed|ing)\b", re.I)
RENEWABLE = re.compile(r"\brenewabl\w*|\bgreen (?:electricity|power|energy)\b|\bclean (?:electricity|power|energy)\b",
                    re.I)
PAST_REDUCTION = re.compile(
    r"\b(?:we|has|have|had|was|were|it|they)\s+(?:already\s+|successfully\s+)?(?:reduced|cut|lowered|decreased)\b|"
    r"\b(?:were|was|is|are)\s+\d[\d.]*\s?%\s+lower\b|\bachieved\b|\bexceeded\b", re.I)
# wording of a cut made unless a target year follows ("emissions reduction of 25% by 2025")
PAST_UNLESS_BY = re.compile(r"\breduction of\s*$|\bdown\s*$", re.I)


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
        elif y.end <= a and a - y.end <= 6 and y.year > ref and re.match(r"^\s*:", post):
            d = a - y.end  # a list item's year label: "Targets: 2030: 50% cut in Scope 1 and 2 emissions"
        elif y.end <= a and a - y.end <= 120 and (re.match(r"^\s*:", post) and re.search(
                r"\b(?:targets?|goals?)\s*$", pre, re.I) or re.match(r"^\s*(?:targets?|goals?)\s*:", post, re.I)):
            d = a - y.end + 30  # a label: "Target 2030: reduce … by 50%", "2030 target: -50% …"
        elif y.end <= a and a - y.end <= 120 and ":" in s[y.end:a] and re.match(
                r"^\s*(?:[\w-]+\s+){0,4}(?:plans?|targets?|goals?|ambitions?|objectives?)\b", post, re.I) \
                and not re.match(r"^\s*(?:net[- ]zero|(?:carbon|climate)[- ]neutral)", post, re.I):
            d = a - y.end + 40  # a title's year: "Our 2030 plans …: GHG intensity 20-30%"
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
    last_cut = None  # where the last reduction percentage of the sentence ended
    for m in PERCENT.finditer(s):
        high = None
        if m.group(2):
            v = float(m.group(2))
            a = m.start(2)
            if m.group("lo") and float(m.group("lo")) < v:
                v, high, a = float(m.group("lo")), v, m.start()
        else:
            w = re.sub(r"^at least ", "", m.group(3).lower()).replace("-", " ")
            v = NUMBER_WORDS.get(w)
            a = m.start()
            if v is None:
                continue
        if v <= 0 or v > 100:
            continue
        b = m.end()
        before, after = s[max(0, a - 150):a], s[b:b + 90]
        # a percentage right after another number is a table cell
        table = bool(re.search(r"(?<![A-Za-z])\d[\d.,]*\s+[-–−]?\s*$", s[max(0, a - 10):a]) and
                     not re.search(r"(?:scopes?|and|&)\s+\d\s*[-–−]?\s*$", s[max(0, a - 14):a], re.I) and
                     not re.search(r"\b20\d\d,\s*$", s[max(0, a - 10):a]))  # "In 2022, 64% of…"
        # ---- reductions
        red = (re.match(r"^\s*(?:absolute\s+|relative\s+)?(?:(?:CO2e?|GHG|carbon|emissions?)\s+)?"
                        r"(?:reduction|cut|decrease|lower)\b", after, re.I)
               or re.search(r"\b(?:reduc\w*|cut\w*|lower\w*|decreas\w*)\b[^.%]{0,140}"
                            r"(?:\bby|\bemissions|\bGHG|\bCO2e?|\bfootprint|\bintensity)\s*$", before, re.I)
               or re.search(r"\b(?:reduction\s+)?(?:target|goal|ambition)s?\s*(?:of|:|is|was)\s*[-–−]?\s*$",
                            before, re.I)
               or re.search(r"\btarget\s*[-–−]\s*$|\b(?:reduction|cut|decrease)s?\s+(?:of|by)\s*$", before, re.I)
               # a KPI under a reduction title: "Our 2030 plans drive further reductions vs. 2016:
               # GHG intensity 20-30%" (a layout row: title, label, value)
               or re.search(r"\b(?:reduc\w*|cut\w*|decreas\w*)\b[^:%]{0,120}:\s*(?:[\w-]+\s+){0,3}"
                            r"(?:intensity|emissions)\s*$", before, re.I)
               # "Scope 1 and 2 emissions: -42% by 2030": a signed KPI after its label
               or re.search(r"\b(?:emissions|GHG|CO2e?|intensity)\s*[:|]?\s*[-–−]\s?$", s[max(0, a - 30):a], re.I)
               # "by 42% and scope 3 emissions by 25% by 2030": the next of a list of cuts
               or (last_cut is not None and a - last_cut <= 60 and re.match(
                   r"^\s*(?:by\s+(?:FY\s?)?20\d\d\s*)?(?:,|and|,\s*and)\s+(?:[\w&+ -]{0,40}?\bby\s+)?$",
                   s[last_cut:a], re.I))
               # "-30% CO2 emissions by 2025": a signed KPI
               or (re.search(r"(?:^|\s)[-–−]\s?$", s[max(0, a - 2):a])
                   and re.match(r"^\s*(?:in\s+|of\s+)?(?:absolute\s+)?(?:scopes?\s[\d,&+ and]+)?"
                                r"(?:GHG|CO2e?|CO 2|carbon|greenhouse gas)?\s*emissions\b", after, re.I)))
        if table and re.match(r"^\s*(?:reduction|decrease)\s+in\b[^.%]{0,80}\bby\s+20\d\d", after, re.I):
            table = False  # a label after a table cell: "103 42% reduction in … by 2030"
        if re.match(r"^\s*(?:reduction|decrease)\s+\d", after):
            table = True  # "67% reduction 78% reduction 34 103": cells of a progress table
        if red and not EMISSIONS.search(s[max(0, a - 110):b + 80]) and RENEWABLE.search(s[b:b + 40]):
            red = None  # "Target: 100% renewable electricity by 2030": a share, not a cut
        if red and not table:
            win = s[max(0, a - 110):b + 80]
            if not EMISSIONS.search(win):
                continue
            close = s[max(0, a - 70):b + 50]
            if NOT_EMISSIONS.search(close) and not re.search(r"emissions|GHG|CO2", close, re.I):
                continue
            if OTHER_ACTORS_REDUCTION.search(close) or others_target(s, a, b):
                continue
            if PAST_REDUCTION.search(s[max(0, a - 60):a]) or re.match(
                    r"^\s*(?:lower|decrease|reduction)\s+(?:than|compared|vs|versus|on|from)\b", after, re.I):
                continue
            past = re.match(r"^[^.%]{0,60}?\bfrom\s+20\d\d\s*(?:to|until|-|–)\s*(20\d\d)\b", after)
            if past and int(past.group(1)) <= ref:
                continue  # "62 % reduction of annual CO2 emissions from 2012 to 2019"
            y = _target_year(s, years, a, b, ref)
            if y is None or (PAST_UNLESS_BY.search(s[max(0, a - 20):a]) and not (
                    y.pos > b and y.year > ref)):
                continue
            lo, hi = min(y.pos, a), max(y.end, b)
            ctxt = s[max(0, lo - 120):hi + 60]
            if not (TARGET_WORDS.search(ctxt) or re.search(r"\bby\s+(?:FY\s?)?20\d\d", s[b:b + 90], re.I)
                    or (y.year > ref and re.search(r"\bby\s+(?:FY\s?)?$", s[max(0, y.pos - 8):y.pos], re.I))):
                continue
            base = base_year(s, years, a)
            found.append(RuleHit("interim_target", y.year, v, "target", base_year=base, scope=_scope(ctxt),
                                 evidence=sentence_evidence(s, lo, hi), value_high=high, rule="en.reduction"))
            last_cut = b
            continue
        # "halve … emissions by 2030"
        # ---- renewable electricity
        near = s[max(0, a - 60):b + 60]
        if not RENEWABLE.search(near) or not re.search(r"electricity|power|"
                                                          r"(?<=renewable energy )(?:in|for|across) (?:all )?"
                                                          r"(?:our )?(?:own )?(?:operations|sites|facilities)", near, re.I):
            continue
        if re.match(r"^\s*of (?:our |the |total )?(?:electricity|power)(?: consumed| used| consumption)?\s+"
                    r"(?:comes?|came|was|is|were|are)\s+(?:from|sourced from)\s+renewable", after, re.I):
            ys = [x for x in years if x.year <= ref and abs(x.pos - a) < 80]
            found.append(RuleHit("green_power_share", ys[0].year if ys else None, v, "achieved",
                                 scope=_scope(near), evidence=sentence_evidence(s, a, b + 60),
                                 rule="en.share_sourced"))
            continue
        if re.search(r"\b(?:generat\w*|capacity|output|supplied to|customers?|"
                     r"suppliers?|portfolio|financ\w+|lending|GW|MW|revenue|with commitments|"
                     r"estimate\w*|market|grid|national|country|countries)\b", near, re.I):
            continue
        if re.search(r"\b(?:increase|growth|decrease|rise|(?<!made )up|down)\s+(?:of|by)?\s*$", s[max(0, a - 20):a], re.I):
            continue
        if re.search(r"\bfrom\s*$|\(\s*(?:FY\s?)?20\d\d\s*:\s*$", s[max(0, a - 12):a], re.I):
            continue  # an earlier value: "up from 52% in 2021", "85% in 2023 (2022: 79%)"
        if re.match(r"^\s*of\s+(?:our|the|all|its)?\s*(?:[\w-]+\s+){0,2}?(?:sites|facilities|plants|factories|offices|"
                    r"stores|buildings|data cent(?:er|re)s|suppliers|locations)\b", after, re.I):
            continue  # "85% of our sites are powered by renewable electricity": a share of sites
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
            if others_target(s, lo, hi):
                continue
            found.append(RuleHit("renewable_electricity_target", y.year, v, "target",
                                 scope=_scope(s[max(0, lo - 60):hi + 10]), value_high=high,
                                 evidence=sentence_evidence(s, lo, hi), rule="en.renewable_target"))
        elif not table or re.search(r"renewable", s[max(0, a - 45):a], re.I):
            if re.search(r"\b(?:target|goal|aim|ambition|commit\w*|will)\b", s[max(0, a - 50):b + 30], re.I):
                continue  # a target without a year: not an achieved share either
            # the as-of year: the nearest, one before the number first ("2023 72% 2022 65%")
            ys = [(a - x.end if x.end <= a else x.pos - b + 2, x) for x in years if x.year <= ref]
            ys = [(d, x) for d, x in ys if d < 80]
            asof = min(ys, key=lambda dx: dx[0])[1].year if ys else None
            part = _part_of_company(s[max(0, a - 50):b + 50]) or (
                "some sites" if SHARE_OF_SITES.search(s[max(0, a - 80):a]) else None)
            found.append(RuleHit("green_power_share", asof, v, "achieved", scope=part or _scope(near),
                                 evidence=sentence_evidence(s, a, b), rule="en.share_part" if part else "en.share",
                                 confidence=0.5 if part else 1.0))
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
                             scope=_scope(win), evidence=sentence_evidence(s, m.start(), y.end),
                             rule="en.halve"))
    # table row: "Renewable electricity share % 71 66 54" (first column = latest year)
    for m in re.finditer(r"\brenewable (?:electricity|power|energy)(?: share| consumption share| use|"
                         r" consumption)?\s*\(?%\)?\s*(?:[a-z]\.?\s+)?(\d+(?:\.\d+)?)(?=\s)", s, re.I):
        v = float(m.group(1))
        if re.search(r"\bgenerat\w*", s[max(0, m.start() - 60):m.start()], re.I):
            continue  # "Share of the Group's power generation accounted for by renewable energy % 20.2"
        if 0 < v <= 100:
            found.append(RuleHit("green_power_share", None, v, "achieved", rule="en.share_row",
                                 evidence=sentence_evidence(s, m.start(), m.end())))
    return _one_share(found)


def _one_share(found: list[RuleHit]) -> list[RuleHit]:
    """One achieved share per sentence: a row of years ("2023 72% 2022 65% 2021 58%") or of
    columns ("68 % 61 % 55 %", the latest first) is one share and its history."""
    shares = [h for h in found if h.metric == "green_power_share"]
    if len(shares) < 2 or len({h.scope for h in shares}) > 1:
        return found
    dated = [h for h in shares if h.year is not None]
    keep = max(dated, key=lambda h: h.year) if dated else shares[0]
    return [h for h in found if h.metric != "green_power_share" or h is keep]


def flags(s: str) -> list[RuleHit]:
    found = []
    m = RE100_MEMBER.search(s)
    if m:
        found.append(RuleHit("re100", None, True, "target", evidence=sentence_evidence(s, m.start(), m.end()),
                             rule="en.re100"))
    m = SBTI.search(s)
    if m and not WITHDRAWN.search(s):
        near = s[max(0, m.start() - 100):m.end() + 40]
        masked = SBTI.sub(" ", near)
        if not OTHER_ACTORS_SBTI.search(near) and not NEGATED_BEFORE.search(s[max(0, m.start() - 40):m.start()]) \
                and SBTI_COMMITMENT.search(masked):
            found.append(RuleHit("sbti", None, None, "target", evidence=sentence_evidence(s, m.start(), m.end()),
                                 rule="en.sbti"))
    return found
