"""Streaming benchmark: disclosures published on a loopback feed while `carbonwatch watch` runs,
with the watcher stopped (SIGTERM) and restarted in the middle.

Prints p50 / p95 / max latency published → alerted-and-loaded (from the disclosures log), lost
and duplicated disclosures (both must be 0), and the cost of an idle poll: requests and CPU
seconds of the watcher process per minute while nothing is published.

Default (what `make bench` runs): 40 disclosures over 2 minutes, 10 companies, poll every 5 s,
30 s idle. The issue's full size: `python -m benchmarks.stream_bench --disclosures 200
--minutes 10` (about 12 minutes). Targets: embedded p95 < 30 s.
"""
from __future__ import annotations

import argparse
import csv
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import settings

COMPANIES = 10


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _start_watch(conf: dict, interval: float, env: dict, log: Path) -> subprocess.Popen:
    cli = Path(sys.executable).with_name("carbonwatch")
    return subprocess.Popen([str(cli), "watch", "--sources", conf["sources"], "--warehouse", conf["warehouse"],
                             "--raw-dir", conf["raw_dir"], "--outbox", conf["outbox"], "--interval", str(interval)],
                            env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen) -> float:
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=300)
    return time.monotonic() - t0


def _log_rows(warehouse: str) -> list[tuple]:
    import duckdb

    from warehouse.snapshot import reader_path

    con = duckdb.connect(str(reader_path(warehouse)), read_only=True)
    try:
        return con.execute("SELECT source_id, status, attempts, latency_s, document_id FROM disclosures").fetchall()
    finally:
        con.close()


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))]


def arguments(doc: str) -> argparse.Namespace:
    """The options both streaming benchmarks take (this one and airflow_stream_bench)."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--disclosures", type=int, default=40, help="how many to publish (issue: 200)")
    ap.add_argument("--minutes", type=float, default=2.0, help="over how long (issue: 10)")
    ap.add_argument("--interval", type=float, default=5.0, help="the watcher's poll interval, seconds")
    ap.add_argument("--idle", type=float, default=30.0, help="seconds of idle polling to measure")
    ap.add_argument("--report", default=settings.Settings.load().report, help="the 100-case report")
    return ap.parse_args()


def prepare_bench(report: str, prefix: str) -> tuple[Path, list, dict, dict]:
    """A temporary folder with the mirror of the first COMPANIES cases and a warehouse
    bootstrapped from the report; returns (folder, cases, mirror roots, conf paths)."""
    from carbonwatch.demo.mirror import build_mirror
    from extractors.cases import case_record, segment_cases
    from warehouse.db import connect
    from warehouse.runs import bootstrap

    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    cases = segment_cases(report)
    chosen = cases[:COMPANIES]
    roots = build_mirror(chosen, tmp / "mirror", edits=())
    conf = {"warehouse": str(tmp / "wh.duckdb"), "raw_dir": str(tmp / "raw"), "outbox": str(tmp / "alerts"),
            "sources": str(tmp / "sources.csv")}
    con = connect(conf["warehouse"])
    bootstrap(con, report, [case_record(c) for c in cases], run_id="bootstrap-bench")
    con.close()
    return tmp, chosen, roots, conf


def write_feeds_sources(path: str, chosen: list) -> None:
    """The sources file: one cninfo-shaped feed per company (the demo's made-up codes)."""
    from carbonwatch.demo.stream import demo_code

    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["case_no", "name", "landing_url", "feeds"]] +
                                 [[c.case_no, c.name, "", f"cninfo:{demo_code(c.case_no)}"] for c in chosen])


def publish_schedule(feeds, chosen: list, roots: dict, args, restart) -> list:
    """args.disclosures over args.minutes on the feed, round-robin over the companies, each PDF
    its own document; restart() is called right after the middle one. Returns the announcements."""
    from carbonwatch.demo.stream import demo_code

    gap = args.minutes * 60 / args.disclosures
    published = []
    started = time.monotonic()
    for i in range(args.disclosures):
        case = chosen[i % COMPANIES]
        pdf = roots[1] / "companies" / f"{case.case_no:03d}" / "reports" / "esg-2023.pdf"
        body = pdf.read_bytes() + f"\n%bench disclosure {i}\n".encode()  # each its own document
        published.append(feeds.publish(case_no=case.case_no, company=case.name, code=demo_code(case.case_no),
                                       title=f"{2000 + i}年度可持续发展报告", pdf=body))
        if i == args.disclosures // 2:
            restart(i)
        time.sleep(max(0.0, started + (i + 1) * gap - time.monotonic()))
    return published


