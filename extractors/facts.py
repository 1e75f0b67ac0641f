"""Rules that turn report text into climate-target Facts (Chinese and English).

Entry point: ``extract_facts(chunks)`` with chunks = (1-based page, page text) pieces.
Evidence is always a verbatim slice of the chunk text (one clause or sentence).

The rules are linguistic, not company-specific:
- year metrics (peak / net_zero / carbon_neutral): a keyword with the nearest target
  year in the same sentence (skipping base years such as "比 2018 年", "relative to a
  2019 baseline"), national goals (国家"3060"目标, 我国, the UK's...), other actors'
  goals (助力/帮助 customers, suppliers' own commitments, industry visions) and
  non-target uses (碳中和产品/认证/债券, near-zero, zero-carbon ready) are skipped;
- status "achieved" for 已/首次/起实现/since/achieved..., or a past year without any
  target wording; "target" otherwise;
- interim_target: a percentage cut of emissions with a target year, base year kept;
- renewable_electricity_target vs green_power_share: a renewable/green-power share with
  target wording or a future year vs an achieved share;
- re100: membership only (joined / member of RE100), never "100% renewable (RE100
  standard)"; sbti: any own SBTi / science-based-target mention unless about suppliers;
  a withdrawal anywhere in the document cancels SBTi facts (the scorer ignores
  withdrawn commitments);
- "The objective extends to our US sites by 2030" repeats the previous sentence's
  target for the new scope and year.

Years: "2030 年前", "不晚于 2050", "2050 年或之前", "by 2050 or sooner", "around 2025" all
give the named year; fiscal years "FY2049/50" / "2049/50 财年" give the later year.
Worded numbers: 近 66%, 百分百, 减半, halve, at least one third, full-width ％.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

from common.schema import Fact

from .pdftext import is_cjk

MAX_EVIDENCE = 120

# ----------------------------------------------------------------------------- helpers
_ZH_NUM = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9}


def zh_number(s: str) -> int | None:
    """Chinese numerals up to 百: 三十五 -> 35, 百 -> 100."""
    if not s:
        return None
    if s in ("百", "一百"):
        return 100
    total, cur = 0, 0
    for ch in s:
        if ch in _ZH_NUM:
            cur = _ZH_NUM[ch]
        elif ch == "十":
            total += (cur or 1) * 10
            cur = 0
        elif ch == "百":
            total += (cur or 1) * 100
            cur = 0
        else:
            return None
    return total + cur


def cjk_ratio(s: str) -> float:
    if not s:
        return 0.0
    n = sum(1 for ch in s if is_cjk(ch))
    letters = sum(1 for ch in s if ch.isalpha())
    return n / max(1, letters)


# sentence boundaries
_ZH_SENT = re.compile(r"[。！？!?]")
_EN_SENT = re.compile(
    r"(?<![\s(][A-Za-z]\.)(?<!e\.g\.)(?<!i\.e\.)(?<!\bNo\.)(?<!approx\.)(?<!\bvs\.)"
    r"(?<=[.!?;])\s+(?=[\"'“‘(–—]?\s?[A-Z0-9])|\s+[•▪●■◆►]\s*|\s[–—]\s(?=[A-Z])|\s{3,}")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of a page text."""
    spans = []
    if cjk_ratio(text) > 0.3:
        start = 0
        for m in _ZH_SENT.finditer(text):
            spans.append((start, m.end()))
            start = m.end()
        if start < len(text):
            spans.append((start, len(text)))
    else:
        start = 0
        for m in _EN_SENT.finditer(text):
            spans.append((start, m.start()))
            start = m.end()
        if start < len(text):
            spans.append((start, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
    return out


_CLAUSE_SEP = re.compile(r"[，,：:；;（）()]")


def clause_bounds(s: str, a: int, b: int) -> tuple[int, int]:
    """Expand [a, b) of sentence s to whole clauses (between commas/colons)."""
    lo = a
    while lo > 0 and not _CLAUSE_SEP.match(s[lo - 1]):
        lo -= 1
    hi = b
    while hi < len(s) and not _CLAUSE_SEP.match(s[hi]):
        hi += 1
    return lo, hi


def evidence(s: str, a: int, b: int) -> str:
    """A verbatim quote of s covering [a, b): whole clauses when short enough."""
    lo, hi = clause_bounds(s, a, b)
    if hi - lo > 90:  # run-on text (joined bullets, tables): keep close to the match
        lo, hi = max(lo, a - 12), min(hi, b + 24)
        if hi - lo > MAX_EVIDENCE:
            lo, hi = a, min(b, a + MAX_EVIDENCE)
    q = s[lo:hi]
    return q.strip(" \t，,：:；;、")


# ----------------------------------------------------------------------------- years
# 2030, 2030 年, FY2049/50, 2029/30 财年, 2049-50
_YEAR = re.compile(
    r"(?<![\d.,A-Za-z])(?:FY\s?)?(20[0-9]{2})(?:\s*[/-]\s*(?:20)?(\d{2}))?(?![\d.,]*\d)"
    r"(?:\s*(?:财)?年(?:度)?)?")
_YEAR_UNIT_AFTER = re.compile(r"^\s*(?:万|亿|千|百|吨|个|家|座|人|辆|米|平方|兆|吉|kg|t\b|MW|GW|%|％)")


class Year:
    __slots__ = ("pos", "end", "year", "base", "since")

    def __init__(self, pos, end, year, base, since):
        self.pos, self.end, self.year, self.base, self.since = pos, end, year, base, since

    def __repr__(self):
        return f"Year({self.year}@{self.pos}{' base' if self.base else ''})"


_BASE_BEFORE = re.compile(
    r"(?:比|较|相比|相较于?|相对于?|对比|基准年|基线|基准|以|与|从|自|vs\.?|versus|"
    r"compared (?:with|to)|relative to(?: an?)?(?: absolute)?|from(?: an?)?(?: absolute)?|"
    r"against(?: an?)?|baseline(?: of)?|base year(?: of)?|since|over)\s*$", re.I)
_BASE_AFTER = re.compile(
    r"^\s*(?:年)?\s*(?:为|作为|作)?\s*(?:基准|基线|基年|基数|水平|的基准|相比(?!\s*(?:基准|20\d\d))|"
    r"比(?!\s*(?:基准|20\d\d))|以来|"
    r"baseline|base year|base|levels?\b|figures?\b)", re.I)


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
        since = bool(re.search(r"(?:自|从|since|from)\s*$", before, re.I))
        out.append(Year(m.start(), m.end(), y, base, since))
    return out


_TARGET_WORDS_ZH = re.compile(
    r"目标|承诺|计划|力争|争取|预计|将|到|至|之前|前|不晚于|不迟于|致力|希望|愿景|拟|规划|确保|"
    r"设定|设立|提出|宣布|迈向|最晚|努力|有望|要")
_ACHIEVED_ZH = re.compile(r"已|首次|起[,，]?(?:持续)?实现|实现了|获得|荣获|获评|认证|连续|成为了|达成了")


# ----------------------------------------------------------------------------- filters
_NATIONAL_ZH = re.compile(
    r"国家|我国|中国(?:的|提出|政府)?[“\"]?(?:双碳|碳达峰|3060|30·60)|全国|各国|世界|全球(?:经济|温升|气温)|"
    r"3060|30·60|“双碳”|双碳目标|《巴黎协定》(?:目标|要求)|社会|省|城市|地区|区域|五省|中共中央|国务院|政治局|"
    r"(?<![\u4e00-\u9fffA-Za-z])(?:中国|美国|欧盟|日本|英国|德国|法国|韩国|印度|欧洲)(?:力争|将|提出|承诺|宣布|政府|已|在|于|要|预计|"
    r"实现|计划|的目标|“|\")")
_OTHERS_ZH = re.compile(r"助力|帮助|赋能|协助|支持(?!下)|带动|推动(?:行业|产业|客户|社会|上游|下游|供应商)|"
                        r"整体产业|产业(?!链)|客户|用户|消费者|行业|伙伴")
_OTHERS_SHARE_ZH = re.compile(r"助力|帮助|赋能|协助|客户|用户|消费者|整体产业|行业")
_SUPPLIER_OWN_ZH = re.compile(r"供应商[^。；]{0,20}?(?:已|承诺|制定|设立|设定|提出|宣布|将|报告|计划)")


# a state, a policy paper or an industry states the goals of the sentence
_OTHERS_SPEAK_ZH = re.compile(
    r"(?:主席|总理|国务院|中共中央|政府)[^。；，,“”]{0,20}?(?:宣布|提出|指出|强调|表示|讲话)"
    r"|(?:承诺|宣布|提出)(?:中国|我国|国家)将"
    r"|《(?![^》]*(?:公司|集团|企业))[^》]{2,60}(?:意见|方案|规划|纲要|通知|决定)》[^。]{0,6}(?:指出|提出|明确|要求)"
    r"|[\u4e00-\u9fff](?<![企创就事专作商职])业界?(?:希望|力争|计划|承诺)")
# a sentence that goes on listing those goals: "到 2030 年，实现碳达峰并稳中有降；…"
_GOAL_LIST_GOES_ON = re.compile(r"^\s*(?:到|至|在)?\s*20\d\d\s*年|国内生产总值|全社会|非化石能源消费")


def others_speak_zh(s: str, before: bool) -> bool:
    """Whether the goals in sentence s are a state's, a policy paper's or an industry's
    rather than the company's (``before``: the sentence before was such a sentence)."""
    return bool(_OTHERS_SPEAK_ZH.search(s)) or before and bool(_GOAL_LIST_GOES_ON.search(s))


def supplier_own_zh(s: str) -> bool:
    """A supplier is the subject of its own commitment ("供应商——泰利森锂业，制定了…目标",
    "250 家供应商已承诺…"), not the object of the company's action ("推动核心供应商设立…")."""
    for m in _SUPPLIER_OWN_ZH.finditer(s):
        if not re.search(r"(?:推动|带动|要求|鼓励|协同|帮助|支持|引导|与|和|携手|联合)[\u4e00-\u9fff]{0,4}$",
                         s[max(0, m.start() - 8):m.start()]):
            return True
    return False


_NATIONAL_EN = re.compile(
    r"\b(?:UK|U\.K\.|EU|European Union|China|China's|national|government|country|countries|"
    r"Paris Agreement goal|global economy|world|society|sector's|industry's)\b|the UK's", re.I)


# ----------------------------------------------------------------------------- zh rules
_KW_ZH = {
    "peak": re.compile(r"碳达峰|达峰|达到峰值|达到排放峰值|排放峰值"),
    "net_zero": re.compile(r"净零|(?:碳足迹|碳排放|排放)归零"),
    "carbon_neutral": re.compile(r"碳中和|气候中和"),
}
_NOT_TARGET_AFTER_ZH = {
    "carbon_neutral": re.compile(
        r"^[”\"」]?(?:产品|(?:权威)?认证|债|报告|规划|领导|纸|智慧园区|园区|博鳌|大会|先锋|奖|"
        r"行动|路径|方案|技术|服务|充电服务|洗洁精|系列|文具|标准|示范|战略|愿景|之路|进程|工作|"
        r"相关|领域|共识|背景|时代|理念|承诺书|联盟|倡议|白皮书|主题|目标和实现路径|"
        r"(?:和|与)?碳达峰|咨询|解决方案|能力|评价|管理|林|专项|计算|体系|实验室|项目)"),
    "net_zero": re.compile(
        r"^[碳]?(?:排放)?[”\"」]?(?:排放倡议|倡议|联盟|标准|愿景|转型|技术|之路|未来|解决方案|"
        r"建筑|产品|相关|路径|航空|领域|世界|经济)"),
    "peak": re.compile(r"^[”\"」]?(?:平台期|碳中和|、碳中和|和碳中和|目标和|行动|路径|方案|研究|领导)"),
}
# what may follow 碳中和 when it is a state reached (not 碳中和产品/园区/债…)
_CN_FOLLOW_ZH = re.compile(r"^(?:$|[”\"」）)，,。；;：:、（(\s]|目标|的|和|及|以及|与|承诺|愿景|状态|并|或|，)")
_NOT_TARGET_BEFORE_ZH = {
    "net_zero": re.compile(r"(?:近|接近|趋近|绝对|长期)$"),
    "carbon_neutral": re.compile(r"(?:零碳|产品|100% |生命周期)$"),
    "peak": re.compile(r"(?:强度|碳强度)$"),
}


_DATA_YEAR = re.compile(
    r"(?<!\d)(?:截至|截止|在)?\s*(20[0-3]\d)\s*年(?:度)?\s*(?:\d{1,2}\s*月)?\s*(?:底|末|初|上半年)?[，,]|"
    r"\b(?:In|in|As of|as of|During|during|At the end of|at the end of|Since|since)\s+(?:FY\s?)?"
    r"(20[0-3]\d)\b(?!\s*(?:target|goal))|\b(20[0-3]\d)\s+(?:was|saw|marked)\b")


def _ref_year(texts: Iterable[str]) -> int:
    """The report's year, estimated as one after the year its facts are mostly told about
    ("2022 年，…", "截至 2022 年底，", "In 2023, …", "as of 2023"); target years ("到 2030
    年", "by 2030") do not count. Without such dates: one after the most mentioned year
    up to 2025."""
    texts = list(texts)
    c = Counter()
    for t in texts:
        for m in _DATA_YEAR.finditer(t):
            if re.search(r"(?:到|至|前|于|by|By|until|before|to)\s*$", t[max(0, m.start() - 6):m.start()]) \
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


def _pick_year(years: list[Year], k: int, s: str, max_dist: int = 60,
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


def _zh_year_metrics(s: str, years: list[Year], ref: int) -> list[tuple]:
    found = []
    for metric, rx in _KW_ZH.items():
        for m in rx.finditer(s):
            after = s[m.end():m.end() + 12]
            before = s[max(0, m.start() - 6):m.start()]
            if _NOT_TARGET_AFTER_ZH[metric].match(after):
                # "镇江基地…获得“生产碳中和”认证": a certified site/production, not a product
                if not (metric == "carbon_neutral" and re.match(r"^[”\"」]?(?:权威)?认证", after)
                        and re.search(r"(?:生产|工厂|基地|园区)[“\"]?$", before)):
                    continue
            if re.match(r"^[^”。，]{0,8}”(?:计划|项目|倡议|行动|报告|白皮书|方案|战略|联盟)", after):
                continue
            if _NOT_TARGET_BEFORE_ZH[metric].search(before):
                continue
            if metric == "net_zero":
                tok = re.match(r"^[”\"」]?(?:碳)?(?:排放)?[”\"」]?", after)
                rest = after[tok.end():]
                if not re.match(r"^(?:$|[，,。；;：:、（(）)\s”\"」]|目标|的|公司|企业|和|及|以及|与|"
                                r"承诺|并|或|路径|转型目标)", rest):
                    continue  # 净零碳排放乙烯裂解装置, 净零准备状态
            if metric == "carbon_neutral" and not _CN_FOLLOW_ZH.match(after) and not re.match(
                    r"^[”\"」]?(?:权威)?认证", after) and not re.search(
                    r"成为(?:首家|首个|一家|一个|全球|中国|行业)*[“\"]?$", s[max(0, m.start() - 10):m.start()]):
                continue  # adjective use: 碳中和复印纸, 碳中和园区…
            label = bool(re.match(r"^目标\s*[:：]", s[m.end():m.end() + 4]))
            y = None if label else _pick_year(years, m.start(), s, max_dist=80, since=True)
            if label:
                # "净零目标：2023 年，…宣布…到 2040 年…" — a heading naming the metric; when
                # the keyword comes again the statements themselves are read instead
                later = [x for x in years if x.pos > m.end() and not x.base and x.year > ref]
                again = rx.search(s, m.end())
                if later and not (again and again.start() < later[0].pos):
                    y, label = later[0], True
            if y is None:
                continue
            if not label:
                between = s[y.end:m.start()]
                if len(re.findall(r"[，,；;]", between)) > 2 or any(
                        y.end <= x.pos < m.start() and not x.base for x in years) or \
                        re.search(r"碳中和|净零|达峰|峰值", between):
                    continue  # the year belongs to another statement of the sentence
            lo = y.pos if not label else m.start()
            hi = m.end() if not label else y.end
            ctx_lo, ctx_hi = clause_bounds(s, lo, hi)
            ctx = s[ctx_lo:ctx_hi]
            if _NATIONAL_ZH.search(ctx) or _OTHERS_ZH.search(ctx):
                continue
            if supplier_own_zh(s[:m.start()]):
                continue
            # another year between the chosen one and the keyword belongs to a
            # different statement ("2030 年…，2060 年碳中和")
            status = _status_zh(s, y, ctx_lo, ctx_hi, ref)
            if status == "achieved" and not re.search(r"实现|达到|达成|完成|已|获|起|成为|迈入",
                                                      s[y.pos:m.end() + 4]):
                continue  # a dated mention, neither a target nor an achievement
            if status == "target" and _is_context_year(s, y) and (
                    y.year <= ref or re.match(r"\s*年?\s*\d{1,2}\s*月", s[y.end - 1:y.end + 6])):
                continue
            if status == "achieved" and y.year > ref:
                status = "target"
            if y.since and status == "target" and y.year <= ref:
                status = "achieved"
            found.append((metric, y.year, None, None, _scope_zh(ctx), status,
                          evidence(s, min(lo, m.start()), max(hi, m.end()))))
    return found


def _is_context_year(s: str, y: Year) -> bool:
    """"2023 年 5 月，…" / "2022 年，…" / "2023 年 5 月 HRS 携手…": the date of an event
    told in the sentence."""
    if "年" not in s[y.pos:y.end + 2] or re.search(r"(?:到|至|于|在|前|截至)\s*$", s[max(0, y.pos - 3):y.pos]):
        return False
    tail = s[y.end:y.end + 14]
    return bool(re.match(r"^\s*(?:年)?\s*(?:\d{1,2}\s*月)?\s*(?:\d{1,2}\s*日)?\s*(?:底|初|末)?\s*[，,]", tail)
                or re.match(r"^\s*(?:年)?\s*\d{1,2}\s*月(?!\s*\d{1,2}\s*日?\s*(?:前|之前))", tail))


def _status_zh(s: str, y: Year, lo: int, hi: int, ref: int) -> str:
    window = s[max(lo, y.pos - 12):hi]
    pre = s[max(0, y.pos - 8):y.pos]
    if y.year <= ref and re.search(r"已(?:经)?(?:于|在)?\s*$|截至\s*$", pre):
        return "achieved"  # "承诺并已于 2022 年底实现…", "截至 2022 年，…已连续 10 年实现…"
    if _ACHIEVED_ZH.search(window) and not re.search(r"将|计划|承诺|目标|力争|预计", window):
        return "achieved"
    if y.year <= ref and re.search(r"已(?:经|连续)|首次|实现了", window) and not re.search(
            r"将|计划|力争|预计|争取", window):
        return "achieved"
    if re.search(r"年\s*起", s[y.end - 1:y.end + 3]) or re.search(r"年\s*起", window[:20]):
        if y.year <= ref:
            return "achieved"
    if y.year <= ref - 1 and not _TARGET_WORDS_ZH.search(pre + s[y.pos:hi]):
        return "achieved"
    if y.year <= ref - 1 and re.search(r"[于在]\s*$", pre) and not re.search(
            r"承诺|计划|目标|力争|预计|将|到|至", s[max(0, lo):y.pos]):
        return "achieved"
    return "target"


def _scope_zh(ctx: str) -> str | None:
    if re.search(r"范围\s*1[^。]{0,12}范围\s*2[^。]{0,12}范围\s*3|范围\s*1\s*[-—–~至到]\s*3", ctx):
        return "scope 1+2+3"
    if re.search(r"价值链|全产业链|产业链|全链路|供应链|范围\s*3", ctx):
        return "value chain"
    if re.search(r"范围\s*1[^。]{0,12}范围\s*2|范围一及二", ctx):
        return "scope 1+2"
    if re.search(r"运营|营运|自身", ctx):
        return "operations"
    m = re.search(r"([\u4e00-\u9fff]{2,8}(?:工厂|基地|园区|厂|大厦|电站|业务|板块|领域))", ctx)
    if m:
        return m.group(1)
    return None


_PCT_ZH = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]|百分之([零一二三四五六七八九十百]+)|百分百|(减半|一半)")
_RED_VERB_ZH = re.compile(r"减少|降低|下降|削减|减排|减低|降幅|减幅|降")
_EMIS_ZH = re.compile(r"排放|减排|碳减排|降碳|减碳|碳足迹|碳强度|温室气体|甲烷|碳排|二氧化碳|CO2|CO₂|碳效率")
_NOT_EMIS_ZH = re.compile(r"能耗|功耗|耗量|燃除|能源消耗|用电|电耗|能效|水耗|污染物|废弃物|废物|塑料|包装|用水|"
                          r"煤耗|油耗|能源强度|用能|成本|氮氧化物|二氧化硫|颗粒物|粉尘|能源使用")
_RE_WORD_ZH = re.compile(r"可再生能源|可再生电力|绿色电力|绿电|清洁能源|清洁电力|光伏|非化石能源|RE100")
_RE_NOT_ZH = re.compile(r"解决方案|为客户|乃至|甚至|装机|发电量|产能|投资|吉瓦|兆瓦|GW|MW|资产|收入|营收|市场份额|份额|产量|"
                        r"销量|占全球|全国|国家|我国|城市|省|地区|客户|用户|项目的|支出|资本")


def _pct_value(m: re.Match) -> float | None:
    if m.group(1):
        return float(m.group(1))
    if m.group(2):
        v = zh_number(m.group(2))
        return float(v) if v is not None else None
    if m.group(0) == "百分百":
        return 100.0
    if m.group(3):
        return 50.0
    return None


_RANGE_LOW = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*[%％]?\s*[-–—~～]\s*$")


def _zh_pct_metrics(s: str, years: list[Year], ref: int) -> list[tuple]:
    found = []
    last_target = None
    prev_end = 0
    for m in _PCT_ZH.finditer(s):
        scope_ctx = s[max(prev_end, m.start() - 70):m.end()]
        prev_end = m.end()
        v = _pct_value(m)
        if v is None or v <= 0 or v > 100:
            continue
        rng = _RANGE_LOW.search(s[max(0, m.start() - 12):m.start()])
        if rng:  # "减少 20-30%": a range counts at its lower bound
            v = float(rng.group(1))
        lo, hi = clause_bounds(s, m.start(), m.end())
        clause = s[lo:hi]
        rel = m.start() - lo
        # ---- emission reduction (interim target)
        verb_before = _RED_VERB_ZH.search(clause[max(0, rel - 14):rel])
        emis = _EMIS_ZH.search(clause)
        if not emis and _RED_VERB_ZH.search(clause[max(0, rel - 6):rel]):
            # "…碳排放为 3.61 亿吨，…，预计到 2030 年下降 40%": the subject stands in an
            # earlier clause of the sentence
            prev = s[max(0, lo - 60):lo]
            if _EMIS_ZH.search(prev) and not _NOT_EMIS_ZH.search(prev + clause) \
                    and len(clause) <= 40:
                emis = True
        eff_up = re.search(r"碳效率\s*(?:提升|提高)", clause[:rel])
        carbon_named = re.search(r"碳足迹|碳排放|碳强度|温室气体|二氧化碳|降碳|减碳|CO2", clause[:rel])
        if emis and (verb_before or eff_up) and (carbon_named or not _NOT_EMIS_ZH.search(
                clause[:rel].replace("排放量", ""))) and not re.search(r"污染物|氮氧化物", clause):
            y = _pick_year(years, m.start(), s, max_dist=140)
            approx = re.search(r"(?:约|大约|可)\s*$", s[max(0, m.start() - 3):m.start()])
            if y is not None and y.year >= ref and not approx and not _OTHERS_ZH.search(clause) \
                    and not _NATIONAL_ZH.search(clause):
                window = s[y.pos:hi]
                past = re.search(r"已|累计|同比|较上年|实现了|减少了|下降了|降低了|（下降|\(下降", window)
                future = _TARGET_WORDS_ZH.search(s[max(0, y.pos - 10):hi]) or y.year > ref - 1
                if not past and future and not (y.year <= ref - 1 and not re.search(
                        r"目标|承诺|计划|力争|争取|预计|到|至", s[max(0, y.pos - 10):hi])):
                    base = _base_year(s, years, m.start())
                    found.append(("interim_target", y.year, v, base, _scope_zh(scope_ctx), "target",
                                  evidence(s, min(y.pos, lo) if m.start() - y.pos < 90 else lo,
                                           hi)))
            continue
        # ---- renewable / green power shares
        near = s[max(lo, m.start() - 40):min(hi + 30, len(s))]
        if not _RE_WORD_ZH.search(clause) and not (m.group(0) == "百分百" and _RE_WORD_ZH.search(near)):
            _, nxt_hi = clause_bounds(s, min(len(s) - 1, hi + 1), min(len(s), hi + 1))
            if not re.search(r"用电量|电力需求|发电需求", clause):
                continue
            if not re.search(r"可再生|绿色电力|绿电|清洁能源|光伏", s[max(0, lo - 40):nxt_hi]):
                continue
        if _RE_NOT_ZH.search(clause) or _EMIS_ZH.search(clause) and _RED_VERB_ZH.search(clause):
            continue
        if _NATIONAL_ZH.search(s[:hi]):
            continue
        if re.search(r"RE100", clause) and not re.search(r"可再生|绿色电力|绿电|百分百|100", clause):
            continue
        if supplier_own_zh(s[:hi]) or re.search(r"解决方案|为客户|帮助客户|助力客户", s[:lo]):
            continue
        if _OTHERS_SHARE_ZH.search(clause) or re.search(
                r"(?:供应商|企业|公司|工厂)中(?:有)?\s*$|另有\s*$", s[max(0, m.start() - 8):m.start()]) \
                or re.search(r"^\s*(?:的)?(?:供应商|企业|公司)?(?:报告|计划|承诺|表示)",
                             s[m.end():m.end() + 8]):
            continue
        if not re.search(r"电|能源|能耗|用能", clause + s[hi:hi + 20]):
            continue
        y = _pick_year(years, m.start(), s, max_dist=120)
        if y is None and last_target is not None:
            y = last_target
        ctx = s[(y.pos if y else lo):hi]
        is_target = bool(re.search(
            r"目标|承诺|计划|力争|争取|将(?:于|在|由|实现|达|来自|使用|提升|提高|全部|100|通过|逐步|全面|持续|成为|会|可|进一步)|到\s*20|至\s*20|年前|之前|致力|提升至|提高至|达成|最晚|确保|拟|"
            r"计划|转用\s*100", ctx)) and not re.search(r"已|截至|全部转用|达到了|实现了", ctx)
        if y is not None and y.year > ref:
            is_target = True
        if re.search(r"已|截至|达到了|已达", ctx) and (y is None or y.year <= ref):
            is_target = False
        if is_target and y is not None and y.year < ref:
            y = None  # a past year is the date of the plan, not its target year
        if is_target:
            last_target = y
            found.append(("renewable_electricity_target", y.year if y else None, v, None,
                          _scope_zh(clause), "target", evidence(s, m.start(), m.end())))
        else:
            found.append(("green_power_share", y.year if y else None, v, None,
                          _scope_zh(clause), "achieved", evidence(s, m.start(), m.end())))
    # "全面使用可再生电力" = 100% renewable power, achieved
    for m in re.finditer(r"全面使用(?:可再生|绿色)(?:能源)?电力", s):
        y = _pick_year(years, m.start(), s)
        found.append(("green_power_share", y.year if y else None, 100.0, None, None, "achieved",
                      evidence(s, m.start(), m.end())))
    return found


def _base_year(s: str, years: list[Year], k: int) -> int | None:
    bases = [y for y in years if y.base]
    if not bases:
        return None
    return min(bases, key=lambda y: abs(y.pos - k)).year


_SBTI_ZH = re.compile(r"科学碳目标|科学减排目标|科学基础减碳目标|科学基础目标|基于科学的(?:减排|减碳)?目标|"
                      r"以科学为基础的(?:减排|减碳)?目标|SBTi|科学碳")
_RE100_MEMBER = re.compile(
    r"(?:加入|成为|是)[^，。；]{0,8}RE100|RE100\s*(?:成员|会员|倡议成员|member)|"
    r"\b(?:joined|join|member of|members of|signatory to|signed up to)\s+(?:the\s+)?(?:Climate Group'?s?\s+)?RE100|"
    r"RE100\s+(?:member|membership|commitment|campaign)|participat\w+ in [^.]{0,40}RE100", re.I)
_SBTI_EN = re.compile(
    r"Science[- ]Based Targets? initiative|\bSBTi\b|science[- ]based (?:emissions? )?(?:reduction )?targets?|"
    r"Science Based Target", re.I)
_WITHDRAWN = re.compile(r"withdr[ae]w|withdrawn|withdrawal|撤回|退出|撤销", re.I)


def _zh_flags(s: str) -> list[tuple]:
    found = []
    m = _RE100_MEMBER.search(s)
    if m:
        found.append(("re100", None, True, None, None, "target", evidence(s, m.start(), m.end())))
    m = _SBTI_ZH.search(s)
    if m and not _WITHDRAWN.search(s) and not re.search(r"供应商", s[max(0, m.start() - 30):m.start()]):
        if not re.search(r"^以科学为基础的[\u4e00-\u9fff]{1,3}领域", s[m.start():m.start() + 14]):
            found.append(("sbti", None, None, None, None, "target", evidence(s, m.start(), m.end())))
    return found


# ----------------------------------------------------------------------------- en rules
_EN_NUMWORDS = {
    "half": 50.0, "halve": 50.0, "halving": 50.0, "one third": 100 / 3, "a third": 100 / 3,
    "two thirds": 200 / 3, "one quarter": 25.0, "a quarter": 25.0, "three quarters": 75.0,
}
_PCT_EN = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)\s?(?:%|per\s?cent\b|percent\b)|"
    r"\b((?:at least )?(?:one|a) third|(?:one|a) quarter|two[- ]thirds|three quarters)\b", re.I)
