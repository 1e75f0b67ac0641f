"""DuckLake (the path past one DuckDB file): a DuckLake catalog on a local PostgreSQL started
here, several processes committing into one table at once, every row arrived.

benchmarks/ducklake_probe.py does the work under the interpreter named by
CARBONWATCH_DUCKLAKE_PYTHON (default: this one). The project pins DuckDB 2.0.0 and the only
DuckLake/postgres extensions installable here are pip packages built for DuckDB 1.5.5, which
2.0.0 refuses to load: with this venv the test is skipped with that reason; with a venv holding
duckdb==1.5.5 and the two extension packages it runs (docs/scale-out.md)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).resolve().parent.parent / "benchmarks" / "ducklake_probe.py"


def test_ducklake_catalog_on_local_postgres_takes_concurrent_writers():
    python = os.environ.get("CARBONWATCH_DUCKLAKE_PYTHON") or sys.executable
    proc = subprocess.run([python, str(PROBE)], capture_output=True, text=True, timeout=600)
    result = json.loads(proc.stdout)
    if proc.returncode == 2:
        pytest.skip(f"DuckLake blocked: {result['blocked']}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert result["facts"] == 100_000
    assert result["documents"] == result["distinct_documents"] == result["expected_documents"]
    assert len(result["writers"]) >= 2 and result["parquet_files"] > 0
