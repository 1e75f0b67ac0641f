"""Streaming benchmark under Airflow: the same publishing schedule as stream_bench (N disclosures
over M minutes on a loopback cninfo-shaped feed, 10 companies, each PDF its own document), watched
by carbonwatch_disclosures' AssetWatcher under a real `airflow standalone` (scheduler,
dag-processor, triggerer, api-server; LocalExecutor, SQLite) on 127.0.0.1. In the middle the
WHOLE standalone is restarted: SIGTERM to its process group (SIGKILL after 30 s), wait, start
again, while publishing goes on.

Prints p50 / p95 / max latency published → alerted-and-loaded (from the warehouse's disclosures
log, like stream_bench), lost and processed-twice disclosures (both must be 0, else exit 1), the
runs the DAG needed, and the cost of an idle poll: feed requests per minute and CPU seconds per
minute of the triggerer (the watcher; its own heartbeats included) and of all of Airflow.

Default (what `make bench` runs): 40 disclosures over 2 minutes, poll every 5 s, 30 s idle
(about 7 minutes). The issue's full size: `python -m benchmarks.airflow_stream_bench
--disclosures 200 --minutes 10` (about 16 minutes). Target: p95 < 3 minutes.
"""
from __future__ import annotations

import os
import sys
import threading
import time

from benchmarks.stream_bench import (COMPANIES, arguments, prepare_bench, publish_schedule, report, wait_finished,
                                     write_feeds_sources)

DAG_ID = "carbonwatch_disclosures"


def _cpu(procs) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except Exception:  # noqa: BLE001 — a process that ended meanwhile
            pass
    return total


def _airflow_processes(airflow, name: str | None = None) -> list:
    """The standalone's processes (psutil), or those of one component (`airflow triggerer` and its
    children)."""
    import psutil

    root = psutil.Process(airflow.proc.pid)
    every = [root] + root.children(recursive=True)
    if name is None:
        return every
    top = [p for p in every if p.cmdline()[-1:] == [name]]
    return list({p.pid: p for p in top + [c for p in top for c in p.children(recursive=True)]}.values())


def main() -> None:
    args = arguments(__doc__)
    from carbonwatch.demo.feeds import FeedServer, wait_until
    from carbonwatch.demo.standalone import Airflow
    from warehouse.snapshot import publish_snapshot

    tmp, chosen, roots, conf = prepare_bench(args.report, "cw-airflow-stream-bench-")
    publish_snapshot(conf["warehouse"])  # the trigger reads only the snapshot
    airflow = Airflow(tmp / "airflow-home", start_timeout=600)
    airflow.home.mkdir()
    with FeedServer() as feeds:
        write_feeds_sources(conf["sources"], chosen)
        settings_env = feeds.env() | {
            "CARBONWATCH_SOURCES": conf["sources"], "CARBONWATCH_WAREHOUSE": conf["warehouse"],
            "CARBONWATCH_VAR": str(tmp), "CARBONWATCH_RAW": conf["raw_dir"], "CARBONWATCH_REPORT": args.report,
            "CARBONWATCH_SECOND_REPORT": "none", "CARBONWATCH_WATCH_INTERVAL": str(args.interval)}
        base_env = airflow.env
        airflow.env = lambda: base_env() | settings_env
        restart: dict = {}
        try:
            t0 = time.monotonic()
            airflow.start()
            airflow.login()
            airflow.wait_for_dags(DAG_ID, timeout=300)
            polls = feeds.hits.get("/new/hisAnnouncement/query", 0)
            airflow.api("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False})  # watchers run for unpaused DAGs only
            assert wait_until(lambda: feeds.hits.get("/new/hisAnnouncement/query", 0) >= polls + COMPANIES, 300), \
                "the triggerer never polled the feeds:\n" + airflow.log_tail()
            print(f"airflow standalone up and watching in {time.monotonic() - t0:.0f}s", flush=True)

            def restart_standalone() -> None:
                t = time.monotonic()
                airflow.stop()  # SIGTERM to the process group, SIGKILL after 30 s
                restart["stop_s"] = time.monotonic() - t
                t = time.monotonic()
                airflow.start()
                airflow.login()
                restart["start_s"] = time.monotonic() - t

            def in_background(i: int) -> None:  # publishing goes on while Airflow restarts
                restart["at"] = i
                restart["thread"] = threading.Thread(target=restart_standalone, name="restart", daemon=True)
                restart["thread"].start()

            print(f"publishing {args.disclosures} disclosures over {args.minutes:g} min on {feeds.base_url} "
                  f"({COMPANIES} companies, cninfo-shaped), trigger polling every {args.interval:g}s …", flush=True)
            published = publish_schedule(feeds, chosen, roots, args, in_background)
            restart["thread"].join()
            wanted = {f"cninfo:{a.announcement_id}" for a in published}
            rows = wait_finished(conf["warehouse"], wanted, 1200)
            runs = airflow.api("GET", f"/dags/{DAG_ID}/dagRuns", params={"limit": 1000})["dag_runs"]
            # idle: nothing new; feed requests, and CPU of the triggerer and of all of Airflow, per minute
            time.sleep(2 * args.interval)  # the last run's snapshot read settles the trigger's flow control
            triggerer, everything = _airflow_processes(airflow, "triggerer"), _airflow_processes(airflow)
            hits0, cpu_trig0, cpu_all0, t0 = sum(feeds.hits.values()), _cpu(triggerer), _cpu(everything), time.monotonic()
            time.sleep(args.idle)
            idle_min = (time.monotonic() - t0) / 60
            idle_requests = (sum(feeds.hits.values()) - hits0) / idle_min
            idle_trig = (_cpu(triggerer) - cpu_trig0) / idle_min
            idle_all = (_cpu(everything) - cpu_all0) / idle_min
        except BaseException:
            print(airflow.log_tail())
            raise
        finally:
            airflow.stop()
    states = {}
    for r in runs:
        states[r["state"]] = states.get(r["state"], 0) + 1
    ok = report(f"airflow standalone: {len(rows)} disclosures in {len(runs)} runs of {DAG_ID} "
                f"({', '.join(f'{n} {s}' for s, n in sorted(states.items()))}); restart of the whole standalone after "
                f"#{restart.get('at')} (SIGTERM: {restart.get('stop_s', 0):.0f}s to stop, "
                f"{restart.get('start_s', 0):.0f}s to be healthy again)", rows, wanted, "target p95 < 180 s")
    print(f"  idle poll cost: {idle_requests:.1f} requests/min ({COMPANIES} feeds, every {args.interval:g}s); "
          f"CPU s/min: triggerer {idle_trig:.2f}, all of Airflow {idle_all:.2f}")
    print(f"  load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; files: {tmp} "
          f"(Airflow log {airflow.log})")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
