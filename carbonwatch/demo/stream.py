"""The demo's streaming act: the edition-2 reports arrive as disclosures on a loopback feed
instead of being found by a nightly crawl.

A copy of the warehouse as the first nightly run left it (edition 1: every company's baseline)
is watched by the embedded watcher (carbonwatch watch) while a loopback feed — an RSS feed per
company and a cninfo-shaped announcement search, built from the mirror — publishes the edited
companies' 2024 reports one by one. Each becomes facts, history and an alert; the act prints
each disclosure's latency (published → alert delivered) and a summary.
"""
from __future__ import annotations

import csv
import logging
import os
import shutil
import statistics
import threading
import time
from contextlib import contextmanager
from pathlib import Path


def demo_code(case_no: int) -> str:
    """A made-up stock code for a demo company (999xxx is no exchange's range)."""
    return f"999{case_no:03d}"


@contextmanager
def _environment(values: dict):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def write_feed_sources(path: Path, companies: list[tuple[int, str]], base_url: str) -> Path:
    """A sources CSV of feeds only: every other company on cninfo, the others on their own RSS feed."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["case_no", "name", "landing_url", "feeds", "notes"])
        for i, (case_no, name) in enumerate(companies):
            feed = f"cninfo:{demo_code(case_no)}" if i % 2 == 0 else f"rss:{base_url}/rss/{demo_code(case_no)}.xml"
            w.writerow([case_no, name, "", feed, "demo feed on 127.0.0.1 (made-up code)"])
    return path


def streaming_act(baseline_warehouse: Path, roots: dict, names: dict[int, str], var: Path, conf: dict,
                  echo=print, pause: float = 2.0, timeout: float = 300.0) -> dict:
    """Publish each edited company's 2024 report on the loopback feed, one by one, and watch.
    Returns {"latencies": [...], "alerts": n, "expected": n, "ok": bool}."""
    from carbonwatch.demo.feeds import FeedServer, wait_until
    from carbonwatch.demo.mirror import EDITION2_EDITS, case_dir_name
    from carbonwatch.orchestration.watch import Watcher, disclosure_line

    warehouse = var / "stream.duckdb"
    for old in (warehouse, warehouse.with_name("stream.snapshot.duckdb")):
        old.unlink(missing_ok=True)
    shutil.copy(baseline_warehouse, warehouse)
    companies = [(e.case_no, names[e.case_no]) for e in EDITION2_EDITS]
    rows: list[dict] = []
    conf = {k: v for k, v in conf.items() if k != "gx_root"}  # beside this act's warehouse
    quiet = logging.getLogger("carbonwatch")  # the act prints one line per disclosure, not the stages' logs
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    with FeedServer() as feeds, _environment(feeds.env()):
        sources = write_feed_sources(var / "stream-sources.csv", companies, feeds.base_url)
        stop = threading.Event()
        watcher = Watcher(conf | {"sources": str(sources), "warehouse": str(warehouse), "outbox": str(var / "stream-alerts")},
                          interval=1.0, stop=stop, echo=lambda line: (echo("    " + line) if "latency" not in line else None))
        watcher.open()  # warm: imports done before the first disclosure is published
        runner = threading.Thread(target=watcher.run, name="watch", daemon=True)
        runner.start()
        try:
            for case_no, name in companies:
                pdf = roots[2] / "companies" / case_dir_name(case_no) / "reports" / "esg-2024.pdf"
                item = feeds.publish(case_no=case_no, company=name, code=demo_code(case_no),
                                     title="2024年度可持续发展报告", pdf=pdf)
                echo(f"    published {name} 2024 report ({'cninfo' if companies.index((case_no, name)) % 2 == 0 else 'RSS'}, "
                     f"announcement {item.announcement_id}) …")
                wait_until(lambda: any(r["source_id"].endswith(item.announcement_id) for r in watcher.totals.processed),
                           timeout)
                done = [r for r in watcher.totals.processed if r["source_id"].endswith(item.announcement_id)]
                rows += done
                for r in done:
                    echo("    " + disclosure_line(r))
                time.sleep(pause)
        finally:
            stop.set()
            runner.join(timeout=120)
            quiet.setLevel(level)
    latencies = [r["latency_s"] for r in rows if r.get("latency_s") is not None]
    alerts = sum(r.get("alerts") or 0 for r in rows)
    ok = len(rows) == len(companies) and all(r["status"] == "done" and r.get("alerts") for r in rows)
    if latencies:
        echo(f"    streaming: {len(rows)}/{len(companies)} disclosures, {alerts} alerts; latency published → alerted "
             f"p50 {statistics.median(latencies):.1f}s, max {max(latencies):.1f}s")
    return {"latencies": latencies, "alerts": alerts, "expected": len(companies), "ok": ok}
