"""Chinese (zh): the tables and rules that read climate targets in Chinese sentences.

- year metrics (碳达峰 / 净零 / 碳中和): a keyword with the nearest target year in the same
  sentence (base years such as "比 2018 年" skipped); national goals (国家"3060"目标, 我国…),
  other actors' goals (助力/帮助客户, suppliers' own commitments, 行业) and non-target uses
  (碳中和产品/认证/债券…) are skipped; status "achieved" for 已/首次/起实现…, or a past year
  without target wording;
- percentages: an emission cut with a target year is an interim target (base year kept); a
  renewable / green-power share with target wording or a future year is a renewable
  electricity target, otherwise an achieved green-power share. 近 66%, 百分百, 减半, ％;
- flags: RE100 membership, own SBTi commitments (not suppliers').

The interface every language module provides is listed in extractors/lang/__init__.py.
"""
from __future__ import annotations

import re

from ..text import RuleHit, clause_bounds, clause_evidence, scope_of, zh_number
from ..years import Year, base_year, pick_year
from .shared import RE100_MEMBER, WITHDRAWN

CODE = "zh"
# cues that open a sentence to the rules besides the metric table's trigger words
# (common/metrics.py): numbers as percentages, and keyword variants the page filter does not need
NUMBER_CUES = r"%|％|百分|减半"
KEYWORD_CUES = r"气候中和|科学|归零"

# a sentence ends with (and keeps) 。！？ and the full-width stop ．; a bullet (・•●■) starts one
SENTENCE_BREAK = re.compile(r"[。！？!?．・•●■▪]")
KEEP_BREAK = True

# "该目标将延伸至…，2030 年": the previous sentence's target for another scope and year
EXTENDS = re.compile(
    r"(?:该|此|这一)?目标(?:将)?(?:延伸|扩展|扩大)(?:至|到)(?P<scope>[^。，]{0,30}?)[，,]?\s*(?:于|到|至)?\s*"
    r"(?P<year>20\d\d)\s*年", re.I)
# pages worth scanning for a withdrawn SBTi commitment
SBTI_CUE = re.compile(r"SBTi|科学碳", re.I)
# section headings glued to the text by line joining ("战略与目标伊利已在…") are blanked
HEADINGS = re.compile(r"战略与目标|举措与路径|公司简介|【亮点】")


TARGET_WORDS = re.compile(
    r"目标|承诺|计划|力争|争取|预计|将|到|至|之前|前|不晚于|不迟于|致力|希望|愿景|拟|规划|确保|"
    r"设定|设立|提出|宣布|迈向|最晚|努力|有望|要")
# verbs of reaching a state: a past year with one of them is an achievement
REACHED = re.compile(r"实现|达到|达成|完成|已|获|起|成为|迈入")
ACHIEVED_WORDS = re.compile(r"已|首次|起[,，]?(?:持续)?实现|实现了|获得|荣获|获评|认证|连续|成为了|达成了")


# ----------------------------------------------------------------------------- filters
NATIONAL = re.compile(
    r"国家|我国|中国(?:的|提出|政府)?[“\"]?(?:双碳|碳达峰|3060|30·60)|全国|各国|世界|全球(?:经济|温升|气温)|"
    r"3060|30·60|“双碳”|双碳目标|《巴黎协定》(?:目标|要求)|社会|省|城市|地区|区域|五省|中共中央|国务院|政治局|"
    r"(?<![\u4e00-\u9fffA-Za-z])(?:中国|美国|欧盟|日本|英国|德国|法国|韩国|印度|欧洲)(?:力争|将|提出|承诺|宣布|政府|已|在|于|要|预计|"
    r"实现|计划|的目标|“|\")")
OTHER_ACTORS = re.compile(r"助力|帮助|赋能|协助|支持(?!下)|带动|推动(?:行业|产业|客户|社会|上游|下游|供应商)|"
                        r"整体产业|产业(?!链)|客户|用户|消费者|行业|伙伴")