_KW_EN = {
    "net_zero": re.compile(r"\bnet[- ]?zero\b", re.I),
    "carbon_neutral": re.compile(r"\b(?:carbon|climate)[- ]neutral(?:ity)?\b", re.I),
    "peak": re.compile(r"\b(?:peak(?:ing)?|reach(?:ing)? (?:its|our|a) peak)\b(?= (?:in |our |its |of |total |carbon |GHG |CO2 )*(?:carbon |GHG |CO2 )?emissions)|"
                       r"(?<=emissions )(?:will |to |have |has |had )?peak(?:ed|s)?\b", re.I),
}
_NOT_TARGET_EN = {
    "net_zero": re.compile(
        r"^[- ]?(?:\w+[- ]){0,2}(?:Banking Alliance|Asset Managers?|Asset Owners?|Insurance Alliance|"
        r"Alliance|Initiative|Standard|Tracker|transition plan|ready|pathways?|scenario|"
        r"reference|considerations|ambitions|emissions scenario|economy|world|future|"
        r"transition|aligned|alignment|commitments? of)", re.I),
    "carbon_neutral": re.compile(r"^[- ]?(?:products?|fuels?|certified|certification|offsets?|"
                                 r"shipping|delivery|LNG|gas|bonds?|packaging|offset)", re.I),
    "peak": re.compile(r"^(?!)"),
}
_NEAR_ZERO_EN = re.compile(r"near[- ]zero|zero[- ]carbon ready|net[- ]zero[- ]ready|absolute zero|"
                           r"Alliance for Net[- ]Zero|Race to Zero", re.I)
