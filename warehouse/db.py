"""Connections, transactions and the warehouse clock. DuckDB has one writer: only the load tasks
open it read-write."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import duckdb


def utcnow() -> datetime:
    """Now in UTC, naive: the warehouse's TIMESTAMP columns hold UTC."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def schema_sql() -> str:
    return (Path(__file__).resolve().parent / "schema.sql").read_text(encoding="utf-8")


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; a read-write open also creates missing tables and views."""
    path = Path(path)
    if read_only:
        if not path.exists():
            raise FileNotFoundError(f"no warehouse at {path}: run `carbonwatch run` first")
        return duckdb.connect(str(path), read_only=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute(schema_sql())
        from warehouse.views import create_views

        create_views(con)
    except BaseException:
        con.close()
        raise
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection):
    """All or nothing: an exception (or a killed process) leaves the previous state."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | tuple = ()) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


@contextmanager
def frame_view(con, name: str, rows_: list[list], columns: list[str], dtypes: dict | None = None):
    """Rows as a DataFrame view `name` for the block: one set-based statement instead of a
    statement per row (executemany costs milliseconds a row in DuckDB)."""
    import pandas as pd

    frame = pd.DataFrame(rows_, columns=columns).astype("object")
    con.register(name, frame.astype(dtypes) if dtypes else frame)
    try:
        yield
    finally:
        con.unregister(name)


def insert_rows(con, table: str, columns: dict[str, str], rows_: list[list], conflict: str = "") -> None:
    """One INSERT of every row (columns: name -> SQL type, cast from the frame's objects)."""
    if not rows_:
        return
    with frame_view(con, f"batch_{table}", rows_, list(columns)):
        con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT "
                    + ", ".join(f"{c}::{t}" for c, t in columns.items()) + f" FROM batch_{table} {conflict}")
