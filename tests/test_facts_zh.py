"""Chinese fact rules on real sentences of the 100-case report (中国企业低碳转型与高质量发展
报告 2023) and the Ping An Bank 2021 report. Each test names the distinction it covers."""
from __future__ import annotations

import pytest

from extractors.facts import extract_facts

REF = 2023  # the report's year


def facts(text: str, page: int = 7):
    return extract_facts([(page, text)], ref_year=REF)


def keys(text: str):
    return {(f.metric, f.year, f.value, f.status) for f in facts(text)}


def test_evidence_is_a_short_verbatim_quote_with_page():
    text = ("战略与目标UPM 致力于实现联合国 1.5° C 气候使命，设立科学碳目标，采取实际行动减缓气候变化。"
            "承诺比《巴黎协定》提前 10 年，到 2040 年实现净零排放。遵从气候正效益林业原则，到 2030 年将自身排放量"
            "减少 65%，供应链排放量减少 30%，产品在各种终端应用中取代化石材料。")
    got = facts(text, page=48)
    assert {(f.metric, f.year, f.value) for f in got} == {
        ("sbti", None, None), ("net_zero", 2040, None),
        ("interim_target", 2030, 65.0), ("interim_target", 2030, 30.0)}
    for f in got:
        assert f.page == 48
        assert f.evidence and f.evidence in text and len(f.evidence) <= 120
        assert "。" not in f.evidence[:-1]  # one sentence at most


# ---- the company's own targets vs national goals, suppliers, industry, products
@pytest.mark.parametrize("text", [
    # national "3060"/"30·60" goals (Ping An Bank 2021 p.48, 晨光文具, G7 易流)
    "随着我国提出“30·60”碳达峰碳中和目标，绿色金融迎来新的发展机遇。",
    "晨光文具积极响应国家“3060”目标，将绿色低碳理念融入公司运营。",
    "积极赋能客户实现深度减碳，共同助力“3060”碳达峰碳中和目标。",
    # a supplier's own targets (天齐锂业 case: Talison)
    "推动上游锂矿设立零碳目标：天齐锂业的锂精矿供应商——泰利森锂业，制定了积极的温室气体排放目标：到 "
    "2030 年实现碳强度达峰，到 2050 年或更早实现范围 1 和范围 2 的净零排放。",
    # sector goals the company helps with (罗罗公司)
    "罗罗公司致力于助力航空、船舶和发电等全球经济重要领域到 2050 年实现净零碳。",
    # a product, not the company (晨光文具, APP)
    "2023 年初，晨光文具携手美团青山计划推出首款碳中和文具系列，从原材料获取、生产加工、运输分销、使用、"
    "废弃处置阶段，达成全生命周期碳中和。",
    "2023 年，APP（中国）推出了目前纸巾市场中的首款零碳产品——唯洁雅零碳纸，获得钛和产品碳中和认证。",
    # a named plan, an industry vision, a peak phase without a year
    "2021 年，罗罗公司提出了“电力系统净零排放”计划。",
    "天齐锂业组织编写并发布了首份“锂行业零碳白皮书”，率先提出锂业 2050 净零愿景。",
])
def test_not_the_companys_own_target(text):
    assert [f for f in facts(text) if f.metric in ("peak", "net_zero", "carbon_neutral")] == []


def test_own_target_next_to_national_goal_is_kept():
    text = "晨光文具积极响应国家“3060”目标，并设定了到 2050 年实现碳中和的企业目标。"
    assert keys(text) == {("carbon_neutral", 2050, None, "target")}


def test_customer_project_share_is_not_the_companys():
    text = ("落地零碳码头智慧能源一体化解决方案，保障天津港第二集装箱自动化码头“100% 电力驱动、100% 使用绿电、"
            "100% 自给自足”。")
    assert facts(text) == []


def test_supplier_status_shares_are_not_the_companys():
    text = ("通过可再生电力计划与供应商合作降低排放，到目前为止，供应商中有 33% 报告正在使用 100% 的可再生电力，"
            "另有 53% 计划转向 100% 的可再生电力。")
    assert {(f.metric, f.value) for f in facts(text)} <= {("renewable_electricity_target", 100.0)}
    assert not any(f.value in (33.0, 53.0) for f in facts(text))