_EN_TARGETISH = re.compile(
    r"\b(?:target\w*|aim\w*|ambition\w*|commit\w*|goal\w*|plan\w*|pledg\w*|strive|striving|will|"
    r"intend\w*|seek\w*|aspir\w*|on track|objective\w*|to (?:be|become|reach|achieve|get to)|expect\w*|"
    r"align\w*|path)\b", re.I)
_EN_ACHIEVED = re.compile(r"\b(?:achieved|became|have been|has been|maintained|remained|"
                          r"reached|certified|since|peaked)\b", re.I)
_YEAR_INTRO_EN = re.compile(
    r"\b(?:by|in|before|until|till|no later than|from|since|of|for|year)\s+(?:the end of\s+|end of\s+)?"
    r"(?:(?:calendar|fiscal|financial) year\s+)?(?:FY\s?)?$|\bFY\s?$", re.I)


def _context_year_en(s: str, y: Year) -> bool:
    """"In 2023, …" / "In January 2024, we published…" at the head of a sentence."""
    return bool(re.match(r"^\W*(?:In|By the end of|During|As of|At the end of)\s+(?:\w+\s+)?$",
                         s[:y.pos])) and bool(re.match(r"^\s*[,:]", s[y.end:y.end + 3]))


def _en_year_metrics(s: str, years: list[Year], ref: int) -> list[tuple]:
    found = []
    for metric, rx in _KW_EN.items():
        for m in rx.finditer(s):
            if _NOT_TARGET_EN[metric].match(s[m.end():m.end() + 40]):
                continue
            if _NEAR_ZERO_EN.search(s[max(0, m.start() - 25):m.end() + 15]):
                continue
            if re.match(r"^[^.]{0,30}\b(?:scenarios?|pathways?)\b|^[^.]{0,15}\(?NZE\b", s[m.end():], re.I):
                continue  # IEA "Net Zero Emissions by 2050 Scenario"
            cands = []
            for y in years:
                if y.base and not y.since:
                    continue
                pre = s[max(0, y.pos - 30):y.pos]
                intro = _YEAR_INTRO_EN.search(pre)
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
            if _NATIONAL_EN.search(span):
                continue
            if re.search(r"\b(?:help\w*|support\w*|enabl\w*|assist\w*)\b[^.]{0,50}$", s[:m.start()][-70:], re.I) \
                    and re.search(r"\b(?:customers?|clients?|companies|businesses|suppliers?|partners?|"
                                  r"economy|sector|society|transition)\b", s[max(0, m.start() - 70):m.start()], re.I):
                continue
            if re.search(r"\b(?:customers?|clients?|portfolio compan\w+|investees?|tenants?)\b",
                         s[lo:hi], re.I):
                continue
            if re.search(r"\bsuppliers?\b[^.]{0,40}\b(?:commit\w*|set|have|their|to)\b", s[max(0, lo - 60):hi], re.I) \
                    and not re.search(r"\bsupply chain\b", s[lo:hi], re.I):
                continue
            status = None
            if intro.startswith("since") or (intro in ("in", "of", "from") and _EN_ACHIEVED.search(
                    s[max(0, lo - 50):hi + 10]) and y.year <= ref):
                status = "achieved" if y.year <= ref else None
            elif _EN_TARGETISH.search(s[max(0, lo - 120):hi + 30]) and y.year >= ref - 1:
                status = "target"
            if status is None:
                continue
            if status == "target" and _context_year_en(s, y):
                continue
            found.append((metric, y.year, None, None, _scope_en(s[max(0, lo - 40):hi + 5]), status,
                          evidence_en(s, lo, hi)))
    return found


