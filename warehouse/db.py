"""Connections, transactions and the warehouse clock. DuckDB has one writer: only the load tasks
open it read-write."""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from functools import lru_cache
from datetime import datetime, timezone
from pathlib import Path

import duckdb


def utcnow() -> datetime:
    """Now in UTC, naive: the warehouse's TIMESTAMP columns hold UTC."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def schema_sql() -> str:
    return (Path(__file__).resolve().parent / "schema.sql").read_text(encoding="utf-8")


# The schema marker: a carbonwatch warehouse says so, with its schema version. A file without it
# is someone else's DuckDB file and is never written to.
MARKER = "carbonwatch_schema"
SCHEMA_VERSION = 4
# version -> statements that take a warehouse of the version before to it (run in order, in the
# same transaction as the marker's update; the next version adds its entry here)
MIGRATIONS: dict[int, list[str]] = {
    2: ["ALTER TABLE runs ADD COLUMN IF NOT EXISTS error VARCHAR"],
    # seed reports as data: companies of a later seed report have no 100-case sector/industry
    3: ["ALTER TABLE companies ADD COLUMN IF NOT EXISTS report_no INTEGER",
        "ALTER TABLE companies ADD COLUMN IF NOT EXISTS name_variants VARCHAR[]",
        "ALTER TABLE companies ALTER COLUMN sector DROP NOT NULL",
        "ALTER TABLE companies ALTER COLUMN industry DROP NOT NULL"],
    # companies of the user's sources (company_id), beyond the seed reports' cases
    4: ["ALTER TABLE companies ADD COLUMN IF NOT EXISTS company_id VARCHAR",
        "ALTER TABLE companies ADD COLUMN IF NOT EXISTS exchange VARCHAR",
        "ALTER TABLE companies ADD COLUMN IF NOT EXISTS stock_code VARCHAR",
        "ALTER TABLE companies ALTER COLUMN report_pages DROP NOT NULL"],
}
# the tables of a warehouse made before the marker existed (version 1)
_V1_TABLES = {"runs", "companies", "documents", "document_urls", "fetch_log", "facts", "quarantined_facts",
              "validation_results", "target_history", "alerts", "alert_deliveries"}


class NotAWarehouse(ValueError):
    """The DuckDB file is not a carbonwatch warehouse (or one of a newer schema)."""


def _objects(con) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND database_name = current_database() "
        "UNION SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = current_database()"
    ).fetchall()}


def schema_version(con, path: str | Path = "the warehouse") -> int | None:
    """The warehouse's schema version, None for an empty database; raises NotAWarehouse for
    someone else's DuckDB file."""
    objects = _objects(con)
    if MARKER in objects:
        return con.execute(f"SELECT max(version) FROM {MARKER}").fetchone()[0] or 1
    if not objects:
        return None
    if _V1_TABLES <= objects:
        return 1  # made before the marker: adopted and migrated
    some = ", ".join(sorted(objects)[:5]) + (", …" if len(objects) > 5 else "")
    raise NotAWarehouse(f"{path} is a DuckDB file but not a carbonwatch warehouse (no {MARKER} table; it holds "
                        f"{len(objects)} other object(s): {some}); give a new file or a carbonwatch warehouse")


def check_warehouse(path: str | Path) -> int | None:
    """Without writing anything: the schema version of the file at `path` (None: no file or an
    empty one). Raises NotAWarehouse with a one-line reason for anything else."""
    path = Path(path)
    if not path.exists():
        return None
    if path.is_dir():
        raise NotAWarehouse(f"{path} is a folder, not a DuckDB file")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise  # a running writer holds it: not a property of the file
        raise NotAWarehouse(f"{path} is not a DuckDB file ({str(exc).splitlines()[0]})") from None
    except duckdb.Error as exc:
        raise NotAWarehouse(f"{path} is not a DuckDB file ({str(exc).splitlines()[0]})") from None
    try:
        version = schema_version(con, path)
    finally:
        con.close()
    if version is not None and version > SCHEMA_VERSION:
        raise NotAWarehouse(f"{path} has schema version {version}, newer than this carbonwatch's "
                            f"{SCHEMA_VERSION}: upgrade carbonwatch")
    return version


@lru_cache(maxsize=1)
def ddl_fingerprint() -> str:
    """What this code's schema and views are, in one line (kept as the marker table's comment):
    a warehouse that carries it needs no DDL on open."""
    from warehouse.views import VIEWS

    text = schema_sql() + "".join(f"\n{name}\n{sql}" for name, sql in sorted(VIEWS.items()))
    return f"schema {SCHEMA_VERSION}, ddl {hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}"


def _ddl_current(con) -> bool:
    """The marker table carries this code's DDL fingerprint and every view exists."""
    from warehouse.views import VIEWS

    comment, views = con.execute(
        "SELECT (SELECT comment FROM duckdb_tables() WHERE table_name = ? AND database_name = current_database()), "
        "(SELECT count(*) FROM duckdb_views() WHERE NOT internal AND database_name = current_database() "
        "AND list_contains(?, view_name))", [MARKER, sorted(VIEWS)]).fetchone()
    return comment == ddl_fingerprint() and views == len(VIEWS)


def _create_or_migrate(con, path: Path) -> None:
    """One transaction: a new warehouse gets the schema, views and marker; an older one its
    migrations first (the schema itself is idempotent). A collision or any error rolls it all
    back: nothing is left behind. A warehouse already as this code defines it is not written
    to (no DDL on every open: each writer step of a night opens it)."""
    from warehouse.views import create_views

    version = schema_version(con, path)
    if version is not None and version > SCHEMA_VERSION:
        raise NotAWarehouse(f"{path} has schema version {version}, newer than this carbonwatch's "
                            f"{SCHEMA_VERSION}: upgrade carbonwatch")
    if version == SCHEMA_VERSION and _ddl_current(con):
        return
    with transaction(con):
        for v in range(version + 1 if version else SCHEMA_VERSION + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS.get(v, []):
                con.execute(statement)
        con.execute(schema_sql())
        create_views(con)
        if version != SCHEMA_VERSION:
            con.execute(f"CREATE TABLE IF NOT EXISTS {MARKER} (version INTEGER NOT NULL, applied_at TIMESTAMP "
                        "NOT NULL DEFAULT current_timestamp)")
            con.execute(f"INSERT INTO {MARKER} (version) VALUES (?)", [SCHEMA_VERSION])
        con.execute(f"COMMENT ON TABLE {MARKER} IS '{ddl_fingerprint()}'")


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; a read-write open creates a new one (schema, views, marker) or
    migrates an older one, and refuses a DuckDB file that is not a carbonwatch warehouse."""
    path = Path(path)
    if read_only:
        if not path.exists():
            raise FileNotFoundError(f"no warehouse at {path}: run `carbonwatch run` first")
        return duckdb.connect(str(path), read_only=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        _create_or_migrate(con, path)
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


def insert_rows(con, table: str, columns: dict[str, str], rows_: list[list], conflict: str = "") -> int:
    """One INSERT of every row (columns: name -> SQL type, cast from the frame's objects);
    returns how many rows it inserted (not those an ON CONFLICT DO NOTHING skipped)."""
    if not rows_:
        return 0
    with frame_view(con, f"batch_{table}", rows_, list(columns)):
        return con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT "
                           + ", ".join(f"{c}::{t}" for c, t in columns.items()) + f" FROM batch_{table} {conflict}"
                           ).fetchone()[0]
