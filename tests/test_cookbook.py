"""Every ```sql block of docs/cookbook.md runs against a sample warehouse (through the same
read-only snapshot connection `carbonwatch query` uses) and, unless its paragraph says it "may
be empty", returns rows."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from warehouse_fixtures import sample_warehouse
from warehouse.snapshot import connect_reader, publish_snapshot

COOKBOOK = Path(__file__).resolve().parent.parent / "docs" / "cookbook.md"
BLOCK = re.compile(r"```sql\n(.*?)```", re.S)


def blocks() -> list[tuple[str, str, bool]]:
    text = COOKBOOK.read_text(encoding="utf-8")
    out, last = [], 0
    for m in BLOCK.finditer(text):
        before = text[last:m.start()]
        title = re.findall(r"^## (.+)$", text[:m.start()], re.M)[-1]
        may_be_empty = "(may be empty" in before.split("```")[-1]
        out.append((title, m.group(1), may_be_empty))
        last = m.end()
    return out


def test_the_cookbook_has_queries():
    assert len(blocks()) >= 15


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    wh = sample_warehouse(tmp_path_factory.mktemp("cookbook") / "wh.duckdb")
    publish_snapshot(wh)
    c = connect_reader(wh)
    yield c
    c.close()


@pytest.mark.parametrize("title,sql,may_be_empty", blocks(), ids=[b[0][:40] for b in blocks()])
def test_cookbook_query_runs(con, title, sql, may_be_empty):
    result = con.execute(sql).fetchall()
    if not may_be_empty:
        assert result, f"{title!r} returned no rows on the sample warehouse"


README = COOKBOOK.parent.parent / "README.md"


@pytest.mark.parametrize("sql", [statement for block in BLOCK.findall(README.read_text(encoding="utf-8"))
                                 for statement in block.split(";") if "SELECT" in statement])
def test_readme_example_queries_run(con, sql):
    assert con.execute(sql).fetchall(), "a README example query returned no rows on the sample warehouse"
