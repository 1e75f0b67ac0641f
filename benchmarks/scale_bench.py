"""The nightly at scale: a cold night, then an unchanged night, for N SYNTHETIC companies,
through Airflow (`dag.test()`) and in-process (the same task bodies without Airflow).

The companies are generated from the 100 sites of the offline mirror under new company ids
(carbonwatch/demo/synthetic.py: copies labelled SYNTHETIC, each PDF its own document), served
on 127.0.0.1. The warehouse is bootstrapped from the 100-case report first (a one-off, reported
apart); each night runs in its own child process, so its peak RSS is its own. Reported per
night: wall time, peak RSS (the process and its largest child: PDFs are extracted in forked
children), warehouse size, documents, cost per company.

    .venv/bin/python -m benchmarks.scale_bench                     # N = 100 (what `make bench` runs)
    .venv/bin/python -m benchmarks.scale_bench --companies 1000    # or: make bench BENCH_COMPANIES=1000
    .venv/bin/python -m benchmarks.scale_bench --companies 2000 --modes airflow
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _peak_rss_mb() -> tuple[float, float]:
    """(this process, its largest finished child) peak RSS in MB (Linux: ru_maxrss is in KB)."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def _preload() -> float:
    """Import what every night imports (Airflow's SDK, GX, pandas, pdfplumber, DuckDB) before
    timing: a one-off per worker process, not a night's cost (reported apart)."""
    t0 = time.perf_counter()
    import carbonwatch.alerting.notifiers  # noqa: F401  (airflow.sdk)
    import expectations.validate  # noqa: F401
    import extractors.crawl  # noqa: F401
    import extractors.document  # noqa: F401
    import warehouse.history  # noqa: F401
    import warehouse.loads  # noqa: F401

    return time.perf_counter() - t0


def _warm_execution_api() -> float:
    """Build dag.test()'s in-process Execution API app and serve it one request (Airflow caches
    it per process; Cadwyn builds its versioned routes on the first request, ~4 s here): a
    one-off like an import, which a deployment's api-server pays once at start. Timed apart."""
    t0 = time.perf_counter()
    import httpx
    from airflow.sdk.execution_time.supervisor import in_process_api_server

    api = in_process_api_server()
    with httpx.Client(transport=api.transport, base_url="http://in-process.invalid.") as client:
        client.get("/health").raise_for_status()
    return time.perf_counter() - t0


def child(mode: str, conf: dict, run_id: str, log_file: str) -> None:
    """One night in this process; prints one JSON line with its measurements."""
    from carbonwatch.orchestration.runner import airflow_env

    os.environ.update(airflow_env())  # before _preload imports Airflow: it reads its home once
    stages: dict[str, float] = {}
    imports = _preload()
    if mode == "inprocess":
        from carbonwatch.orchestration.inprocess import run_in_process

        last = [time.perf_counter()]

        def lap(stage):
            now = time.perf_counter()
            stages[stage] = round(now - last[0], 2)
            last[0] = now

        t0 = time.perf_counter()
        run_in_process(conf, run_id, workers=int(conf.get("shard_threads") or 4), lap=lap)
        state = "success"
    else:
        from carbonwatch.orchestration.runner import ensure_airflow_db, run_nightly

        ensure_airflow_db()
        imports += _warm_execution_api()
        t0 = time.perf_counter()
        state = run_nightly(conf, Path(log_file))
    wall = time.perf_counter() - t0
    rss, child_rss = _peak_rss_mb()
    print(json.dumps({"wall": wall, "state": state, "rss_mb": rss, "child_rss_mb": child_rss, "stages": stages,
                      "imports_s": round(imports, 1), "load_avg": os.getloadavg()[0]}))


def _night(mode: str, conf: dict, run_id: str, log_file: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.scale_bench", "--child", mode, "--conf", json.dumps(conf),
                           "--run-id", run_id, "--log", str(log_file)], cwd=REPO, capture_output=True, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        raise RuntimeError(f"{mode} night {run_id} failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


def _run_row(warehouse: str) -> dict:
    import duckdb

    con = duckdb.connect(warehouse, read_only=True)
    try:
        cur = con.execute("SELECT run_id, status, companies, documents_new, documents_unchanged, documents_failed, "
                          "facts_added, alerts FROM runs ORDER BY started_at DESC LIMIT 1")
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchall()[0]))
    finally:
        con.close()


def _bootstrap(warehouse: str, report: str) -> float:
    from carbonwatch.orchestration.tasks import bootstrap_warehouse
    from warehouse.db import connect

    t0 = time.perf_counter()
    con = connect(warehouse)
    try:
        bootstrap_warehouse(con, report)
    finally:
        con.close()
    return time.perf_counter() - t0


