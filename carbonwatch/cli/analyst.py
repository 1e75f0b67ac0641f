"""Analyst commands of `carbonwatch`: summary, query, alerts, export, report.

They read the warehouse's read-only snapshot (`<name>.snapshot.duckdb`, published after every
completed run; the live file only when no snapshot exists yet), so they never block the
nightly load and never see a half-loaded state. Registered in carbonwatch.cli.
"""
from __future__ import annotations

import csv
import json
import sys
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import click

WAREHOUSE_HELP = ("Warehouse DuckDB file (default: $CARBONWATCH_WAREHOUSE or var/warehouse.duckdb); "
                  "its read-only snapshot is opened when there is one.")


def _warehouse(path: str | None) -> str:
    from common import settings

    return path or settings.resolve()["warehouse"]


def _open(path: str | None, allow_files: bool = False):
    """A read-only connection on the warehouse's snapshot; one-line errors for a missing file,
    a file that is not DuckDB or a DuckDB file that is not a carbonwatch warehouse."""
    import duckdb

    from warehouse.db import NotAWarehouse, schema_version
    from warehouse.snapshot import connect_reader

    where = _warehouse(path)
    try:
        con = connect_reader(where, allow_files=allow_files)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    except duckdb.Error as exc:
        raise click.ClickException(f"{where} is not a DuckDB file ({str(exc).splitlines()[0]})") from None
    try:
        if schema_version(con, where) is None:
            raise NotAWarehouse(f"{where} is an empty DuckDB file, not a carbonwatch warehouse")
    except NotAWarehouse as exc:
        con.close()
        raise click.ClickException(str(exc)) from None
    return con


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_cell(x) for x in v)
    return str(v)


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _clip(s: str, limit: int) -> str:
    s = s.replace("\n", " ")
    if limit <= 0 or _width(s) <= limit:
        return s
    out, w = [], 0
    for ch in s:
        cw = _width(ch)
        if w + cw > limit - 1:
            break
        out.append(ch)
        w += cw
    return "".join(out) + "…"


def format_table(columns: list[str], data: list[tuple], max_width: int = 60) -> str:
    """A plain-text table that lines up Chinese (double-width) text too."""
    cells = [[_clip(_cell(v), max_width) for v in r] for r in data]
    widths = [max([_width(c)] + [_width(r[i]) for r in cells]) for i, c in enumerate(columns)]
    pad = lambda s, w: s + " " * (w - _width(s))  # noqa: E731
    lines = [" | ".join(pad(c, w) for c, w in zip(columns, widths)).rstrip(),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(pad(c, w) for c, w in zip(r, widths)).rstrip() for r in cells]
    return "\n".join(lines)


def _jsonable(v):
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    return v


def _emit(columns: list[str], data: list[tuple], fmt: str, max_width: int = 60) -> None:
    if fmt == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(columns)
        w.writerows([[_cell(v) for v in r] for r in data])
    elif fmt == "json":
        click.echo(json.dumps([{c: _jsonable(v) for c, v in zip(columns, r)} for r in data], ensure_ascii=False,
                              indent=1, default=str))
    else:
        click.echo(format_table(columns, data, max_width))
        click.echo(f"({len(data)} row{'s' if len(data) != 1 else ''})", err=True)


def _format_options(f):
    f = click.option("--json", "fmt", flag_value="json", help="JSON: an array of objects.")(f)
    f = click.option("--csv", "fmt", flag_value="csv", help="CSV with a header row.")(f)
    return f


@click.command()
@click.argument("sql")
@click.option("--warehouse", "-w", type=click.Path(dir_okay=False), help=WAREHOUSE_HELP)
@_format_options
@click.option("--max-width", default=60, show_default=True, help="Clip table cells to this width (0: never).")
def query(sql, warehouse, fmt, max_width) -> None:
    """Run one read-only SQL query and print the result as a table (or --csv / --json).

    The connection is read-only and cannot touch other files, so only SELECT-like statements
    work. Tables and views: see docs/warehouse.md; examples: docs/cookbook.md.

    \b
      carbonwatch query "SELECT company, net_zero_year FROM v_company_targets WHERE net_zero_year <= 2050"
    """
    import duckdb

    con = _open(warehouse)
    try:
        cur = con.execute(sql)
        if cur.description is None:
            raise click.ClickException("the statement returned no result set")
        columns = [d[0] for d in cur.description]
        data = cur.fetchall()
    except duckdb.Error as exc:
        raise click.ClickException(f"query failed: {exc}") from None
    finally:
        con.close()
    _emit(columns, data, fmt or "table", max_width)