def wait_finished(warehouse: str, wanted: set[str], timeout: float) -> list[tuple]:
    """Wait until every wanted disclosure is finished in the disclosures log; returns their rows."""
    from carbonwatch.demo.feeds import wait_until

    def finished() -> bool:
        try:
            return {r[0] for r in _log_rows(warehouse) if r[1] in ("done", "gave_up")} >= wanted
        except Exception:  # noqa: BLE001 — a snapshot being replaced: ask again
            return False

    wait_until(finished, timeout, step=2)
    return [r for r in _log_rows(warehouse) if r[0] in wanted]


def report(label: str, rows: list[tuple], wanted: set[str], target: str) -> bool:
    """Print latency, lost and processed-twice; True when nothing was lost or processed twice."""
    latencies = [r[3] for r in rows if r[1] == "done" and r[3] is not None]
    lost = len(wanted - {r[0] for r in rows if r[1] == "done"})
    duplicated = sum(1 for r in rows if r[2] > 1) + (len(rows) - len({r[0] for r in rows}))
    docs = len({r[4] for r in rows if r[4]})
    print(label)
    if latencies:
        print(f"  latency published → alerted: p50 {statistics.median(latencies):.1f}s  p95 {_pct(latencies, 95):.1f}s  "
              f"max {max(latencies):.1f}s  ({target})")
    print(f"  lost {lost}, processed twice {duplicated}, documents {docs} for {len(wanted)} disclosures")
    return not (lost or duplicated)


def main() -> None:
    args = arguments(__doc__)
    from carbonwatch.demo.feeds import FeedServer, wait_until

    tmp, chosen, roots, conf = prepare_bench(args.report, "cw-stream-bench-")
    log = tmp / "watch.log"
    with FeedServer() as feeds:
        write_feeds_sources(conf["sources"], chosen)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CARBONWATCH_")} | feeds.env() | {
            "CARBONWATCH_REPORT": args.report, "GX_ANALYTICS_ENABLED": "false"}
        proc = _start_watch(conf, args.interval, env, log)
        assert wait_until(lambda: feeds.hits.get("/new/hisAnnouncement/query", 0) >= COMPANIES, 300), log.read_text()[-2000:]
        restart = {}

        def restart_watcher(i: int) -> None:
            nonlocal proc
            restart["stop_s"] = _stop(proc)  # SIGTERM mid-stream: stops between documents
            proc = _start_watch(conf, args.interval, env, log)
            restart["at"] = i

        print(f"publishing {args.disclosures} disclosures over {args.minutes:g} min on {feeds.base_url} "
              f"({COMPANIES} companies, cninfo-shaped), watcher polling every {args.interval:g}s …", flush=True)
        published = publish_schedule(feeds, chosen, roots, args, restart_watcher)
        wanted = {f"cninfo:{a.announcement_id}" for a in published}
        rows = wait_finished(conf["warehouse"], wanted, 600)
        # idle: nothing new; requests to the feed and the watcher's CPU per minute
        hits0, cpu0, t0 = sum(feeds.hits.values()), _cpu_seconds(proc.pid), time.monotonic()
        time.sleep(args.idle)
        idle_min = (time.monotonic() - t0) / 60
        idle_requests = (sum(feeds.hits.values()) - hits0) / idle_min
        idle_cpu = (_cpu_seconds(proc.pid) - cpu0) / idle_min
        _stop(proc)
    ok = report(f"embedded watcher: {len(rows)} disclosures, restart (SIGTERM, {restart.get('stop_s', 0):.1f}s to stop) "
                f"after #{restart.get('at')}", rows, wanted, "target p95 < 30 s")
    print(f"  idle poll cost: {idle_requests:.1f} requests/min ({COMPANIES} feeds, every {args.interval:g}s), "
          f"{idle_cpu:.2f} CPU s/min of the watcher process")
    print(f"  load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; files: {tmp} (watch log {log})")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