OTHER_ACTORS_SHARE = re.compile(r"助力|帮助|赋能|协助|客户|用户|消费者|整体产业|行业")
# the company acting on its suppliers ("推动核心供应商设立…"): not the suppliers' own goal
COMPANY_ACTS_ON_SUPPLIER = re.compile(r"(?:推动|带动|要求|鼓励|协同|帮助|支持|引导|与|和|携手|联合)[\u4e00-\u9fff]{0,4}$")
SUPPLIER_OWN = re.compile(r"供应商[^。；]{0,20}?(?:已|承诺|制定|设立|设定|提出|宣布|将|报告|计划)")
_FOREIGN_STATES = "美国|欧盟|欧洲|日本|英国|德国|法国|加拿大|韩国|印度|澳大利亚"
# a state, a policy paper or an industry states the goals of the sentence: a head of state's
# speech, "承诺中国将…", "《…意见》指出" (not a company's own plan), "美国棉业希望…"
OTHERS_SPEAK = re.compile(
    r"(?:主席|总理|国务院|中共中央|政府)[^。；，,“”]{0,20}?(?:宣布|提出|指出|强调|表示|讲话|发表|公布)"
    # a state as the subject: "日本承诺", "加拿大政府也明确提出", "部分北欧国家承诺", and a foreign
    # state further from its verb ("德国十分重视…，计划到 2030 年"); not "中国宝武提出" (a company)
    r"|(?<![\u4e00-\u9fffA-Za-z])(?:中国|我国|[\u4e00-\u9fff]{0,4}国家|各国|" + _FOREIGN_STATES + r")"
    r"(?:政府|委员会)?也?(?:明确)?(?:承诺|提出|宣布|计划)"
    r"|(?<![\u4e00-\u9fffA-Za-z])(?:" + _FOREIGN_STATES + r")(?:(?!公司|集团|企业)[^。；]){0,60}?(?:计划|承诺|提出)"
    r"|(?:承诺|宣布|提出)(?:中国|我国|国家)将"
    r"|《(?![^》]*(?:公司|集团|企业))[^》]{2,60}(?:意见|方案|规划|纲要|通知|决定)》[^。]{0,6}(?:指出|提出|明确|要求)"
    r"|[\u4e00-\u9fff](?<![企创就事专作商职])业界?(?:希望|力争|计划|承诺)")
# the next sentence goes on listing those goals: "到 2030 年，实现碳达峰并稳中有降；…",
# "单位国内生产总值二氧化碳排放…", "非化石能源消费比重…"
GOAL_LIST_GOES_ON = re.compile(r"^\s*(?:到|至|在)?\s*20\d\d\s*年|国内生产总值|全社会|非化石能源消费")


def supplier_own(s: str) -> bool:
    """A supplier is the subject of its own commitment ("供应商——泰利森锂业，制定了…目标",
    "250 家供应商已承诺…"), not the object of the company's action ("推动核心供应商设立…")."""
    for m in SUPPLIER_OWN.finditer(s):
        if not COMPANY_ACTS_ON_SUPPLIER.search(s[max(0, m.start() - 8):m.start()]):
            return True
    return False