@click.command()
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
              help="Only alerts created on or after this date (YYYY-MM-DD).")
@click.option("--warehouse", "-w", type=click.Path(dir_okay=False), help=WAREHOUSE_HELP)
@_format_options
@click.option("--evidence", is_flag=True, help="Also show both quotes and the new document's URL and page.")
def alerts(since, warehouse, fmt, evidence) -> None:
    """List target-change alerts, newest first: who changed which target, old → new value."""
    cols = ["created_at", "case_no", "company", "metric", "change", "old_value", "new_value", "delivered_at"]
    if evidence or fmt:
        cols += ["old_evidence", "new_evidence", "new_document_url", "new_page"]
    con = _open(warehouse)
    try:
        cur = con.execute(f"SELECT {', '.join(cols)} FROM v_target_changes WHERE ?::TIMESTAMP IS NULL OR "
                          "created_at >= ?::TIMESTAMP ORDER BY created_at DESC, case_no, metric", [since, since])
        data = cur.fetchall()
    finally:
        con.close()
    _emit(cols, data, fmt or "table")


@click.command()
@click.option("--parquet", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write one <table>.parquet per table and view.")
@click.option("--warehouse", "-w", type=click.Path(dir_okay=False), help=WAREHOUSE_HELP)
@click.option("--no-views", is_flag=True, help="Export the tables only.")
@click.option("--force", is_flag=True, help="Write into a folder that is not empty (files of the same name are replaced).")
def export(out_dir, warehouse, no_views, force) -> None:
    """Export every table (and view) of the warehouse to Parquet files, with progress.

    The folder must be new or empty, unless --force."""
    from tqdm import tqdm

    out = Path(out_dir).resolve()
    if out.is_dir() and any(out.iterdir()) and not force:
        raise click.ClickException(f"{out} is not empty: give a new or empty folder, or --force to replace "
                                   "files of the same name")
    out.mkdir(parents=True, exist_ok=True)
    con = _open(warehouse, allow_files=True)
    try:
        kinds = ("BASE TABLE",) if no_views else ("BASE TABLE", "VIEW")
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type IN "
            "(SELECT unnest(?)) ORDER BY table_type, table_name", [list(kinds)]).fetchall()]
        written = []
        for name in tqdm(names, desc="export", unit="table"):
            target = out / f"{name}.parquet"
            con.execute(f"COPY (SELECT * FROM \"{name}\") TO '{str(target).replace(chr(39), chr(39) * 2)}' "
                        "(FORMAT parquet)")
            n = con.execute(f"SELECT count(*) FROM \"{name}\"").fetchone()[0]
            written.append((name, n, str(target)))
    finally:
        con.close()
    click.echo(format_table(["table", "rows", "file"], written, 0))


@click.command()
@click.option("--out", "out", type=click.Path(dir_okay=False), help="HTML file to write (default: var/report.html).")
@click.option("--warehouse", "-w", type=click.Path(dir_okay=False), help=WAREHOUSE_HELP)
def report(out, warehouse) -> None:
    """Write a static, self-contained HTML report with charts (no internet needed to view it).

    Charts: target years by sector, changes over time, coverage of each metric; tables: the
    report's aggregate tables, recent changes with evidence, every company's targets.
    """
    from common import settings
    from carbonwatch.reporting.html import write_report

    out = Path(out or settings.var_dir() / "report.html")
    con = _open(warehouse)
    try:
        path = write_report(con, out)
    finally:
        con.close()
    click.echo(str(path))


@click.command()
@click.argument("warehouse", type=click.Path(exists=True, dir_okay=False), required=False)
def summary(warehouse) -> None:
    """Print what the warehouse holds: companies, documents, facts per metric, alerts, runs."""
    from common import settings
    from carbonwatch.reporting.summary import summarize

    _open(warehouse).close()  # one-line errors for a file that is not a carbonwatch warehouse
    click.echo(summarize(warehouse or settings.resolve()["warehouse"]))
