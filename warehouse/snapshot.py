"""Read-only snapshots for analysts, published atomically after every completed run.

DuckDB allows one read-write process *or* many read-only ones on a file. So analysts never open
the live warehouse (their lock would block the nightly load): after each run the loader
checkpoints and closes the warehouse, copies it to a temporary file beside it and renames that
over `<name>.snapshot.duckdb` (`os.replace`, atomic on POSIX). A reader that has the old
snapshot open keeps reading the old file, whole; the next connection sees the new one, whole.
No reader ever sees a half-loaded state, and none can block the writer.
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

import duckdb

log = logging.getLogger("carbonwatch.snapshot")


def snapshot_path(warehouse: str | Path) -> Path:
    p = Path(warehouse)
    return p.with_name(p.stem + ".snapshot.duckdb")


def publish_snapshot(warehouse: str | Path) -> Path:
    """Copy the (closed) warehouse to its snapshot path atomically. The caller must have closed
    its read-write connection (closing checkpoints the WAL into the file)."""
    src = Path(warehouse)
    dst = snapshot_path(src)
    wal = src.with_name(src.name + ".wal")
    if wal.exists() and wal.stat().st_size:
        # an un-checkpointed WAL (e.g. after a crash): fold it in before copying, or the copy
        # would miss the last committed transactions
        con = duckdb.connect(str(src))
        try:
            con.execute("CHECKPOINT")
        finally:
            con.close()
        if wal.exists() and wal.stat().st_size:
            raise RuntimeError(f"{src} still has a write-ahead log after CHECKPOINT: snapshot not published")
    fd, tmp = tempfile.mkstemp(prefix=dst.name + ".", suffix=".tmp", dir=dst.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.chmod(tmp, src.stat().st_mode & 0o777)  # exactly the warehouse's permissions: 0600 stays 0600
        check = duckdb.connect(tmp, read_only=True)  # refuse to publish a file DuckDB cannot open
        try:
            check.execute("SELECT count(*) FROM runs").fetchone()
        finally:
            check.close()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    log.info("published read-only snapshot %s", dst)
    return dst


def reader_path(warehouse: str | Path) -> Path:
    """What analysts open: the snapshot when there is one, else the warehouse itself."""
    snap = snapshot_path(warehouse)
    return snap if snap.exists() else Path(warehouse)


def connect_reader(warehouse: str | Path, allow_files: bool = False) -> duckdb.DuckDBPyConnection:
    """A read-only connection on the snapshot (never the live file when a snapshot exists).

    Without `allow_files` the connection cannot read or write other files either
    (enable_external_access = false): `carbonwatch query` runs the analyst's SQL on this."""
    path = reader_path(warehouse)
    if not path.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}: run `carbonwatch run` first")
    config = {} if allow_files else {"enable_external_access": False}
    return duckdb.connect(str(path), read_only=True, config=config)
