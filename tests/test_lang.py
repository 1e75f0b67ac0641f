"""The language modules of the extraction rules (extractors/lang/): one detector, one
interface, and every metric of the metric table produced by each language's rules on a real
sentence (taken from tests/test_facts_zh.py and tests/test_facts_en.py)."""
from __future__ import annotations

import inspect
import re

import pytest

from common.metrics import METRIC_NAMES, METRIC_TABLE, triggers
from extractors.facts import TRIGGER
from extractors.lang import INTERFACE, LANGUAGES, detect_language
from extractors.text import RuleHit
from extractors.years import find_years

REF = {"zh": 2023, "en": 2024}  # the report years the sentences' tests read them with
SENTENCES = {
    "zh": {
        "peak": "公司表示将力争 2025 年左右实现碳达峰。",
        "net_zero": "bp 承诺 2050 年或之前，所有运营业务以绝对减排为基础实现净零排放。",
        "carbon_neutral": "晨光文具积极响应国家“3060”目标，并设定了到 2050 年实现碳中和的企业目标。",
        "re100": "台达于 2021 年加入 RE100 国际倡议，承诺 2030 年全球所有网点达成 100% 使用可再生电力及碳中和。",
        "renewable_electricity_target": "太古可口可乐计划到 2026 年，中国内地所有工厂使用 100% 可再生能源电力。",
        "green_power_share": "截至 2021 年，万国数据全年可再生能源使用比例已达 34%。",
        "sbti": "安踏体育于 2023 年一月已正式加入并承诺支持 SBTi。",
        "interim_target": "到 2030 年相比基准年 2021 年排放量下降 42% 以上。",
    },
    "en": {
        "peak": "We expect our emissions to peak in 2025.",
        "net_zero": "As such, our goal is to be net zero carbon by 2040.",
        "carbon_neutral": "We aim to be carbon neutral in our operations by 2030.",
        "re100": "8 RE100 member Biogen achieved 100% renewable electricity (as defined by RE100) across 30 of "
                 "the markets in which it operates.",
        "renewable_electricity_target": "RENEWABLE SOURCES IN ITALY Our Transition Plan aims to exclusively "
                                        "utilize 100% electricity sourced (scope 2 emissions) from renewable "
                                        "energy in all EU sites by 2025.",
        "green_power_share": "This was mainly attributed to an increase in our consumption of renewable "
                             "electricity to 58.4%.",
        "sbti": "A 2025 decarbonization trajectory based on the Science Based Targets initiative (SBTi)",
        "interim_target": "The company commits to reduce absolute scope 1 and 2 GHG emissions 46.2% by 2030 "
                          "from a 2019 base year.",
    },
}


@pytest.mark.parametrize("text,code", [
    ("到 2030 年相比基准年 2021 年排放量下降 42% 以上。", "zh"),
    ("台达于 2021 年加入 RE100 国际倡议。", "zh"),
    ("We aim to be carbon neutral in our operations by 2030.", "en"),
    ("Biogen (百健) aims to be carbon neutral in its operations by 2030.", "en"),
    ("2030 100%", "en"),
    ("", "en"),
])
def test_the_detector(text, code):
    assert detect_language(text) == code


def test_every_language_has_the_same_interface():
    modules = list(LANGUAGES.values())
    for module in modules:
        missing = [name for name in INTERFACE if not hasattr(module, name)]
        assert not missing, f"{module.__name__} lacks {missing}"
        for name in ("SENTENCE_BREAK", "EXTENDS", "SBTI", "SBTI_CUE", "HEADINGS"):
            assert isinstance(getattr(module, name), re.Pattern), (module.__name__, name)
        assert set(module.EXTENDS.groupindex) == {"scope", "year"}, module.__name__
        assert isinstance(module.KEEP_BREAK, bool), module.__name__
        for name in ("NUMBER_CUES", "KEYWORD_CUES"):
            re.compile(getattr(module, name))
    for name in INTERFACE:
        if callable(getattr(modules[0], name)) and not isinstance(getattr(modules[0], name), re.Pattern):
            signatures = {str(inspect.signature(getattr(m, name))) for m in modules}
            assert len(signatures) == 1, (name, signatures)


def test_the_registry_matches_the_metric_table():
    for code, module in LANGUAGES.items():
        assert module.CODE == code
    for spec in METRIC_TABLE:
        assert set(spec.triggers) == set(LANGUAGES), spec.name
    for code, module in LANGUAGES.items():
        # the rules read every page the metric table's trigger words select, plus number cues
        for part in (triggers(code), module.NUMBER_CUES, module.KEYWORD_CUES):
            assert part in TRIGGER.pattern


def test_a_sample_sentence_per_metric_and_language():
    for code in LANGUAGES:
        assert set(SENTENCES[code]) == set(METRIC_NAMES), f"{code}: a sentence per metric"


@pytest.mark.parametrize("code,metric", [(c, m) for c in LANGUAGES for m in METRIC_NAMES])
def test_every_metric_is_produced_by_each_language(code, metric):
    s = SENTENCES[code][metric]
    assert detect_language(s) == code
    module = LANGUAGES[code]
    years = find_years(s)
    hits = module.year_metrics(s, years, REF[code]) + module.percent_metrics(s, years, REF[code]) + module.flags(s)
    assert all(isinstance(h, RuleHit) and h.evidence in s for h in hits)
    assert metric in {h.metric for h in hits}, hits


def test_the_extending_guide_names_real_paths_and_the_interface():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    guide = (root / "docs" / "extending.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"`((?:common|extractors|transforms|expectations|warehouse|carbonwatch|tests)/[\w/]+\.(?:py|json))`",
                           guide))
    missing = sorted(p for p in paths if not (root / p).exists() and "_ja" not in p and "/ja." not in p)
    assert paths and not missing, missing
    for name in INTERFACE:
        assert f"`{name}`" in guide, name