def evidence_en(s: str, a: int, b: int) -> str:
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


def _scope_en(ctx: str) -> str | None:
    if re.search(r"financed emissions|facilitated emissions", ctx, re.I):
        return "financed emissions"
    if re.search(r"scopes? 1,? (?:2,? )?(?:and|&) 3|scopes 1-3|value chain|supply chain|scope 3", ctx, re.I):
        return "value chain"
    if re.search(r"scopes? 1\s*(?:and|&|\+|,)\s*2", ctx, re.I):
        return "scope 1+2"
    if re.search(r"operations|operational", ctx, re.I):
        return "operations"
    m = re.search(r"\b(?:in|at|across) (?:all |our )?((?:[A-Z][\w.]* )?(?:sites?|plants?|factories|"
                  r"facilities|offices|campus))\b", ctx)
    if m:
        return m.group(1)
    return None


_EMIS_EN = re.compile(r"\bemissions?\b|\bscopes? \d|\bGHG\b|\bCO2e?\b|\bCO 2\b|\bcarbon\b|\bgreenhouse\b|"
                      r"\bfootprint\b|\bmethane\b", re.I)
_NOT_EMIS_EN = re.compile(r"\benergy (?:consumption|use|intensity|demand)\b|\bwater\b|\bwaste\b|"
                          r"\bplastics?\b|\bexposure\b|\blandfill|\bpackaging\b|\bfinancing\b|"
                          r"\bfuel (?:use|consumption)\b|\bpaper\b|\bgender\b|\bwomen\b", re.I)
