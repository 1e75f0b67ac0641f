"""dag.test() must run against the metadata DB of the Airflow home carbonwatch prepared: an
Airflow imported earlier with another home (e.g. ~/airflow, when AIRFLOW_HOME was not set
before the import) is refused in one line instead of failing deep inside Airflow with
"no such table: task_instance"."""
from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import os, sys
os.environ["AIRFLOW_HOME"] = sys.argv[1]
import airflow.configuration  # Airflow reads its home once, here
os.environ["AIRFLOW_HOME"] = sys.argv[2]
from carbonwatch.orchestration.runner import ensure_airflow_db
try:
    ensure_airflow_db()
except RuntimeError as exc:
    print("REFUSED:", exc)
else:
    print("ACCEPTED")
"""


def _run(first, second) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(first), str(second)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip().splitlines()[-1]


def test_airflow_imported_with_another_home_is_refused(tmp_path):
    out = _run(tmp_path / "imported-home", tmp_path / "carbonwatch-home")
    assert out.startswith("REFUSED:"), out
    assert "imported-home" in out and "carbonwatch-home" in out and "set AIRFLOW_HOME before starting" in out
    assert not (tmp_path / "carbonwatch-home" / ".migrated").exists()  # nothing prepared in the wrong place


def test_same_home_is_prepared(tmp_path):
    home = tmp_path / "home"
    assert _run(home, home) == "ACCEPTED"
    assert (home / ".migrated").exists() and (home / "airflow.db").exists()
