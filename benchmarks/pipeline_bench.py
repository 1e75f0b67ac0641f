"""Cold run vs unchanged run of the 100-company mirror.

Two measurements of each: the task bodies called directly (the pipeline's own cost, Airflow
aside) and the whole DAG through `dag.test()` (Airflow's in-process overhead included).
Prints bodies downloaded, documents extracted and wall time; the goal is that the unchanged
run downloads and extracts nothing and takes < 5% of the cold run, Airflow overhead aside.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import settings


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
    """The DAG's task bodies in order, in this process, no Airflow: fetch and extract 8 at a
    time (the mapped tasks' max_active_tis_per_dagrun). Prepare (the bootstrap) is timed apart."""
    from carbonwatch.orchestration.inprocess import run_in_process

    stages, last = {}, [time.perf_counter()]

    def lap(stage):
        now = time.perf_counter()
        stages[stage] = now - last[0]
        last[0] = now

    t0 = time.perf_counter()
    run_in_process(conf, run_id, workers=8, lap=lap)
    prepare_s = stages.pop("prepare")
    return time.perf_counter() - t0 - prepare_s, _count(conf["warehouse"], run_id) | {
        "prepare_s": prepare_s, "stages": stages}

def _airflow_run(conf: dict, log) -> tuple[float, dict]:
    import duckdb

    from carbonwatch.orchestration.runner import run_nightly

    t0 = time.perf_counter()
    run_nightly(conf, log)
    wall = time.perf_counter() - t0
    con = duckdb.connect(conf["warehouse"], read_only=True)
    run_id = con.execute("SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()[0]
    con.close()
    return wall, _count(conf["warehouse"], run_id)


def bench(label: str, root: Path, cases, tmp: Path, report: str, modes: tuple[str, ...]) -> None:
    from carbonwatch.demo.mirror import MirrorServer, write_sources

    print(label)
    with MirrorServer(root) as server:
        sources = write_sources(cases, tmp / f"sources-{root.name}.csv", server.base_url)
        for mode in modes:
            name = f"{root.name}-{mode}"
            conf = {"sources": str(sources), "warehouse": str(tmp / f"{name}.duckdb"), "raw_dir": str(tmp / f"raw-{name}"),
                    "report": report, "outbox": str(tmp / f"alerts-{name}")}
            walls = []
            for run in ("cold", "unchanged"):
                if mode == "direct":
                    # the bootstrap (report → 100 cases) is a one-off, reported apart
                    wall, counts = direct_run(conf, f"bench-{run}")
                    stages = " ".join(f"{k} {v:.2f}" for k, v in counts.pop("stages").items())
                    extra = f"\n      (prepare/bootstrap {counts.pop('prepare_s'):.1f}s apart; {stages})"
                else:
                    wall, counts = _airflow_run(conf, tmp / f"{name}-{run}.log")
                    extra = ""
                walls.append(wall)
                print(f"  {mode:7} {run:9} wall {wall:7.2f}s  PDFs downloaded {counts['downloaded']:3}  "
                      f"304s {counts['not_modified']:3}  documents extracted {counts['extracted']:3}{extra}")
            print(f"  {mode:7} unchanged/cold = {walls[1] / walls[0]:.1%};  cold cost per document {walls[0] / len(cases):.3f}s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--report", default=settings.Settings.load().report,
                    help="the 100-case report (default: CARBONWATCH_REPORT, see common/settings.py)")
    ap.add_argument("--realpdfs", default=settings.env("REALPDFS", str(settings.shared_dir() / "realpdfs")),
                    help="real reports to serve in the full-size variant")
    ap.add_argument("--skip-airflow", action="store_true", help="only the direct (Airflow-free) runs")
    args = ap.parse_args()

    import shutil

    from carbonwatch.demo.mirror import build_mirror
    from extractors.cases import segment_cases

    import carbonwatch.alerting.notifiers  # noqa: F401  (imports airflow.sdk: a one-off, not the pipeline's cost)
    import expectations.validate  # noqa: F401

    tmp = Path(tempfile.mkdtemp(prefix="cw-bench-"))
    cases = segment_cases(args.report)
    roots = build_mirror(cases, tmp / "mirror")
    modes = ("direct",) if args.skip_airflow else ("direct", "airflow")
    bench("pipeline on the 100-company mirror (1–3-page PDFs): cold run, then nothing changed",
          roots[1], cases, tmp, args.report, modes)
    # Real reports are 17–151 pages and 1–4 MB: serve those instead (cycled over the 100
    # companies) to see the incremental run against documents of a realistic size.
    real = sorted(Path(args.realpdfs).glob("*.pdf")) + [Path(args.report)]
    full = tmp / "mirror" / "fullsize"
    shutil.copytree(roots[1], full)
    for i, case in enumerate(cases):
        # a trailing comment makes each company's file its own document (same bytes would be one)
        body = real[i % len(real)].read_bytes() + f"\n%carbonwatch bench copy for case {case.case_no}\n".encode()
        (full / "companies" / f"{case.case_no:03d}" / "reports" / "esg-2023.pdf").write_bytes(body)
    bench(f"the same sites serving full-size reports ({len(real)} real PDFs cycled, "
          f"{sum(p.stat().st_size for p in real) / len(real) / 2**20:.1f} MB mean)", full, cases, tmp, args.report, ("direct",))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