# ---- target vs achievement
@pytest.mark.parametrize("text,key", [
    ("战略与目标伊利已在 2012 年实现碳达峰，并计划在 2050 年前实现全产业链碳中和。",
     ("peak", 2012, None, "achieved")),
    ("通过“减排 + 抵消”，并于 2022 年首次实现运营层面碳中和。", ("carbon_neutral", 2022, None, "achieved")),
    ("2021 年 3 月蚂蚁集团公布碳中和目标：2021 年起实现运营排放碳中和（范围 1、2），至 2030 年实现净零排放"
     "（范围 1、2 和 3）。", ("carbon_neutral", 2021, None, "achieved")),
    ("远景承诺并已于 2022 年底实现全球业务运营碳中和。", ("carbon_neutral", 2022, None, "achieved")),
    ("截至 2022 年，捷成已连续 10 年实现碳中和目标。", ("carbon_neutral", 2022, None, "achieved")),
    ("金风科技承诺到 2022 年实现运营层面的碳中和。", ("carbon_neutral", 2022, None, "target")),
])
def test_target_vs_achieved(text, key):
    assert key in keys(text)


def test_achieved_and_target_in_one_sentence():
    text = "战略与目标伊利已在 2012 年实现碳达峰，并计划在 2050 年前实现全产业链碳中和。"
    assert keys(text) == {("peak", 2012, None, "achieved"), ("carbon_neutral", 2050, None, "target")}
    cn = [f for f in facts(text) if f.metric == "carbon_neutral"][0]
    assert cn.scope == "value chain"


def test_label_colon_does_not_make_a_target_from_the_announcement_date():
    text = ("2021 年 3 月蚂蚁集团公布碳中和目标：2021 年起实现运营排放碳中和（范围 1、2），至 2030 年实现净零排放"
            "（范围 1、2 和 3）。")
    assert keys(text) == {("carbon_neutral", 2021, None, "achieved"), ("net_zero", 2030, None, "target")}


# ---- net zero vs carbon neutral vs near-zero / zero-carbon ready
@pytest.mark.parametrize("text", [
    "中国石油将积极推进绿色低碳转型，到 2050 年左右实现近零排放。",
    "2040 年实现自身运营层面的零碳就绪。",
    "到 2030 年，陶氏净零碳排放乙烯裂解装置和衍生物综合体将使其全球乙烯产能的约 20％脱碳。",
    "施耐德电气并达到运营层面的“净零准备状态”。",
])
def test_near_zero_and_zero_carbon_ready_are_not_net_zero(text):
    assert [f for f in facts(text) if f.metric in ("net_zero", "carbon_neutral")] == []


def test_net_zero_heading_with_carbon_neutral_wording_gives_both():
    text = ("净零目标：2023 年，小米集团宣布，并承诺到 2040 年既有业务实现自身运营层面碳中和以及达成 100% 使用可再生能源，"
            "并满足 ISO 指引对企业净零目标要求。")
    assert {("net_zero", 2040, None, "target"), ("carbon_neutral", 2040, None, "target"),
            ("renewable_electricity_target", 2040, 100.0, "target")} == keys(text)


# ---- qualifiers and fiscal years
@pytest.mark.parametrize("text,key", [
    ("2030 年之前实现碳达峰", ("peak", 2030)),
    ("承诺将设立符合 SBTi1.5℃路径要求的减碳目标，并预计不晚于 2050 实现碳中和。", ("carbon_neutral", 2050)),
    ("bp 承诺 2050 年或之前，所有运营业务以绝对减排为基础实现净零排放。", ("net_zero", 2050)),
    ("公司表示将力争 2025 年左右实现碳达峰。", ("peak", 2025)),
    ("到 2030 年前率先实现公司自身排放达峰。", ("peak", 2030)),
    ("联想将于 2049/50 财年达成整体价值链温室气体净零排放。", ("net_zero", 2050)),
    ("基础设施建设领域 2030 年达到峰值，装备制造领域 2028 年达到峰值。", ("peak", 2028)),
])
def test_qualified_years(text, key):
    assert key in {(f.metric, f.year) for f in facts(text)}


