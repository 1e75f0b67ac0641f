"""Cold run vs unchanged run of the 100-company mirror.

Two measurements of each: the task bodies called directly (the pipeline's own cost, Airflow
aside) and the whole DAG through `dag.test()` (Airflow's in-process overhead included).
Prints bodies downloaded, documents extracted and wall time; the goal is that the unchanged
run downloads and extracts nothing and takes < 5% of the cold run, Airflow overhead aside.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def _count(warehouse: str, run_id: str) -> dict:
    import duckdb

    con = duckdb.connect(warehouse, read_only=True)
    try:
        downloaded = con.execute(
            "SELECT count(*) FROM fetch_log WHERE run_id = ? AND http_status = 200 AND url LIKE '%.pdf'", [run_id]).fetchone()[0]
        not_modified = con.execute(
            "SELECT count(*) FROM fetch_log WHERE run_id = ? AND http_status = 304", [run_id]).fetchone()[0]
        new = con.execute("SELECT documents_new FROM runs WHERE run_id = ?", [run_id]).fetchone()[0]
    finally:
        con.close()
    return {"downloaded": downloaded, "not_modified": not_modified, "extracted": new}


def direct_run(conf: dict, run_id: str) -> tuple[float, dict]:
    """The DAG's task bodies in order, in this process, no Airflow."""
    from carbonwatch import tasks

    t0 = time.perf_counter()
    ctx = tasks.prepare(conf, run_id)
    t_prepared = time.perf_counter()
    crawls = [tasks.fetch(ctx, item) for item in tasks.discover(ctx)]
    extractions = [tasks.extract(ctx, c) for c in crawls]
    validated = tasks.validate(ctx, extractions)
    counts = tasks.load(ctx, crawls, extractions, validated)
    tasks.alert(ctx, tasks.detect_changes(ctx, counts))
    return time.perf_counter() - t_prepared, _count(conf["warehouse"], run_id) | {"prepare_s": t_prepared - t0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--report", default=os.environ.get("CARBONWATCH_REPORT", "../shared/reports/report100-2023.zh.pdf"))
    ap.add_argument("--skip-airflow", action="store_true", help="only the direct (Airflow-free) runs")
    args = ap.parse_args()

    from carbonwatch.mirror import MirrorServer, build_mirror, write_sources
    from extractors.cases import segment_cases

    tmp = Path(tempfile.mkdtemp(prefix="cw-bench-"))
    cases = segment_cases(args.report)
    roots = build_mirror(cases, tmp / "mirror")
    print("pipeline on the 100-company mirror (cold run, then nothing changed)")
    with MirrorServer(roots[1]) as server:
        sources = write_sources(cases, tmp / "sources.csv", server.base_url)
        for mode in ("direct", "airflow"):
            if mode == "airflow" and args.skip_airflow:
                continue
            conf = {"sources": str(sources), "warehouse": str(tmp / f"{mode}.duckdb"), "raw_dir": str(tmp / f"raw-{mode}"),
                    "report": args.report, "outbox": str(tmp / f"alerts-{mode}")}
            walls = []
            for label in ("cold", "unchanged"):
                if mode == "direct":
                    # the bootstrap (report → 100 cases) is a one-off, reported apart
                    wall, counts = direct_run(conf, f"bench-{label}")
                    extra = f" (bootstrap/prepare {counts.pop('prepare_s'):.1f}s apart)"
                else:
                    from carbonwatch.runner import run_nightly
                    import duckdb

                    t0 = time.perf_counter()
                    run_nightly(conf, tmp / f"airflow-{label}.log")
                    wall = time.perf_counter() - t0
                    con = duckdb.connect(conf["warehouse"], read_only=True)
                    run_id = con.execute("SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()[0]
                    con.close()
                    counts, extra = _count(conf["warehouse"], run_id), ""
                walls.append(wall)
                print(f"  {mode:7} {label:9} wall {wall:7.2f}s  PDFs downloaded {counts['downloaded']:3}  "
                      f"304s {counts['not_modified']:3}  documents extracted {counts['extracted']:3}{extra}")
            print(f"  {mode:7} unchanged/cold = {walls[1] / walls[0]:.1%}")
            print(f"  {mode:7} cost per document (cold) = {walls[0] / len(cases):.3f}s")


if __name__ == "__main__":
    main()
