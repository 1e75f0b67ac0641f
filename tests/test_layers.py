"""The floors of the code base, read from every module's imports (ast, no import executed).

common (ground floor: schema, metric table, settings) imports nothing of the project; the
stages (extractors, transforms, expectations, warehouse) import common and, where listed, an
earlier stage; the application (carbonwatch) imports any stage; dags import the application.
No import cycle between modules. No module over 500 lines.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("common", "extractors", "transforms", "expectations", "warehouse", "carbonwatch", "dags")
# package -> the project packages it may import (besides itself)
ALLOWED = {
    "common": set(),
    "extractors": {"common"},
    "transforms": {"common"},
    "expectations": {"common"},
    "warehouse": {"common", "transforms"},
    "carbonwatch": {"common", "extractors", "transforms", "expectations", "warehouse"},
    "dags": {"common", "carbonwatch"},
}
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    out = {}
    for package in PROJECT:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules `name` imports (at any depth of the file: lazy imports count too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


MODULES = _modules()
GRAPH = {name: _imports(name, path, MODULES) for name, path in MODULES.items()}


def test_every_import_points_down_or_sideways_within_a_package():
    wrong = []
    for name, targets in GRAPH.items():
        top = name.split(".")[0]
        for target in targets:
            other = target.split(".")[0]
            if other != top and other not in ALLOWED[top]:
                wrong.append(f"{name} imports {target}")
    assert not wrong, "imports against the floors:\n" + "\n".join(sorted(wrong))


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_between_modules():
    # every edge counts, a package __init__'s imports of its own submodules too: lazy imports
    # through a package's __init__ (crawl -> sources -> feeds -> feeds.http -> crawl) are cycles
    assert _cycle(GRAPH) is None, " -> ".join(_cycle(GRAPH))


def test_no_import_cycle_between_packages():
    graph: dict[str, set[str]] = {}
    for name, targets in GRAPH.items():
        graph.setdefault(name.split(".")[0], set()).update(t.split(".")[0] for t in targets if t.split(".")[0] != name.split(".")[0])
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_detector_finds_a_cycle_and_a_downward_import():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
    src = ROOT / "common" / "schema.py"
    assert _imports("common.schema", src, MODULES) <= {"common.metrics"}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_size(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name}: {lines} lines (split it by concern)"


@pytest.mark.parametrize("package", PROJECT)
def test_every_package_says_what_it_holds(package):
    init = ROOT / package / "__init__.py"
    readme = ROOT / package / "README.md"
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) if init.exists() else None
    assert doc or readme.exists(), f"{package}: no docstring in __init__.py and no README.md"
