"""`make demo`: the nightly pipeline end to end on the offline mirror, three runs, one summary."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from common import settings

DEFAULT_SOURCES = settings.REPO / "sources" / "mirror.csv"
DEFAULT_PORT = 8765


def run_demo(report: str | None, var: str | None, port: int, echo=print) -> int:
    from carbonwatch.demo.mirror import EDITION2_EDITS, MirrorServer, build_mirror, write_sources
    from carbonwatch.orchestration.runner import run_nightly
    from carbonwatch.reporting.summary import run_line, runs_table, summarize
    from extractors.cases import segment_cases
    from warehouse.db import connect

    conf = settings.resolve({"report": report})
    var = Path(var or settings.var_dir() / "demo").resolve()
    for old in ("warehouse.duckdb", "raw", "mirror", "alerts", "logs", "edition1.duckdb", "stream-alerts"):
        target = var / old
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    started = time.monotonic()
    echo(f"1/6 segmenting the report into its cases: {conf['report']}")
    cases = segment_cases(conf["report"])
    echo(f"    {len(cases)} cases" + (f"; a new warehouse also loads the second seed report {conf['second_report']}"
                                        if conf.get("second_report") else ""))
    echo(f"2/6 building the offline mirror (edition 2 changes {len(EDITION2_EDITS)} targets)")
    roots = build_mirror(cases, var / "mirror")
    try:
        server = MirrorServer(roots[1], port=port).start()
    except OSError:
        server = MirrorServer(roots[1], port=0).start()
    sources = DEFAULT_SOURCES
    if server.base_url != f"http://127.0.0.1:{DEFAULT_PORT}" or not sources.exists():
        sources = write_sources(cases, var / "sources.csv", server.base_url)
    echo(f"    serving on {server.base_url}; sources {sources}")
    conf |= {"sources": str(sources), "warehouse": str(var / "warehouse.duckdb"), "raw_dir": str(var / "raw"),
             "outbox": str(var / "alerts")}
    states = []
    try:
        for step, (label, edition) in enumerate(
            (("edition 1 (new warehouse: bootstrap + first crawl)", 1), ("edition 2 (changed targets)", 2),
             ("edition 2 again (nothing changed)", 2)), start=3):
            server.root = roots[edition]
            echo(f"{step}/6 nightly run on {label} …")
            t0 = time.monotonic()
            states.append(run_nightly(conf, var / "logs" / f"run{step - 2}.log"))
            con = connect(conf["warehouse"], read_only=True)
            last = runs_table(con)[-1]
            con.close()
            echo(f"    {time.monotonic() - t0:.0f}s with Airflow start-up — {run_line(last)}")
            if edition == 1:  # the streaming act starts from here: every company's baseline
                shutil.copy(conf["warehouse"], var / "edition1.duckdb")
    finally:
        server.stop()
    echo("")
    echo(summarize(conf["warehouse"]))
    con = connect(conf["warehouse"], read_only=True)
    third = runs_table(con)[-1]
    con.close()
    idle = not any(third[k] for k in ("documents_new", "facts_added", "history_rows", "alerts"))
    echo(f"\nthird run added nothing: {'yes' if idle else 'NO'}; demo took {time.monotonic() - started:.0f}s; "
         f"logs in {var / 'logs'}")
    from carbonwatch.reporting.html import write_report
    from warehouse.snapshot import connect_reader

    con = connect_reader(conf["warehouse"])
    try:
        html_report = write_report(con, var / "report.html", progress=False)
    finally:
        con.close()
    echo(f"HTML report with charts: {html_report}")
    echo("query it (read-only snapshot):")
    echo(f"  .venv/bin/carbonwatch query -w {conf['warehouse']} "
         "\"SELECT company, metric, old_value, new_value, new_evidence FROM v_target_changes\"")
    echo(f"  .venv/bin/carbonwatch query -w {conf['warehouse']} "
         "\"SELECT report, report_case_no, name_in_report, company, case_no FROM v_report_cases WHERE cases_of_company > 1\"")
    from carbonwatch.demo.stream import streaming_act

    echo(f"6/6 streaming: the edition-2 reports arrive one by one on a loopback feed (RSS + cninfo-shaped JSON); "
         f"`carbonwatch watch` on a copy of the warehouse after run 1 …")
    act = streaming_act(var / "edition1.duckdb", roots, {c.case_no: c.name for c in cases}, var, conf, echo=echo)
    echo(f"    streaming alerts: {act['alerts']} for {act['expected']} disclosures "
         f"({'each alerted' if act['ok'] else 'NOT all alerted'}); warehouse {var / 'stream.duckdb'}")
    return 0 if all(s == "success" for s in states) and idle and act["ok"] else 1
