"""Shared test setup. Airflow reads its settings at import, so its home (inside the ignored
var/ folder) is set here, before any test imports it."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from common.settings import shared_dir

REPO = Path(__file__).resolve().parent.parent
SHARED = shared_dir()  # CARBONWATCH_SHARED, else ../shared
REPORT = SHARED / "reports" / "report100-2023.zh.pdf"
GOLD = SHARED / "gold" / "report100.dev.jsonl"
AMCHAM = SHARED / "reports" / "amcham-dual-carbon.zh.pdf"
AMCHAM_GOLD = SHARED / "gold" / "amcham.dev.jsonl"

os.environ.setdefault("AIRFLOW_HOME", str(REPO / "var" / "test-airflow"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("CARBONWATCH_REPORT", str(REPORT))


@pytest.fixture(scope="session")
def report_pdf() -> Path:
    if not REPORT.exists():
        pytest.fail(f"the 100-case report is missing: {REPORT} (set CARBONWATCH_SHARED)")
    return REPORT


@pytest.fixture(scope="session")
def report_cases(report_pdf):
    from extractors.cases import segment_cases

    return segment_cases(str(report_pdf))


@pytest.fixture(scope="session")
def amcham_cases():
    from extractors.cases import segment_cases

    if not AMCHAM.exists():
        pytest.fail(f"the AmCham report is missing: {AMCHAM} (set CARBONWATCH_SHARED)")
    return segment_cases(str(AMCHAM))
