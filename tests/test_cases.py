"""Segmentation of the 100-case report into cases (name, sector, industry, pages, own body
text) and the dev-set score of `carbonwatch cases`. Uses the shared report PDF."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

from common.schema import INDUSTRIES, SECTORS
from extractors.cases import case_record

from conftest import GOLD, SHARED

SECTOR_COUNTS = {"初级资源": 11, "工业制造": 33, "基础服务": 25, "商业消费": 31}
INDUSTRY_COUNTS = {
    "设备制造": 18, "材料制造": 11, "食品饮料": 10, "物流运输": 8, "信息技术": 8, "能源生产": 7,
    "金融服务": 7, "商贸服务": 6, "房地产": 5, "工程建设": 4, "玩具日化": 4, "家电电子": 3,
    "纺织家具": 3, "农林牧渔": 2, "矿产采掘": 2, "公共事业": 2,
}


def gold():
    return {g["case_no"]: g for g in map(json.loads, GOLD.read_text(encoding="utf-8").splitlines())}


def text_of(case) -> str:
    return "\n".join(t for _, t in case.chunks)


def test_one_hundred_cases_in_order(report_cases):
    assert [c.case_no for c in report_cases] == list(range(1, 101))
    for c in report_cases:
        assert c.sector in SECTORS and c.industry in INDUSTRIES
        assert c.pages == sorted(c.pages) and c.pages and all(48 <= p <= 146 for p in c.pages)
        assert [p for p, _ in c.chunks] == c.pages
        assert "公司简介" in text_of(c)


def test_gold_names_sectors_industries(report_cases):
    by_no = {c.case_no: c for c in report_cases}
    wrong = [(k, (by_no[k].name, by_no[k].sector, by_no[k].industry),
              (g["name_zh"], g["sector"], g["industry"]))
             for k, g in gold().items()
             if (by_no[k].name, by_no[k].sector, by_no[k].industry)
             != (g["name_zh"], g["sector"], g["industry"])]
    assert len(gold()) == 50 and wrong == []


def test_counts_equal_the_reports_table(report_cases):
    assert Counter(c.sector for c in report_cases) == SECTOR_COUNTS
    assert Counter(c.industry for c in report_cases) == INDUSTRY_COUNTS


def test_header_after_text_layout_and_shared_pages(report_cases):
    by_name = {c.name: c for c in report_cases}
    # from case 12 on the header stands after the case text
    assert by_name["诺维信"].case_no == 12 and "Novozymes" in text_of(by_name["诺维信"])
    assert "Novozymes" not in text_of(by_name["天齐锂业"])
    # a page holding the end of one case and the start of the next
    longi, ja = by_name["隆基绿能"], by_name["晶澳科技"]
    assert 74 in longi.pages and 74 in ja.pages
    assert "隆基" in text_of(longi) and "晶澳太阳能" not in text_of(longi)
    # a box at the top of a case's first page, before its 公司简介, belongs to that case
    assert "贷款碳足迹" in text_of(by_name["招商银行"])
    assert "贷款碳足迹" not in text_of(by_name["中国银行"])
    assert "微车贷" in text_of(by_name["微众银行"]) and "微车贷" not in text_of(by_name["恒生中国"])
    # text after a header on the header's page or on the next page stays with that case
    assert "GORE-TEX" in text_of(by_name["波司登"]) and "GORE-TEX" not in text_of(by_name["安踏体育"])
    assert "推动全过程包装减量" in text_of(by_name["安踏体育"])
    assert "推动全过程包装减量" not in text_of(by_name["李宁"])
    # a PDF page holding two source pages: the second half opens the next case
    assert "专利能耗算法" in text_of(by_name["G7 易流"])
    assert "专利能耗算法" not in text_of(by_name["滴滴出行"])
    # the header of the last case is split over two pages; the glossary is not a case
    assert by_name["李宁"].industry == "纺织家具" and "术语词汇表" not in text_of(by_name["李宁"])


def test_missing_industry_line_is_taken_from_neighbours(report_cases):
    cathay = next(c for c in report_cases if c.name == "国泰航空")
    assert (cathay.sector, cathay.industry) == ("基础服务", "物流运输")


def test_every_gold_evidence_is_in_its_cases_text(report_cases):
    by_no = {c.case_no: text_of(c) for c in report_cases}
    missing = []
    for k, g in gold().items():
        quotes = [t["evidence"] for m in ("peak", "net_zero", "carbon_neutral",
                                          "renewable_electricity_target", "green_power_share",
                                          "interim_targets") for t in g[m] or []]
        quotes += [g[m]["evidence"] for m in ("re100", "sbti") if g[m]]
        missing += [(k, q) for q in quotes if q not in by_no[k]]
    assert missing == []


def test_fact_evidence_is_verbatim_on_its_page(report_cases):
    n = 0
    for c in report_cases:
        rec = case_record(c)
        pages = dict(c.chunks)
        for f in rec["facts"]:
            n += 1
            assert f["page"] in pages, f
            assert f["evidence"] in pages[f["page"]], f
            assert 0 < len(f["evidence"]) <= 120
    assert n > 100


def test_cli_cases_scores_on_the_gold_labels(tmp_path):
    """The dev set through the real command and the shared scorer (speed: `make bench`)."""
    out = tmp_path / "cases.jsonl"
    with out.open("w") as fh:
        proc = subprocess.run([sys.executable, "-m", "carbonwatch.cli", "cases",
                               str(SHARED / "reports" / "report100-2023.zh.pdf")],
                              stdout=fh, stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(recs) == 100
    score = subprocess.run([sys.executable, str(SHARED / "tools" / "score.py"), str(GOLD), str(out),
                            "--min-f1", "0.90"], capture_output=True, text=True)
    assert score.returncode == 0, score.stdout
    assert "sector+industry correct: 50/50" in score.stdout
    year_f1 = {line.split()[0]: float(line.split()[-1]) for line in score.stdout.splitlines()
               if line.split() and line.split()[0] in ("peak", "net_zero", "carbon_neutral")}
    assert len(year_f1) == 3 and min(year_f1.values()) >= 0.9, year_f1
