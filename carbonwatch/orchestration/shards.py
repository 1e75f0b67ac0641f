"""Shards of companies and the run's work folder: where the stages leave their outputs.

The nightly maps fetch and extract over shards (a few minutes of work each), not over
companies, and tasks hand each other paths and counts, never fact lists: each stage writes its
output as JSON lines under `<work_dir>/<run>/` and the next stage reads it.

    <work_dir>/<run>/shards/0003.json          discover: the shard's companies and what is known of them
    <work_dir>/<run>/crawls/0003.jsonl         fetch: one crawl result per company
    <work_dir>/<run>/extractions/0003.jsonl    extract: one result per new document (facts inside)
    <work_dir>/<run>/validation.json           validate: which facts failed which expectation

Every file is written to a temporary name and renamed, so a shard that dies and is retried
rewrites its own file whole and never leaves half a file for the next stage.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from common.settings import MAX_SHARDS

KEEP_RUNS = 3  # work folders kept for inspection; older ones are removed when a run closes
# a folder written this recently may be another run's still at work (the nightly beside the
# streaming DAG's runs, which close every few seconds): twice the longest task's timeout
ACTIVE_WINDOW = 2 * 3600.0


def run_dir(ctx: dict) -> Path:
    """This run's work folder (the run id made safe as a file name)."""
    return Path(ctx["work_dir"]) / re.sub(r"[^A-Za-z0-9._-]+", "_", ctx["run_id"])


def stage_path(ctx: dict, stage: str, shard: int) -> Path:
    return run_dir(ctx) / stage / f"{shard:04d}.jsonl"


def plan_shards(n_items: int, shard_size: int, max_shards: int = MAX_SHARDS) -> list[range]:
    """Consecutive index ranges of about `shard_size` items; never more than `max_shards`
    (Airflow's max_map_length): past that the shards grow instead of the map failing."""
    if n_items <= 0:
        return []
    size = max(shard_size, math.ceil(n_items / max_shards))
    return [range(start, min(start + size, n_items)) for start in range(0, n_items, size)]


def shards_to_extract(fetched: Iterable[dict]) -> list[dict]:
    """The fetch outputs extract maps over: the shards that fetched a new document. An unchanged
    night then runs one extract task instance instead of one per shard (each costs Airflow a
    task start-up, its state writes and XCom round trips for nothing); never an empty list,
    so extract still runs once and the stages after it keep their trigger rules (a skipped
    upstream would skip them)."""
    fetched = sorted(fetched, key=lambda f: f["shard"])
    return [f for f in fetched if f.get("documents_new")] or fetched[:1]


def write_jsonl(path: Path, records: Iterable[dict]) -> int:
    """Write records as JSON lines atomically; returns how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    n = 0
    with tmp.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False, default=str))
            fh.write("\n")
            n += 1
    os.replace(tmp, path)
    return n


def read_jsonl(path: str | Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def read_stage(outputs: Iterable[dict]) -> Iterator[dict]:
    """Every record of the files named by a mapped stage's outputs ({"path": ...}), in shard order."""
    for out in sorted(outputs, key=lambda o: o["shard"]):
        yield from read_jsonl(out["path"])


def write_json(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(value, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)


def prune_work(ctx: dict, keep: int = KEEP_RUNS) -> None:
    """Remove the work folders of older runs (their outputs are in the warehouse by now)."""
    root = Path(ctx["work_dir"])
    if not root.is_dir():
        return
    import time

    mine = run_dir(ctx).resolve()
    runs = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [p for p in runs if p.resolve() != mine][max(keep - 1, 0):]:
        if time.time() - _last_write(old) >= ACTIVE_WINDOW:
            shutil.rmtree(old, ignore_errors=True)


def _last_write(folder: Path) -> float:
    """When the folder or one of its stage folders last changed (a stage file written)."""
    try:
        return max([folder.stat().st_mtime] + [p.stat().st_mtime for p in folder.iterdir()])
    except OSError:  # removed meanwhile
        return 0.0
