"""Shards of companies and the run's work folder (carbonwatch/orchestration/shards.py)."""
from __future__ import annotations

import os
import time

import pytest

from carbonwatch.orchestration.shards import plan_shards, prune_work, read_jsonl, run_dir, stage_path, write_jsonl
from common.settings import MAX_SHARDS


@pytest.mark.parametrize("n, size, shards", [(0, 50, 0), (1, 50, 1), (100, 50, 2), (101, 50, 3), (2000, 50, 40),
                                             (1024, 1, 1024), (2000, 1, 1000), (200_000, 50, 1021)])
def test_shards_cover_every_company_once_and_never_exceed_airflows_map_limit(n, size, shards):
    plan = plan_shards(n, size)
    assert len(plan) == shards <= MAX_SHARDS  # above 1,024 x size companies the shards grow instead
    assert [i for part in plan for i in part] == list(range(n))
    if plan:
        assert max(len(p) for p in plan) == min(n, max(size, -(-n // MAX_SHARDS)))


def test_a_retried_shard_rewrites_its_file_whole(tmp_path):
    ctx = {"work_dir": str(tmp_path), "run_id": "manual__2026-12-02T02:00:00+00:00"}
    path = stage_path(ctx, "crawls", 3)
    assert path.parent.parent == run_dir(ctx) and ":" not in run_dir(ctx).name and "+" not in run_dir(ctx).name
    write_jsonl(path, [{"case_no": n} for n in range(5)])
    assert write_jsonl(path, [{"case_no": 7}]) == 1  # the retry
    assert list(read_jsonl(path)) == [{"case_no": 7}]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind


def test_old_runs_work_folders_are_pruned(tmp_path):
    hours_ago = time.time() - 3 * 3600
    for i in range(5):
        (tmp_path / f"run-{i}").mkdir()
        os.utime(tmp_path / f"run-{i}", (hours_ago + i, hours_ago + i))
    prune_work({"work_dir": str(tmp_path), "run_id": "run-0"}, keep=3)  # the current run is always kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run-0", "run-3", "run-4"]


def test_a_work_folder_written_recently_is_kept_however_many_runs_closed_since(tmp_path):
    """A nightly run at work (its folder last written minutes ago) beside streaming runs that close
    every few seconds: their pruning must not delete its stage files."""
    nightly = tmp_path / "scheduled__nightly"
    write_jsonl(nightly / "crawls" / "0000.jsonl", [{"case_no": 1}])
    minutes_ago = time.time() - 600
    os.utime(nightly, (minutes_ago, minutes_ago))
    for i in range(5):  # newer streaming runs
        (tmp_path / f"asset_triggered__{i}").mkdir()
    prune_work({"work_dir": str(tmp_path), "run_id": "asset_triggered__4"}, keep=3)
    assert (nightly / "crawls" / "0000.jsonl").is_file()


def test_extract_maps_only_over_shards_with_new_documents():
    from carbonwatch.orchestration.shards import shards_to_extract

    fetched = [{"shard": 2, "documents_new": 0}, {"shard": 0, "documents_new": 3}, {"shard": 1, "documents_new": 0},
               {"shard": 3, "documents_new": 1}]
    assert [f["shard"] for f in shards_to_extract(fetched)] == [0, 3]
    # nothing new anywhere: one shard still goes to extract, so the stages after it run
    assert [f["shard"] for f in shards_to_extract([{"shard": 1, "documents_new": 0},
                                                   {"shard": 0, "documents_new": 0}])] == [0]
    assert shards_to_extract([]) == []
