"""Small hand-made warehouses for tests, docs and demos: no Airflow, no PDFs, no network.

`sample_warehouse(path)` bootstraps six companies from a stand-in "report" file, then applies
nightly runs made of `Doc`s (one company report each) through the same load functions the DAG
uses: load_batch → update_history → finish_run.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from warehouse.db import connect
from warehouse.history import update_history
from warehouse.loads import load_batch
from warehouse.runs import bootstrap, finish_run, start_run


def query(path, sql: str, params=()) -> list[tuple]:
    """Rows of a read-only query on the warehouse file at `path` (the connection is closed after)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def F(metric, year=None, value=None, base_year=None, scope=None, status="target", page=1, evidence=None,
      confidence=None, rule=None) -> dict:
    """A fact dict (the shape extractors produce); `confidence` / `rule` only when given."""
    ev = evidence or f"{metric} {year or ''} {value if value is not None else ''} {scope or ''}".strip()
    fact = {"metric": metric, "year": year, "value": value, "base_year": base_year, "scope": scope,
            "status": status, "page": page, "evidence": ev}
    return fact | ({"confidence": confidence} if confidence is not None else {}) | ({"rule": rule} if rule else {})


CASES = [
    {"case_no": 1, "name": "甲能源", "sector": "初级资源", "industry": "能源生产", "pages": [10, 11],
     "facts": [F("peak", 2028), F("carbon_neutral", 2060), F("interim_target", 2030, 30, 2020)]},
    {"case_no": 2, "name": "乙制造", "sector": "工业制造", "industry": "设备制造", "pages": [12],
     "facts": [F("net_zero", 2050, scope="value chain"), F("net_zero", 2040, scope="operations"),
               F("re100"), F("green_power_share", 2022, 35.0, status="achieved")]},
    {"case_no": 3, "name": "丙材料", "sector": "工业制造", "industry": "材料制造", "pages": [13],
     "facts": [F("peak", 2030), F("sbti", status="target")]},
    {"case_no": 4, "name": "丁物流", "sector": "基础服务", "industry": "物流运输", "pages": [14],
     "facts": [F("carbon_neutral", 2050), F("green_power_share", 2022, 12.0, status="achieved")]},
    {"case_no": 5, "name": "戊商贸", "sector": "商业消费", "industry": "商贸服务", "pages": [15], "facts": []},
    {"case_no": 6, "name": "己食品", "sector": "商业消费", "industry": "食品饮料", "pages": [16],
     "facts": [F("net_zero", 2060), F("renewable_electricity_target", 2030, 100.0)]},
]