def test_base_year_is_not_the_target_year():
    text = "到 2030 年相比基准年 2021 年排放量下降 42% 以上。"
    [f] = facts(text)
    assert (f.metric, f.year, f.value, f.base_year) == ("interim_target", 2030, 42.0, 2021)
    text = "2022 年 1 月，美锦能源正式对外发布首份《碳中和报告》，以 2020 年为碳中和规划的基准年，2026 年实现碳排放总量达峰。"
    assert keys(text) == {("peak", 2026, None, "target")}


# ---- interim targets: scope, base year, worded and full-width numbers, past cuts
def test_interim_targets_with_scope_and_base_year():
    text = ("根据太古可口可乐《2030 可持续发展战略》，到 2030 年，计划将核心业务运营（范围 1 和范围 2）的绝对碳排放量以 "
            "2018 年为基准削减 70%，将价值链的绝对碳排放量（范围 1、范围 2 和范围 3）以 2018 年为基准削减 30%。")
    got = {(f.value, f.year, f.base_year, f.scope) for f in facts(text)}
    assert got == {(70.0, 2030, 2018, "scope 1+2"), (30.0, 2030, 2018, "scope 1+2+3")}


def test_full_width_percent_and_efficiency_wording():
    text = "并计划至 2030 年碳效率提升 55％，单位包裹碳足迹降低 70％。"
    assert {(f.value, f.year) for f in facts(text)} == {(55.0, 2030), (70.0, 2030)}


def test_past_reductions_and_energy_targets_are_not_interim_targets():
    text = ("2019 年上游油气开发过程碳排放为 3.61亿吨，2021 年减少 5700 万吨（下降 16%），预计到 2030 年下降 40%，"
            "并在 2050 年前实现绝对零排放。")
    assert keys(text) == {("interim_target", 2030, 40.0, "target")}
    assert facts("2019 年至 2022 年，全集团总能耗降低 4.86%，直接温室气体排放降低 15.58%。") == []
    assert facts("中国内地物业组合能源耗量强度减少13%。") == []


# ---- renewable shares: worded numbers, target vs achieved
@pytest.mark.parametrize("text,key", [
    ("2022 年，三七互娱购买绿证 420 万千瓦时，实现绿电在电力消耗总量中的占比近 66%。",
     ("green_power_share", 66.0, "achieved")),
    ("截至 2023年 6 月 30 日，已有 10 家酿酒厂实现 RE100，百分百使用可再生能源供电。",
     ("green_power_share", 100.0, "achieved")),
    ("截至 2021 年，万国数据全年可再生能源使用比例已达 34%。", ("green_power_share", 34.0, "achieved")),
    ("太古可口可乐计划到 2026 年，中国内地所有工厂使用 100% 可再生能源电力。",
     ("renewable_electricity_target", 100.0, "target")),
    ("巴斯夫中国湛江一体化基地首套装置将由 100% 可再生能源供电。",
     ("renewable_electricity_target", 100.0, "target")),
])
def test_renewable_shares(text, key):
    got = {(f.metric, f.value, f.status) for f in facts(text)}
    assert key in got


def test_re_target_year():
    text = "太古可口可乐计划到 2026 年，中国内地所有工厂使用 100% 可再生能源电力。"
    assert keys(text) == {("renewable_electricity_target", 2026, 100.0, "target")}


# ---- RE100 membership vs "achieving RE100" at a site; SBTi
def test_re100_membership_vs_re100_standard():
    joined = "台达于 2021 年加入 RE100 国际倡议，承诺 2030 年全球所有网点达成 100% 使用可再生电力及碳中和。"
    assert ("re100", None, True, "target") in keys(joined)
    sites = "截至 2023年 6 月 30 日，已有 10 家酿酒厂实现 RE100，百分百使用可再生能源供电。"
    assert not any(f.metric == "re100" for f in facts(sites))


def test_sbti_own_vs_supplier_and_withdrawn():
    assert {f.metric for f in facts("安踏体育于 2023 年一月已正式加入并承诺支持 SBTi。")} == {"sbti"}
    assert facts("公司积极推动核心供应商设立科学碳目标。") == []
    withdrawn = "公司曾承诺设定科学碳目标。2023 年，公司撤回了对科学碳目标倡议的承诺。"
    assert not any(f.metric == "sbti" for f in facts(withdrawn))