_RE_EN = re.compile(r"\brenewabl\w*|\bgreen (?:electricity|power|energy)\b|\bclean (?:electricity|power)\b",
                    re.I)
_PAST_RED_EN = re.compile(
    r"\b(?:we|has|have|had|was|were|it|they)\s+(?:already\s+|successfully\s+)?(?:reduced|cut|lowered|decreased)\b|"
    r"\b(?:were|was|is|are)\s+\d[\d.]*\s?%\s+lower\b|\breduction of\s*$|\bdown\s*$|"
    r"\bachieved\b|\bexceeded\b", re.I)


def _target_year_en(s: str, years: list[Year], a: int, b: int, ref: int) -> Year | None:
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


def _en_pct_metrics(s: str, years: list[Year], ref: int) -> list[tuple]:
    found = []
    for m in _PCT_EN.finditer(s):
        if m.group(1):
            v = float(m.group(1))
        else:
            w = re.sub(r"^at least ", "", m.group(2).lower()).replace("-", " ")
            v = _EN_NUMWORDS.get(w)
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
            if not _EMIS_EN.search(win):
                continue
            close = s[max(0, a - 70):b + 50]
            if _NOT_EMIS_EN.search(close) and not re.search(r"emissions|GHG|CO2", close, re.I):
                continue
            if re.search(r"\b(?:customers?|clients?'|suppliers?|portfolio compan\w+|tenants?)\b", close, re.I):
                continue
            if _PAST_RED_EN.search(s[max(0, a - 60):a]) or re.match(
                    r"^\s*(?:lower|decrease|reduction)\s+(?:than|compared|vs|versus|on|from)\b", after, re.I):
                continue
            y = _target_year_en(s, years, a, b, ref)
            if y is None:
                continue
            lo, hi = min(y.pos, a), max(y.end, b)
            ctxt = s[max(0, lo - 120):hi + 60]
            if not (_EN_TARGETISH.search(ctxt) or re.search(r"\bby\s+(?:FY\s?)?20\d\d", s[b:b + 90], re.I)):
                continue
            if re.search(r"\bestimat\w*\b", s[max(0, lo - 60):hi], re.I):
                continue
            base = _base_year(s, years, a)
            found.append(("interim_target", y.year, v, base, _scope_en(ctxt), "target",
                          evidence_en(s, lo, hi)))
            continue
        # "halve … emissions by 2030"
        # ---- renewable electricity
        near = s[max(0, a - 60):b + 60]
        if not _RE_EN.search(near) or not re.search(r"electricity|power", near, re.I):
            continue
        if re.match(r"^\s*of (?:our |the |total )?(?:electricity|power)(?: consumed| used| consumption)?\s+"
                    r"(?:comes?|came|was|is|were|are)\s+(?:from|sourced from)\s+renewable", after, re.I):
            ys = [x for x in years if x.year <= ref and abs(x.pos - a) < 80]
            found.append(("green_power_share", ys[0].year if ys else None, v, None,
                          _scope_en(near), "achieved", evidence_en(s, a, b + 60)))
            continue
        if re.search(r"\b(?:generation|generated|generating|capacity|output|supplied to|customers?|"
                     r"suppliers?|portfolio|financ\w+|lending|GW|MW|revenue|with commitments|"
                     r"estimate\w*|market|grid|national|country|countries)\b", near, re.I):
            continue
        if re.search(r"\b(?:increase|growth|decrease|rise|up|down)\s+(?:of|by)?\s*$", s[max(0, a - 20):a], re.I):
            continue
        if re.match(r"^\s*\d[\d.,]*\s+\d[\d.,]*\s", after):
            continue  # "Renewable Electricity 8 % 100 100 100": a unit (and footnote) column
        y = _target_year_en(s, years, a, b, ref)
        lo, hi = a, b
        if y is not None:
            lo, hi = min(lo, y.pos), max(hi, y.end)
        tgt = y is not None and bool(_EN_TARGETISH.search(s[max(0, lo - 100):hi + 30]) or
                                     re.search(r"\bby\s+20\d\d", s[b:b + 90]))
        if tgt and not re.search(r"\b(?:achieved|maintained|reached|sourced|consumed|used)\b",
                                 s[max(0, a - 40):a], re.I):
            found.append(("renewable_electricity_target", y.year, v, None,
                          _scope_en(s[max(0, lo - 60):hi + 10]), "target",
                          evidence_en(s, lo, hi)))
        elif not table or re.search(r"renewable", s[max(0, a - 45):a], re.I):
            if re.search(r"\b(?:target|goal|aim|ambition|commit\w*|will)\b", s[max(0, a - 50):b + 30], re.I):
                continue  # a target without a year: not an achieved share either
            ys = [x for x in years if x.year <= ref and abs(x.pos - a) < 80]
            asof = min(ys, key=lambda x: abs(x.pos - a)).year if ys else None
            found.append(("green_power_share", asof, v, None, _scope_en(near), "achieved",
                          evidence_en(s, a, b)))
    # "halve … emissions by 2030" (a worded 50% cut)
    for m in re.finditer(r"\b(?:halve|halving|(?:cut|reduce|reducing|cutting) (?:[\w-]+ ){0,5}(?:in|by) half)\b",
                         s, re.I):
        win = s[m.start():m.end() + 90]
        if not _EMIS_EN.search(win):
            continue
        y = _target_year_en(s, years, m.start(), m.end(), ref)
        if y is None or re.search(r"\b(?:customers?|clients?|suppliers?)\b", win, re.I):
            continue
        found.append(("interim_target", y.year, 50.0, _base_year(s, years, m.start()),
                      _scope_en(win), "target", evidence_en(s, m.start(), y.end)))
    # table row: "Renewable electricity share % 71 66 54" (first column = latest year)
    for m in re.finditer(r"\brenewable (?:electricity|power|energy)(?: share| consumption share| use|"
                         r" consumption)?\s*\(?%\)?\s*(?:[a-z]\.?\s+)?(\d+(?:\.\d+)?)(?=\s)", s, re.I):
        v = float(m.group(1))
        if 0 < v <= 100:
            found.append(("green_power_share", None, v, None, None, "achieved",
                          evidence_en(s, m.start(), m.end())))
    return found