# ----------------------------------------------------------------------------- zh rules
KEYWORDS = {
    "peak": re.compile(r"碳达峰|达峰|达到峰值|达到排放峰值|排放峰值"),
    "net_zero": re.compile(r"净零|(?:碳足迹|碳排放|排放)归零"),
    "carbon_neutral": re.compile(r"碳中和|气候中和"),
}
NOT_TARGET_AFTER = {
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
NEUTRAL_STATE_FOLLOW = re.compile(r"^(?:$|[”\"」）)，,。；;：:、（(\s]|目标|的|和|及|以及|与|承诺|愿景|状态|并|或|，)")
NOT_TARGET_BEFORE = {
    "net_zero": re.compile(r"(?:近|接近|趋近|绝对|长期)$"),
    "carbon_neutral": re.compile(r"(?:零碳|产品|100% |生命周期)$|"
                                 # a product reached it: "全系列信用卡达成碳中和"
                                 r"(?:产品|信用卡|卡片|系列|车型|包装|服务)(?:均|全部|全面)?(?:已)?(?:达成|实现|获得)$"),
    "peak": re.compile(r"(?:强度|碳强度)$"),
}


def year_metrics(s: str, years: list[Year], ref: int) -> list[RuleHit]:
    found = []
    for metric, rx in KEYWORDS.items():
        for m in rx.finditer(s):
            after = s[m.end():m.end() + 12]
            before = s[max(0, m.start() - 6):m.start()]
            if NOT_TARGET_AFTER[metric].match(after):
                # "镇江基地…获得“生产碳中和”认证": a certified site/production, not a product
                if not (metric == "carbon_neutral" and re.match(r"^[”\"」]?(?:权威)?认证", after)
                        and re.search(r"(?:生产|工厂|基地|园区)[“\"]?$", before)):
                    continue
            if re.match(r"^[^”。，]{0,8}”(?:计划|项目|倡议|行动|报告|白皮书|方案|战略|联盟)", after):
                continue
            if NOT_TARGET_BEFORE[metric].search(before):
                continue
            if metric == "net_zero":
                tok = re.match(r"^[”\"」]?(?:碳)?(?:排放)?[”\"」]?", after)
                rest = after[tok.end():]
                if not re.match(r"^(?:$|[，,。；;：:、（(）)\s”\"」]|目标|的|公司|企业|和|及|以及|与|"
                                r"承诺|并|或|路径|转型目标)", rest):
                    continue  # 净零碳排放乙烯裂解装置, 净零准备状态
            if metric == "carbon_neutral" and not NEUTRAL_STATE_FOLLOW.match(after) and not re.match(
                    r"^[”\"」]?(?:权威)?认证", after) and not re.search(
                    r"成为(?:首家|首个|一家|一个|全球|中国|行业)*[“\"]?$", s[max(0, m.start() - 10):m.start()]):
                continue  # adjective use: 碳中和复印纸, 碳中和园区…
            label = bool(re.match(r"^目标\s*[:：]", s[m.end():m.end() + 4]))
            y = None if label else pick_year(years, m.start(), s, max_dist=80, since=True)
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
            if NATIONAL.search(ctx) or OTHER_ACTORS.search(ctx):
                continue
            if supplier_own(s[:m.start()]):
                continue
            # another year between the chosen one and the keyword belongs to a
            # different statement ("2030 年…，2060 年碳中和")
            status = _status(s, y, ctx_lo, ctx_hi, ref)
            if status == "achieved" and not REACHED.search(s[y.pos:m.end() + 4]):
                continue  # a dated mention, neither a target nor an achievement
            if status == "target" and _is_context_year(s, y) and (
                    y.year <= ref or re.match(r"\s*年?\s*\d{1,2}\s*月", s[y.end - 1:y.end + 6])):
                continue
            if status == "achieved" and y.year > ref:
                status = "target"
            if y.since and status == "target" and y.year <= ref:
                status = "achieved"
            found.append(RuleHit(metric, y.year, None, status, scope=_scope(ctx), rule=f"zh.{metric}_year",
                                 evidence=clause_evidence(s, min(lo, m.start()), max(hi, m.end()))))
    return found


def _is_context_year(s: str, y: Year) -> bool:
    """"2023 年 5 月，…" / "2022 年，…" / "2023 年 5 月 HRS 携手…": the date of an event
    told in the sentence."""
    if "年" not in s[y.pos:y.end + 2] or re.search(r"(?:到|至|于|在|前|截至)\s*$", s[max(0, y.pos - 3):y.pos]):
        return False
    tail = s[y.end:y.end + 14]
    return bool(re.match(r"^\s*(?:年)?\s*(?:\d{1,2}\s*月)?\s*(?:\d{1,2}\s*日)?\s*(?:底|初|末)?\s*[，,]", tail)
                or re.match(r"^\s*(?:年)?\s*\d{1,2}\s*月(?!\s*\d{1,2}\s*日?\s*(?:前|之前))", tail))


def _status(s: str, y: Year, lo: int, hi: int, ref: int) -> str:
    window = s[max(lo, y.pos - 12):hi]
    pre = s[max(0, y.pos - 8):y.pos]
    if y.year <= ref and re.search(r"已(?:经)?(?:于|在)?\s*$|截至\s*$", pre):
        return "achieved"  # "承诺并已于 2022 年底实现…", "截至 2022 年，…已连续 10 年实现…"
    if ACHIEVED_WORDS.search(window) and not re.search(r"将|计划|承诺|目标|力争|预计", window):
        return "achieved"
    if y.year <= ref and re.search(r"已(?:经|连续)|首次|实现了", window) and not re.search(
            r"将|计划|力争|预计|争取", window):
        return "achieved"
    if re.search(r"年\s*起", s[y.end - 1:y.end + 3]) or re.search(r"年\s*起", window[:20]):
        if y.year <= ref:
            return "achieved"
    if y.year <= ref - 1 and not TARGET_WORDS.search(pre + s[y.pos:hi]):
        return "achieved"
    if y.year <= ref - 1 and re.search(r"[于在]\s*$", pre) and not re.search(
            r"承诺|计划|目标|力争|预计|将|到|至", s[max(0, lo):y.pos]):
        return "achieved"
    return "target"


# the scope a target covers: the first label whose words are in its clause, else the place named
SCOPES = (
    (re.compile(r"范围\s*1[^。]{0,12}范围\s*2[^。]{0,12}范围\s*3|范围\s*1\s*[-—–~至到]\s*3"), "scope 1+2+3"),
    (re.compile(r"价值链|全产业链|产业链|全链路|供应链|范围\s*3"), "value chain"),
    (re.compile(r"范[围畴]\s*1[^。]{0,12}(?:范[围畴]\s*)?2|范围一及二"), "scope 1+2"),
    (re.compile(r"运营|营运|自身"), "operations"),
)
PLACE = re.compile(r"([\u4e00-\u9fff]{2,8}(?:工厂|基地|园区|厂|大厦|电站|业务|板块|领域))")


def _scope(ctx: str) -> str | None:
    return scope_of(ctx, SCOPES, PLACE)


# "20%-30%", "20-30%": a range, read at its lower bound (group lo), the upper kept
PERCENT = re.compile(r"(?<![\d.])(?:(?P<lo>\d+(?:\.\d+)?)\s*[%％]?\s*[-–~～至到]\s*)?(\d+(?:\.\d+)?)\s*[%％]|"
                     r"百分之([零一二三四五六七八九十百]+)|百分百|(减半|一半)")
REDUCTION_VERBS = re.compile(r"减少|降低|下降|削减|减排|减低|降幅|减幅|降")
EMISSIONS = re.compile(r"排放|碳减排|(?<!节能)减排|降碳|减碳|碳足迹|碳强度|温室气体|甲烷|碳排|二氧化碳|CO2|CO₂|碳效率")
NOT_EMISSIONS = re.compile(r"能耗|功耗|燃除|耗量|能源消耗|用电|电耗|能效|水耗|污染物|废弃物|废物|塑料|包装|用水|"
                          r"煤耗|油耗|能源强度|用能|成本|氮氧化物|二氧化硫|颗粒物|粉尘|能源使用")
# a reduction already made, not a target
PAST_REDUCTION = re.compile(r"已|累计|同比|较上年|实现了|减少了|下降了|降低了|（下降|\(下降")
# a share sold to or made for customers
FOR_CUSTOMERS = re.compile(r"解决方案|为客户|帮助客户|助力客户")
# "全面使用可再生电力": 100% renewable power, achieved
ALL_GREEN_POWER = re.compile(r"全面使用(?:可再生|绿色)(?:能源)?电力")
RENEWABLE = re.compile(r"(?:可)?再生能源|可再生电力|绿色电力|绿电|清洁能源|清洁电力|光伏|非化石能源|RE100")
NOT_OWN_RENEWABLE_SHARE = re.compile(r"解决方案|为客户|乃至|甚至|装机|发电量|产能|投资|吉瓦|兆瓦|GW|MW|资产|收入|营收|市场份额|份额|产量|"
                        r"销量|占全球|全国|国家|我国|城市|省|地区|客户|用户|项目的|支出|资本")


def _percent_value(m: re.Match) -> tuple[float | None, float | None]:
    """(value, upper bound of a range or None)."""
    if m.group(2):
        v = float(m.group(2))
        if m.group("lo") and float(m.group("lo")) < v:
            return float(m.group("lo")), v
        return v, None
    if m.group(3):
        v = zh_number(m.group(3))
        return (float(v) if v is not None else None), None
    if m.group(0) == "百分百":
        return 100.0, None
    if m.group(4):
        return 50.0, None
    return None, None


# an item that is only a year and a verb before its number ("2030 年达 50%"): its subject is
# the clause's or the previous item's
BARE_ITEM = re.compile(r"^[\s、，,]*(?:20\d\d\s*年?\s*(?:前|底)?\s*)?(?:将)?(?:达到?|提升至|提高至|为|达成|至)\s*$")
_DATED_ITEM = re.compile(r"、(?=\s*20\d\d\s*年)")


def _dated_item(s: str, lo: int, hi: int, k: int) -> tuple[int, int]:
    """The item around position k of a clause listing dated items ("2025 年自有大楼 100% 建置
    太阳能设备、2030 年国内全行 100% 使用再生能源"): each item has its own year and subject."""
    for m in _DATED_ITEM.finditer(s, lo, hi):
        if m.end() <= k:
            lo = m.end()
        else:
            return lo, m.start()
    return lo, hi


def percent_metrics(s: str, years: list[Year], ref: int) -> list[RuleHit]:
    found = []
    last_target = None
    last_share = None  # where the last share of the sentence ended
    prev_end = 0
    for m in PERCENT.finditer(s):
        scope_ctx = s[max(prev_end, m.start() - 70):m.end()]
        prev_end = m.end()
        v, high = _percent_value(m)
        if v is None or v <= 0 or v > 100:
            continue
        lo, hi = clause_bounds(s, m.start(), m.end())
        item = _dated_item(s, lo, hi, m.start())
        if not BARE_ITEM.match(s[item[0]:m.start()]):
            lo, hi = item  # an item with its own subject ("2030 年达 50%" keeps the clause's)
        clause = s[lo:hi]
        rel = m.start() - lo
        # ---- emission reduction (interim target)
        verb_before = REDUCTION_VERBS.search(clause[max(0, rel - 14):rel])
        emis = EMISSIONS.search(clause)
        if not emis and REDUCTION_VERBS.search(clause[max(0, rel - 6):rel]):
            # "…碳排放为 3.61 亿吨，…，预计到 2030 年下降 40%": the subject stands in an
            # earlier clause of the sentence
            prev = s[max(0, lo - 60):lo]
            if EMISSIONS.search(prev) and not NOT_EMISSIONS.search(prev + clause) \
                    and len(clause) <= 40:
                emis = True
        eff_up = re.search(r"碳效率\s*(?:提升|提高)", clause[:rel])
        carbon_named = re.search(r"碳足迹|碳排放|碳强度|温室气体|二氧化碳|降碳|减碳|CO2", clause[:rel])
        if emis and (verb_before or eff_up) and (carbon_named or not NOT_EMISSIONS.search(
                clause[:rel].replace("排放量", ""))) and not re.search(r"污染物|氮氧化物", clause):
            y = pick_year(years, m.start(), s, max_dist=140)
            approx = re.search(r"(?:约|大约|可)\s*$", s[max(0, m.start() - 3):m.start()])
            if y is not None and y.year >= ref and not approx and not OTHER_ACTORS.search(clause) \
                    and not NATIONAL.search(clause):
                window = s[y.pos:hi]
                past = PAST_REDUCTION.search(window)
                future = TARGET_WORDS.search(s[max(0, y.pos - 10):hi]) or y.year > ref - 1
                if not past and future and not (y.year <= ref - 1 and not re.search(
                        r"目标|承诺|计划|力争|争取|预计|到|至", s[max(0, y.pos - 10):hi])):
                    base = base_year(s, years, m.start())
                    found.append(RuleHit("interim_target", y.year, v, "target", base_year=base,
                                         rule="zh.reduction", value_high=high,
                                         scope=_scope(scope_ctx), evidence=clause_evidence(
                                             s, min(y.pos, lo) if m.start() - y.pos < 90 else lo, hi)))
            continue
        # ---- renewable / green power shares
        near = s[max(lo, m.start() - 40):min(hi + 30, len(s))]
        # "…可再生电力使用比例达到 60%，2025 年达到 30%": the next item of the same share
        same_share = last_share is not None and bool(BARE_ITEM.match(clause[:rel]))
        if not RENEWABLE.search(clause) and not same_share and not (
                m.group(0) == "百分百" and RENEWABLE.search(near)):
            _, nxt_hi = clause_bounds(s, min(len(s) - 1, hi + 1), min(len(s), hi + 1))
            if not re.search(r"用电量|电力需求|发电需求", clause):
                continue
            if not re.search(r"可再生|绿色电力|绿电|清洁能源|光伏", s[max(0, lo - 40):nxt_hi]):
                continue
        if NOT_OWN_RENEWABLE_SHARE.search(clause) or EMISSIONS.search(clause) and REDUCTION_VERBS.search(clause):
            continue
        if NATIONAL.search(s[:hi]):
            continue
        if re.search(r"RE100", clause) and not re.search(r"可再生|绿色电力|绿电|百分百|100", clause):
            continue
        if supplier_own(s[:hi]) or FOR_CUSTOMERS.search(s[:lo]):
            continue
        if OTHER_ACTORS_SHARE.search(clause) or re.search(
                r"(?:供应商|企业|公司|工厂)中(?:有)?\s*$|另有\s*$", s[max(0, m.start() - 8):m.start()]) \
                or re.search(r"^\s*(?:的)?(?:供应商|企业|公司)?(?:报告|计划|承诺|表示)",
                             s[m.end():m.end() + 8]):
            continue
        if not same_share and not re.search(r"电|能源|能耗|用能", clause + s[hi:hi + 20]):
            continue
        y = pick_year(years, m.start(), s, max_dist=120)
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
        last_share = m.end()
        if is_target:
            last_target = y
            found.append(RuleHit("renewable_electricity_target", y.year if y else None, v, "target",
                                 rule="zh.renewable_target", value_high=high,
                                 scope=_scope(clause), evidence=clause_evidence(s, m.start(), m.end())))
        else:
            found.append(RuleHit("green_power_share", y.year if y else None, v, "achieved", rule="zh.share",
                                 scope=_scope(clause), evidence=clause_evidence(s, m.start(), m.end())))
    # "全面使用可再生电力" = 100% renewable power, achieved
    for m in ALL_GREEN_POWER.finditer(s):
        y = pick_year(years, m.start(), s)
        found.append(RuleHit("green_power_share", y.year if y else None, 100.0, "achieved", rule="zh.all_green",
                             evidence=clause_evidence(s, m.start(), m.end())))
    return found


SBTI = re.compile(r"科学碳目标|科学减排目标|科学基础减碳目标|科学基础目标|基于科学的(?:减排|减碳)?目标|"
                  r"以科学为基础的(?:减排|减碳)?目标|SBTi|科学碳")


def flags(s: str) -> list[RuleHit]:
    found = []
    m = RE100_MEMBER.search(s)
    if m:
        found.append(RuleHit("re100", None, True, "target", evidence=clause_evidence(s, m.start(), m.end()),
                             rule="zh.re100"))
    m = SBTI.search(s)
    if m and not WITHDRAWN.search(s) and not re.search(r"供应商", s[max(0, m.start() - 30):m.start()]):
        if not re.search(r"^以科学为基础的[\u4e00-\u9fff]{1,3}领域", s[m.start():m.start() + 14]):
            found.append(RuleHit("sbti", None, None, "target", evidence=clause_evidence(s, m.start(), m.end()),
                                 rule="zh.sbti"))
    return found
