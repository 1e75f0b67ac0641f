"""The README stays honest: every command it names exists (with --help), and every make
target it names is in the Makefile."""
from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from carbonwatch.cli import main

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_command_in_the_readme_exists():
    named = set(re.findall(r"(?:`|bin/)carbonwatch ([a-z]+)", README))
    assert {"run", "cases", "extract", "query", "report"} <= named
    for name in named:
        assert name in main.commands, f"README names `carbonwatch {name}`, which does not exist"
        assert CliRunner().invoke(main, [name, "--help"]).exit_code == 0


def test_every_make_target_in_the_readme_exists():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z-]+):", makefile, re.M))
    for target in set(re.findall(r"`make ([a-z-]+)", README)) | {"demo", "test"}:
        assert target in targets, f"README names `make {target}`, not in the Makefile"
