"""Opening the warehouse read-write writes nothing when it already has this code's schema and
views (the marker table's comment carries their fingerprint); a changed view definition, a
missing view or an older schema still gets its DDL."""
import duckdb

from warehouse.db import MARKER, connect, ddl_fingerprint
from warehouse.views import VIEWS


def _view_sql(path, name):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT sql FROM duckdb_views() WHERE view_name = ?", [name]).fetchone()[0]
    finally:
        con.close()


def _tamper(path, name, comment=None):
    """Replace a view by another definition (and the marker's comment, if given) behind
    carbonwatch's back."""
    con = duckdb.connect(str(path))
    try:
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT 1 AS tampered")
        if comment is not None:
            con.execute(f"COMMENT ON TABLE {MARKER} IS '{comment}'")
    finally:
        con.close()


def test_a_current_warehouse_is_opened_without_ddl(tmp_path):
    path = tmp_path / "w.duckdb"
    connect(path).close()
    con = duckdb.connect(str(path), read_only=True)
    comment = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = ?", [MARKER]).fetchone()[0]
    con.close()
    assert comment == ddl_fingerprint()
    view = sorted(VIEWS)[0]
    _tamper(path, view)  # the fingerprint still says "current": the open must not touch the view
    connect(path).close()
    assert "tampered" in _view_sql(path, view)


def test_a_changed_fingerprint_or_a_missing_view_gets_the_ddl_again(tmp_path):
    path = tmp_path / "w.duckdb"
    connect(path).close()
    view = sorted(VIEWS)[0]
    _tamper(path, view, comment="schema 4, ddl of an older carbonwatch")  # views changed since
    connect(path).close()
    assert "tampered" not in _view_sql(path, view)
    con = duckdb.connect(str(path))
    con.execute(f"DROP VIEW {view}")
    con.close()
    connect(path).close()
    assert _view_sql(path, view)
