"""Segmentation of a report of titled cases (the AmCham China dual-carbon report): the case
list, running titles and "…简介" profiles find 17 cases; no company names in the code.
Synthetic line lists cover each boundary rule; the shared PDF and its dev labels cover
the real layout; the real command is scored with the shared scorer."""
from __future__ import annotations

import json
import re
import subprocess
import sys

from extractors.titled_cases import case_name, find_case_list, publication_year, segment_lines

from conftest import AMCHAM, AMCHAM_GOLD, SHARED


def gold():
    return {g["case_no"]: g for g in map(json.loads, AMCHAM_GOLD.read_text(encoding="utf-8").splitlines())}


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def text_of(case) -> str:
    return "".join(t for _, t in case.chunks)


def lines_of(spec: str) -> list[tuple[int, str]]:
    """'=== 3' starts page 3; other non-empty lines are that page's lines."""
    out, page = [], 1
    for ln in spec.strip().splitlines():
        if ln.startswith("==="):
            page = int(ln.split()[1])
        elif ln.strip():
            out.append((page, ln.strip()))
    return out


SYNTHETIC = lines_of("""
=== 1
前言正文。
第一篇
1. 甲公司：技术创新推动转型
2. 乙集团：很长很长的标题会被排版
折到第二行
3. 丙科技：循环经济
第二篇
1. 丁能源研究报告
甲公司的案例正文开始。
=== 2
甲公司：技术创新推动转型
甲公司承诺到 2040 年实现净零排放。
甲公司简介
甲公司是一家公司。
一、乙集团面临的挑战
乙集团正文。
=== 3
乙集团：很长很长的标题会被排版
折到第二行
乙集团结尾。
乙集团：很长很长的标题会被排版
折到第二行
丙科技开篇。
一、背景
二、做法
丙科技：循环经济
三、成果
丙科技第三节。
=== 4
一、丁的问题
丁能源研究报告
丁能源公司简介
丁能源是一家公司。
""")


def test_case_list_sections_and_wrapped_items():
    titles, end = find_case_list(SYNTHETIC)
    assert titles == ["甲公司：技术创新推动转型", "乙集团：很长很长的标题会被排版折到第二行",
                      "丙科技：循环经济", "丁能源研究报告"]
    assert SYNTHETIC[end][1] == "甲公司的案例正文开始。"


def test_boundaries_profiles_titles_and_section_numbering():
    cases = segment_lines(SYNTHETIC)
    assert [c.name for c in cases] == ["甲公司", "乙集团", "丙科技", "丁能源"]
    texts = [text_of(c) for c in cases]
    # a profile after the last running title: the case ends with the profile paragraph
    assert texts[0].startswith("甲公司的案例正文开始") and texts[0].endswith("甲公司是一家公司。")
    # the next case starts at its first section heading; running titles are left out
    assert texts[1] == "一、乙集团面临的挑战乙集团正文。乙集团结尾。"
    # "三、" after the running title carries the case on, to the next "一、"
    assert texts[2].endswith("三、成果丙科技第三节。") and "丁的问题" in texts[3]
    assert cases[3].profile_name == "丁能源" and [c.pages for c in cases] == [[1, 2], [2, 3], [3], [4]]


def test_name_from_title_else_profile():
    assert case_name("达能 : 共护地球行动", "达能") == "达能"
    assert case_name("领英经济图谱绿色技能研究", "领英") == "领英"
    assert case_name("无冒号的标题", None) == "无冒号的标题"


def test_no_case_list_no_cases():
    assert segment_lines(lines_of("1. 只有一项\n正文。\n2. 另一项")) == []


def test_seventeen_cases_in_order(amcham_cases):
    assert [c.case_no for c in amcham_cases] == list(range(1, 18))
    for c in amcham_cases:
        assert c.pages == sorted(c.pages) and [p for p, _ in c.chunks] == c.pages
        assert c.title and squash(c.title) not in squash(text_of(c))  # running titles left out
    assert sum(c.profile_name is not None for c in amcham_cases) >= 12


def test_dev_pages_and_evidence_in_the_cases_text(amcham_cases):
    by_no = {c.case_no: c for c in amcham_cases}
    for k, g in gold().items():
        assert by_no[k].pages == g["pages"], k
        text = squash(text_of(by_no[k]))
        for metric in ("net_zero", "carbon_neutral", "peak", "renewable_electricity_target",
                       "interim_targets"):
            for t in g.get(metric) or []:
                assert squash(t["evidence"]) in text, (k, t["evidence"])


def test_microsoft_is_a_case_named_from_its_title(amcham_cases):
    assert "微软" in {c.name for c in amcham_cases}


def test_publication_year_from_dated_events(amcham_cases):
    assert publication_year(amcham_cases) == 2022
    assert all(c.ref_year == 2022 for c in amcham_cases)


def test_cli_cases_scores_on_the_gold_labels(tmp_path):
    out = tmp_path / "amcham.jsonl"
    with out.open("w") as fh:
        subprocess.run([sys.executable, "-m", "carbonwatch.cli", "cases", str(AMCHAM)], stdout=fh, check=True)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["case_no"] for r in records] == list(range(1, 18))
    assert all(r["sector"] is None and r["industry"] is None and r["title"] for r in records)
    score = subprocess.run([sys.executable, str(SHARED / "tools" / "score.py"), str(AMCHAM_GOLD), str(out),
                            "--min-f1", "0.9"], capture_output=True, text=True)
    assert score.returncode == 0, score.stdout
    # no national, EU or industry goal taken as a company's
    years = {(r["case_no"], f["metric"], f["year"]) for r in records for f in r["facts"]}
    assert not {y for y in years if y[2] == 2060}
