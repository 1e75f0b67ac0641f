"""Where things are. Precedence: the DAG run's conf > environment > defaults under ./var.

Environment variables (all optional):
  CARBONWATCH_VAR        folder for generated files (default ./var)
  CARBONWATCH_WAREHOUSE  DuckDB file (default $CARBONWATCH_VAR/warehouse.duckdb)
  CARBONWATCH_SOURCES    sources CSV (default sources/mirror.csv of the repo)
  CARBONWATCH_RAW        content-addressed raw documents (default $CARBONWATCH_VAR/raw)
  CARBONWATCH_REPORT     the 100-case report PDF used to bootstrap a new warehouse
                         (default ../shared/reports/report100-2023.zh.pdf)
  CARBONWATCH_CONTACT    contact put in the crawler's User-Agent
  CARBONWATCH_ALERT_WEBHOOK  URL that receives change alerts as JSON (optional)
"""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def var_dir() -> Path:
    return Path(os.environ.get("CARBONWATCH_VAR", REPO / "var")).resolve()


def resolve(conf: dict | None = None) -> dict:
    conf = {k: v for k, v in (conf or {}).items() if v not in (None, "")}
    var = Path(conf.get("var") or var_dir())
    return {
        "var": str(var),
        "warehouse": str(Path(conf.get("warehouse") or os.environ.get("CARBONWATCH_WAREHOUSE") or var / "warehouse.duckdb").resolve()),
        "sources": str(Path(conf.get("sources") or os.environ.get("CARBONWATCH_SOURCES") or REPO / "sources" / "mirror.csv").resolve()),
        "raw_dir": str(Path(conf.get("raw_dir") or os.environ.get("CARBONWATCH_RAW") or var / "raw").resolve()),
        "report": str(Path(conf.get("report") or os.environ.get("CARBONWATCH_REPORT")
                           or REPO.parent / "shared" / "reports" / "report100-2023.zh.pdf").resolve()),
        "outbox": str(Path(conf.get("outbox") or var / "alerts").resolve()),
        "alert_webhook": conf.get("alert_webhook") or os.environ.get("CARBONWATCH_ALERT_WEBHOOK"),
        "per_host_delay": float(conf.get("per_host_delay", os.environ.get("CARBONWATCH_PER_HOST_DELAY", 0.0))),
    }