def test_negative_control_bank_report_mentions_only_national_goals():
    text = ("随着我国提出“30·60”碳达峰碳中和目标，绿色金融迎来新的发展机遇。本行积极服务国家碳中和战略，"
            "荣获碳中和先锋奖，并为客户承销碳中和债券 20 亿元。")
    assert facts(text) == []


# ---- whose goal: a state, a policy paper or an industry speaks (AmCham dual-carbon report)
@pytest.mark.parametrize("text", [
    # a head of state's pledge for the country (UPS case)
    "在 2020 年 9 月的第七十五届联合国大会上，各国领导人围绕新冠疫情带来的挑战进行了讨论，习近平主席在一般性"
    "辩论上发表重要讲话，并承诺中国将采取更加有力的政策和措施，力争于 2030 年前二氧化碳排放达到峰值，努力争取 "
    "2060 年前实现碳中和。",
    # a policy paper's goals, listed on over several sentences (LinkedIn case)
    "2021 年 9 月发布的《国务院关于完整准确全面贯彻新发展理念做好碳达峰碳中和工作的意见》指出，到 2025 年，"
    "绿色低碳循环发展的经济体系需要初步形成。单位国内生产总值二氧化碳排放比 2020 年下降 18%。到 2030 年，"
    "实现碳达峰并稳中有降；2060 年，非化石能源消费比重达到 80% 以上，碳中和目标顺利实现。",
    # other states' goals (the report's chapter on international practice)
    "日本承诺，将此前 2050 年目标从排放量减少 80%改为实现碳中和。",
    "英国提出，在2045 年实现净零排放，2050 年实现碳中和。",
    "加拿大政府也明确提出，要在 2050年实现碳中和。",
    "2020 年 9 月 16 日，欧盟委员会主席冯德莱恩发表《盟情咨文》，公布欧盟的减排目标：2030 年，欧盟的温室气体排放量"
    "将比 1990 年至少减少 55%，到 2050 年，欧洲将成为世界第一个“碳中和”的大陆。",
    "作为欧盟的重要工业成员之一，德国十分重视大力发展可再生能源技术，实现交通、供暖、工业等部门的广泛电气化，计划到 "
    "2030 年和 2050 年，可再生能源发电量占比分别达到 65％和 80％，可再生能源消费占终端能源消费的比例分别达到 30％和 60％。",
    # an industry's goal (the cotton council's case)
    "在 2025 年，美国棉业希望将美国棉花生产中的用水量进一步减少 18%，能源消耗减少 15%，温室气体排放量减少 39%。",
])
def test_state_policy_and_industry_goals_are_not_the_companys(text):
    assert facts(text) == []


def test_company_named_after_its_country_is_not_a_state():
    assert keys("中国宝武提出 2023 年力争实现碳达峰，2050 年力争实现碳中和。") == {
        ("peak", 2023, None, "target"), ("carbon_neutral", 2050, None, "target")}


def test_company_plan_named_like_a_policy_paper_is_the_companys():
    text = "公司在发布的《南方电网公司碳达峰行动方案》中指出旨在到 2025 年全面建成数字电网，到 2030 年前率先实现公司自身排放达峰。"
    assert keys(text) == {("peak", 2030, None, "target")}


def test_ranges_count_at_their_lower_bound_and_flaring_is_not_emissions():
    text = ("新的 2030 年中期温室气体减排计划包括：全公司的排放强度减少 20-30%、上游排放强度减少 40-50%、"
            "全公司的燃除强度减少 60-70%。")
    assert {(f.metric, f.year, f.value) for f in facts(text)} == {
        ("interim_target", 2030, 20.0), ("interim_target", 2030, 40.0)}


def test_reduction_worded_as_jianpai_and_product_power_draw():
    assert keys("设定了以 2019 为基准年，在 2030 年前减排 46% 的长期目标。") == {
        ("interim_target", 2030, 46.0, "target")}
    text = ("高通公司的 2025 年目标是在其全球业务范围内，以 2014 年排放量为基准，实现“类别 1”和“类别 2”温室气体"
            "排放减少 30%；旗舰产品骁龙移动平台产品功耗每年降低 10%；")
    assert keys(text) == {("interim_target", 2025, 30.0, "target")}


def test_carbon_footprint_to_zero_is_net_zero():
    assert keys("HPE 承诺至 2050 年或更早时间实现全价值链碳足迹归零。") == {("net_zero", 2050, None, "target")}