@dataclass
class Doc:
    """One company report fetched in a run."""

    case_no: int
    report_year: int | None
    facts: list[dict]
    name: str = ""
    fetched_at: datetime | None = None
    quarantined: list[dict] = field(default_factory=list)

    def sha256(self) -> str:
        payload = json.dumps([self.case_no, self.report_year, self.facts, self.name], ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()

    def url(self) -> str:
        return f"http://127.0.0.1:9/companies/{self.case_no:03d}/report-{self.report_year}{self.name}.pdf"


def batch(docs: list[Doc]) -> tuple[list[dict], list[dict], dict]:
    """crawls, extractions and validation result of one run, shaped like the DAG's XComs."""
    crawls: dict[int, dict] = {}
    extractions, valid, quarantined = [], [], []
    for d in docs:
        sha = d.sha256()
        crawls.setdefault(d.case_no, {"case_no": d.case_no, "landing_url": f"http://127.0.0.1:9/companies/{d.case_no:03d}/",
                                      "documents": [], "log": []})
        crawls[d.case_no]["documents"].append(
            {"status": "new", "sha256": sha, "url": d.url(), "final_url": d.url(), "title": f"report {d.report_year}",
             "report_year": d.report_year, "path": None, "bytes": 1000, "fetched_at": d.fetched_at})
        extractions.append({"document_id": sha, "case_no": d.case_no, "url": d.url(), "status": "parsed",
                            "pages": 20, "facts": d.facts + d.quarantined, "error": None})
        valid += [{"document_id": sha, "case_no": d.case_no, "fact": f} for f in d.facts]
        quarantined += [{"document_id": sha, "case_no": d.case_no, "fact": f, "failed": ["expect_year_in_range"]}
                        for f in d.quarantined]
    results = [{"suite": "facts", "expectation": "expect_year_in_range", "kwargs": {"min": 2000, "max": 2100},
                "success": not quarantined, "unexpected": len(quarantined)}]
    return list(crawls.values()), extractions, {"valid": valid, "quarantined": quarantined, "results": results}


def run(con, run_id: str, docs: list[Doc], now: datetime | None = None,
        on_step: Callable[[str], None] | None = None, threshold: float | None = None) -> dict:
    """One nightly run without Airflow: start, load, diff, close. `on_step` is handed to the
    load and the diff (called inside their transactions with "documents", "facts", "history");
    `threshold` is the review confidence (default: the setting)."""
    start_run(con, run_id, "fixtures", now=now)
    crawls, extractions, validated = batch(docs)
    counts = load_batch(con, run_id, crawls, extractions, validated, on_step=on_step)
    counts |= update_history(con, run_id, now=now, on_step=on_step, threshold=threshold)
    finish_run(con, run_id, counts)
    return counts


def bootstrap_sample(con, tmp_dir: str | Path, cases: list[dict] | None = None, now: datetime | None = None) -> dict:
    report = Path(tmp_dir) / "report100-sample.pdf"
    report.parent.mkdir(parents=True, exist_ok=True)
    if not report.exists():
        report.write_bytes(b"%PDF-1.4 stand-in for the 100-case report\n")
    return bootstrap(con, report, cases or CASES, run_id="bootstrap-sample", now=now)


# Edition 1: every company's own 2023 report (its baseline: no alerts). Edition 2: some 2024
# reports that move targets.
EDITION1 = [
    Doc(1, 2023, [F("peak", 2028), F("carbon_neutral", 2060), F("interim_target", 2030, 30, 2020, page=4)]),
    Doc(2, 2023, [F("net_zero", 2050, scope="value chain"), F("net_zero", 2040, scope="operations"), F("re100"),
                  F("green_power_share", 2022, 35.0, status="achieved")]),
    Doc(3, 2023, [F("peak", 2030), F("sbti", status="target")]),
    Doc(4, 2023, [F("carbon_neutral", 2050), F("green_power_share", 2022, 12.0, status="achieved")]),
    Doc(6, 2023, [F("net_zero", 2060), F("renewable_electricity_target", 2030, 100.0)]),
]
EDITION2 = [
    Doc(1, 2024, [F("peak", 2028), F("carbon_neutral", 2055, page=3), F("interim_target", 2030, 30, 2020, page=4),
                  F("re100", page=7)]),                                              # year moved, joined RE100
    Doc(2, 2024, [F("net_zero", 2050, scope="value chain"), F("net_zero", 2040, scope="operations"),
                  F("green_power_share", 2023, 35.3, status="achieved")]),          # left RE100; share: rounding
    Doc(4, 2024, [F("carbon_neutral", 2050), F("green_power_share", 2023, 20.0, status="achieved")]),  # share up
    Doc(6, 2024, [F("renewable_electricity_target", 2030, 100.0)]),                 # net zero withdrawn
]
EDITION2_ALERTS = {
    (1, "carbon_neutral", "changed", "2060", "2055"),
    (1, "re100", "added", None, "member"),
    (2, "re100", "withdrawn", "member", None),
    (4, "green_power_share", "changed", "12% in 2022", "20% in 2023"),
    (6, "net_zero", "withdrawn", "2060", None),
}


def sample_warehouse(path: str | Path, editions: int = 2, t0: datetime | None = None) -> Path:
    """Bootstrap + edition 1 (+ edition 2): a small warehouse with history and alerts."""
    path = Path(path)
    t0 = t0 or datetime(2026, 1, 5, 2, 0)
    con = connect(path)
    try:
        bootstrap_sample(con, path.parent, now=t0)
        for i, docs in enumerate([EDITION1, EDITION2][:editions], start=1):
            for d in docs:
                d.fetched_at = t0 + timedelta(days=30 * i)
            run(con, f"sample-run-{i}", docs, now=t0 + timedelta(days=30 * i))
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path