def bench(n: int, modes: list[str], report: str, shard_size: int | None, keep: Path | None) -> list[dict]:
    from carbonwatch.demo.mirror import MirrorServer, build_mirror
    from carbonwatch.demo.synthetic import build_synthetic_mirror, write_synthetic_sources
    from extractors.cases import segment_cases

    tmp = keep or Path(tempfile.mkdtemp(prefix="cw-scale-"))
    tmp.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    cases = segment_cases(report)
    root = tmp / "synthetic" / "edition1"
    if keep is not None and (root / "companies" / f"synthetic-{n:05d}").is_dir() \
            and not (root / "companies" / f"synthetic-{n + 1:05d}").exists():
        print(f"reusing the SYNTHETIC mirror of {n} companies in {root}", flush=True)
    else:
        mirror = build_mirror(cases, tmp / "mirror", edits=())
        root = build_synthetic_mirror({1: mirror[1]}, tmp / "synthetic", n)[1]
        print(f"SYNTHETIC mirror of {n} companies (copies of the 100 mirror sites) built in "
              f"{time.perf_counter() - t0:.0f}s", flush=True)
    results = []
    try:
        with MirrorServer(root) as server:
            sources = write_synthetic_sources(n, tmp / "sources.csv", server.base_url, {c.case_no: c.name for c in cases})
            for mode in modes:
                conf = {"sources": str(sources), "warehouse": str(tmp / f"{mode}.duckdb"), "raw_dir": str(tmp / f"raw-{mode}"),
                        "report": report, "outbox": str(tmp / f"alerts-{mode}")}
                if shard_size:
                    conf["shard_size"] = shard_size
                for old in (Path(conf["warehouse"]), Path(conf["raw_dir"])):  # a new warehouse per mode
                    shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
                boot = _bootstrap(conf["warehouse"], report)
                walls = {}
                for night in ("cold", "unchanged"):
                    m = _night(mode, conf, f"scale-{mode}-{night}", tmp / f"{mode}-{night}.log")
                    row = _run_row(conf["warehouse"])
                    size = Path(conf["warehouse"]).stat().st_size / 2**20
                    walls[night] = m["wall"]
                    docs = (row["documents_new"] or 0) + (row["documents_unchanged"] or 0)
                    result = {"companies": n, "mode": mode, "night": night, "wall_s": round(m["wall"], 1),
                              "state": m["state"], "peak_rss_mb": round(m["rss_mb"]), "child_rss_mb": round(m["child_rss_mb"]),
                              "warehouse_mb": round(size, 1), "documents_new": row["documents_new"],
                              "documents_unchanged": row["documents_unchanged"], "failed": row["documents_failed"],
                              "facts_added": row["facts_added"], "s_per_company": round(m["wall"] / n, 4),
                              "s_per_document": round(m["wall"] / max(docs, 1), 4), "stages": m["stages"],
                              "imports_s": m["imports_s"], "load_avg": round(m["load_avg"], 1)}
                    results.append(result)
                    stages = " ".join(f"{k} {v}" for k, v in m["stages"].items())
                    print(f"  {mode:9} {night:9} {m['state']:7} wall {m['wall']:7.1f}s  peak RSS {m['rss_mb']:5.0f} MB "
                          f"(largest child {m['child_rss_mb']:.0f})  warehouse {size:6.1f} MB  documents new "
                          f"{row['documents_new']} / unchanged {row['documents_unchanged']} / failed "
                          f"{row['documents_failed']}  facts +{row['facts_added']}  {m['wall'] / n * 1000:.0f} ms/company"
                          f"  (load average {m['load_avg']:.1f}; imports {m['imports_s']}s apart)"
                          + (f"\n      stages: {stages}" if stages else ""), flush=True)
                print(f"  {mode:9} unchanged/cold = {walls['unchanged'] / walls['cold']:.1%}  "
                      f"(bootstrap of the 100-case report apart: {boot:.0f}s)", flush=True)
    finally:
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--companies", type=int, default=int(os.environ.get("BENCH_COMPANIES") or 100),
                    help="synthetic companies (default 100, or $BENCH_COMPANIES)")
    ap.add_argument("--modes", default="inprocess,airflow", help="comma-separated: inprocess, airflow")
    ap.add_argument("--shard-size", type=int, help="companies per shard (default: the setting, 50)")
    ap.add_argument("--report", default=os.environ.get("CARBONWATCH_REPORT", str(REPO.parent / "shared" / "reports" / "report100-2023.zh.pdf")))
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it (mirror, warehouses, task logs)")
    ap.add_argument("--json", type=Path, help="also write the measurements here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--conf", help=argparse.SUPPRESS)
    ap.add_argument("--run-id", help=argparse.SUPPRESS)
    ap.add_argument("--log", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, json.loads(args.conf), args.run_id, args.log)
        return
    print(f"nightly at scale: {args.companies} SYNTHETIC companies, cold then unchanged night "
          f"(shared 2-core machine: expect noise between runs)", flush=True)
    results = bench(args.companies, [m.strip() for m in args.modes.split(",") if m.strip()], args.report,
                    args.shard_size, args.keep)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
