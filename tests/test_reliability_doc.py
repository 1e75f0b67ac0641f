"""docs/reliability.md stays honest: every test its fault table names exists, and every setting
it names is read by common/settings.py."""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOC = (REPO / "docs" / "reliability.md").read_text(encoding="utf-8")


def test_every_test_the_fault_table_names_exists():
    named = re.findall(r"`(test_[a-z_]+\.py)(?:::(test_[a-z_0-9]+))?", DOC)
    assert len(named) >= 20
    for file, test in named:
        path = REPO / "tests" / file
        assert path.exists(), f"docs/reliability.md names {file}, which does not exist"
        if test:
            assert re.search(rf"^def {test}\(", path.read_text(encoding="utf-8"), re.M), f"{file}::{test} is gone"


def test_every_setting_it_names_is_read():
    source = (REPO / "common" / "settings.py").read_text(encoding="utf-8")
    for name in set(re.findall(r"CARBONWATCH_([A-Z_]+)", DOC)):
        name = name.rstrip("_")
        assert f'"{name}' in source, f"docs/reliability.md names CARBONWATCH_{name}, not read in common/settings.py"
