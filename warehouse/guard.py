"""One writer at a time, said plainly; and how a run that did not complete is recorded.

`writer_lock(warehouse, owner)` is an advisory lock (flock) on `<warehouse>.lock` held by the
process that writes the warehouse for a whole run (`carbonwatch run`, a watcher). A second
writer waits up to `wait` seconds, then gets WarehouseBusy("warehouse busy (run … since …)").
The kernel drops the lock when its holder dies, so a killed run never leaves a stale lock.
"""
from __future__ import annotations

import fcntl
import json
import os
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse's writer lock."""


def lock_path(warehouse: str | Path) -> Path:
    p = Path(warehouse)
    return p.with_name(p.name + ".lock")


class _Held:
    def __init__(self, fd: int, owner: str) -> None:
        self.fd, self.owner = fd, owner
        self.since = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        self.note(owner)

    def note(self, owner: str) -> None:
        """Say who holds the lock (e.g. once the run's id is known)."""
        self.owner = owner
        text = json.dumps({"owner": owner, "since": self.since, "pid": os.getpid()}).encode()
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, text, 0)


def holder(warehouse: str | Path) -> dict:
    """What the lock file says about its holder ({} when it says nothing readable)."""
    try:
        return json.loads(lock_path(warehouse).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}


@contextmanager
def writer_lock(warehouse: str | Path, owner: str, wait: float = 0.0):
    """Hold the warehouse's writer lock for the `with` block; WarehouseBusy after `wait` s."""
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        end = time.monotonic() + max(0.0, wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= end:
                    h = holder(warehouse)
                    raise WarehouseBusy(
                        f"warehouse busy ({h.get('owner') or 'another writer'} since {h.get('since') or '?'}, "
                        f"pid {h.get('pid') or '?'}): {warehouse}"
                        + (f"; waited {wait:g}s" if wait else "; set CARBONWATCH_LOCK_WAIT to wait for it")
                    ) from None
                time.sleep(min(0.5, max(0.05, end - time.monotonic())))
        held = _Held(fd, owner)
        try:
            yield held
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def end_run(con, run_id: str, status: str, error: str | None, *, only_if_running: bool = True) -> bool:
    """Record that run `run_id` ended `status` (stopped / failed) and why. With
    `only_if_running`, a run that already closed keeps its status. True if a row changed."""
    sql = "UPDATE runs SET status = ?, error = ?, finished_at = coalesce(finished_at, ?) WHERE run_id = ?"
    if only_if_running:
        sql += " AND status = 'running'"
    n = con.execute(sql + " RETURNING run_id", [status, error, datetime.now(timezone.utc).replace(tzinfo=None),
                                                  run_id]).fetchall()
    return bool(n)


def note_run(con, run_id: str, text: str) -> None:
    """Say something about a run that completed (e.g. which companies did not arrive)."""
    con.execute("UPDATE runs SET error = ? WHERE run_id = ?", [text, run_id])