def _en_flags(s: str) -> list[tuple]:
    found = []
    m = _RE100_MEMBER.search(s)
    if m:
        found.append(("re100", None, True, None, None, "target", evidence_en(s, m.start(), m.end())))
    m = _SBTI_EN.search(s)
    if m and not _WITHDRAWN.search(s):
        near = s[max(0, m.start() - 100):m.end() + 40]
        if not re.search(r"\bsuppliers?\b|\bportfolio compan|\bcustomers?\b|\bclients?\b|"
                         r"\bcounterpart", near, re.I):
            found.append(("sbti", None, None, None, None, "target", evidence_en(s, m.start(), m.end())))
    return found


# ----------------------------------------------------------------------------- driver
_HEADINGS_ZH = re.compile(r"战略与目标|举措与路径|公司简介|【亮点】")


def mask_headings(s: str) -> str:
    """Section headings glued to the text by line joining ("战略与目标伊利已在…") are
    blanked (same length) so that they do not read as target wording."""
    return _HEADINGS_ZH.sub(lambda m: " " * len(m.group(0)), s)


def sentence_facts(s: str, ref: int) -> list[tuple]:
    """Facts of one sentence: (metric, year, value, base_year, scope, status, evidence);
    the evidence is a verbatim slice of s."""
    masked = mask_headings(s)
    out = []
    for f in _sentence_facts(masked, ref):
        ev = f[-1]
        i = masked.find(ev)
        if i >= 0:
            ev = s[i:i + len(ev)]
        out.append(f[:-1] + (ev,))
    return out


def _sentence_facts(s: str, ref: int) -> list[tuple]:
    years = find_years(s)
    if cjk_ratio(s) > 0.3:
        return _zh_year_metrics(s, years, ref) + _zh_pct_metrics(s, years, ref) + _zh_flags(s)
    return _en_year_metrics(s, years, ref) + _en_pct_metrics(s, years, ref) + _en_flags(s)


_TRIGGER = re.compile(
    r"碳达峰|达峰|峰值|净零|归零|碳中和|气候中和|%|％|百分|RE100|SBTi|科学|可再生|绿电|绿色电力|清洁能源|减半|"
    r"net[- ]zero|neutral|peak|renewable|science[- ]based|percent|half|halve|third|quarter", re.I)


def extract_facts(chunks: Iterable[tuple[int, str]], ref_year: int | None = None) -> list[Fact]:
    """Facts of (page, text) chunks. ``ref_year`` is the report's year (achieved vs
    target for years close to it); by default it is estimated from the text."""
    chunks = [(p, t) for p, t in chunks if t]
    ref = ref_year or _ref_year(t for _, t in chunks)
    facts: list[Fact] = []
    seen = set()
    for page, text in chunks:
        if not _TRIGGER.search(text):
            continue
        prev: list[tuple] = []
        others = False
        for a, b in sentences(text):
            s = text[a:b]
            others = others_speak_zh(s, others)
            ext = _extension(s, prev, ref)
            if not _TRIGGER.search(s) and not ext:
                prev = []
                continue
            found = [] if others else sentence_facts(s, ref) + ext
            prev = found or prev
            for metric, year, value, base, scope, status, ev in found:
                if not ev or ev not in text:
                    continue
                key = (metric, year, value if not isinstance(value, bool) else True, status)
                if key in seen:
                    continue
                seen.add(key)
                facts.append(Fact(metric=metric, year=year, value=value, base_year=base,
                                  scope=scope, status=status, page=page, evidence=ev))
    # an SBTi commitment withdrawn anywhere in the document cancels SBTi mentions
    if any(_WITHDRAWN.search(s) and (_SBTI_EN.search(s) or _SBTI_ZH.search(s))
           for _, t in chunks for s in _sbti_sentences(t)):
        facts = [f for f in facts if f.metric != "sbti"]
    return facts


_EXTENDS = re.compile(
    r"\b(?:objective|target|goal|commitment|ambition|aim)s?\s+(?:also\s+)?(?:extends?|applies|"
    r"will (?:extend|apply|be extended))\s+to\b(?P<scope>[^.]{0,60}?)\bby\s+(?:FY\s?)?(?P<year>20\d\d)"
    r"|(?:该|此|这一)?目标(?:将)?(?:延伸|扩展|扩大)(?:至|到)(?P<zscope>[^。，]{0,30}?)[，,]?\s*(?:于|到|至)?\s*"
    r"(?P<zyear>20\d\d)\s*年", re.I)


def _extension(s: str, prev: list[tuple], ref: int) -> list[tuple]:
    """"The objective extends to our US sites by 2030": the previous sentence's
    share/reduction target, for another scope and year."""
    m = _EXTENDS.search(s)
    if not m or not prev:
        return []
    year = int(m.group("year") or m.group("zyear"))
    scope = (m.group("scope") or m.group("zscope") or "").strip() or None
    out = []
    for metric, _, value, base, _, status, _ in prev:
        if metric in ("renewable_electricity_target", "interim_target") and status == "target" \
                and year >= ref - 1:
            out.append((metric, year, value, base, scope, status, s.strip()
                        if len(s) <= MAX_EVIDENCE else s[m.start():m.end()]))
    return out


def _sbti_sentences(text: str) -> list[str]:
    if not re.search(r"SBTi|Science[- ]Based|科学碳", text, re.I):
        return []
    return [text[a:b] for a, b in sentences(text)]
