"""Pipeline commands of `carbonwatch`: cases, extract, run, mirror, demo (registered in carbonwatch.cli)."""
from __future__ import annotations

import json
import sys

import click


def _emit(obj: dict) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


@click.command()
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False))
def cases(pdf: str) -> None:
    """Print one JSON object per company case of a seed report PDF.

    {"case_no", "name", "sector", "industry", "pages": [...], "facts": [...]}: the 100-case
    report (cases headed by name / sector / industry and 公司简介); a report of titled cases
    ("公司：标题", listed in a numbered case list, e.g. the AmCham dual-carbon report) adds
    "title", with sector and industry null.
    """
    from extractors.cases import case_record, segment_cases

    try:
        found = segment_cases(pdf)
    except Exception as exc:  # pypdfium2 / pdfplumber on a file that is not a readable PDF
        raise click.ClickException(f"{pdf}: not a readable PDF ({type(exc).__name__}: "
                                   f"{str(exc).splitlines()[0] if str(exc) else 'no detail'})") from None
    if not found:
        raise click.ClickException(f"{pdf}: no company cases found (expected the 100-case report, whose "
                                   "cases each start with a 公司简介 section)")
    for case in found:
        _emit(case_record(case))


@click.command()
@click.argument("pdfs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def extract(pdfs: tuple[str, ...]) -> None:
    """Print one JSON object per document: {"file", "pages", "facts": [...]}.

    A document that cannot be read gets {"file", "error"} and the exit code is 1.
    """
    from extractors.document import DocumentError, extract_document

    failed = 0
    for path in pdfs:
        try:
            _emit(extract_document(path).record())
        except DocumentError as exc:
            failed += 1
            _emit({"file": exc.file, "pages": None, "facts": [], "error": str(exc)})
            click.echo(f"carbonwatch extract: {exc.file}: {exc}", err=True)
    sys.exit(1 if failed else 0)


def _run_conf(sources, warehouse, report, raw_dir, second_report=None) -> dict:
    from common import settings

    return settings.resolve({"sources": sources, "warehouse": warehouse, "report": report, "raw_dir": raw_dir,
                             "second_report": second_report})


def preflight(conf: dict) -> None:
    """Every check that needs no write, before anything is written (no bootstrap, no Airflow):
    the sources file, the warehouse file (a carbonwatch warehouse, or none yet) and, for a new
    warehouse, the report it is bootstrapped from. Raises ClickException with one line."""
    from pathlib import Path

    from common import settings
    from extractors.sources import read_sources
    from warehouse.db import NotAWarehouse, check_warehouse

    try:
        read_sources(conf["sources"], settings.max_sources())
        version = check_warehouse(conf["warehouse"])
    except (ValueError, NotAWarehouse, OSError) as exc:
        raise click.ClickException(str(exc).splitlines()[0]) from None
    if version is None and not Path(conf["report"]).is_file():
        raise click.ClickException(f"a new warehouse is bootstrapped from the 100-case report: {conf['report']} "
                                   "not found (--report or CARBONWATCH_REPORT)")
    if version is None and conf.get("second_report") and not Path(conf["second_report"]).is_file():
        raise click.ClickException(f"a new warehouse also loads the second seed report: {conf['second_report']} "
                                   "not found (--second-report, CARBONWATCH_SECOND_REPORT, or 'none')")


EXIT_BUSY = 75  # EX_TEMPFAIL: another writer holds the warehouse; try again later


@click.command()
@click.option("--sources", type=click.Path(exists=True, dir_okay=False), help="Sources CSV: case_no,name,landing_url[,allowed_domains,seed_urls,notes]. Default: sources/mirror.csv.")
@click.option("--warehouse", type=click.Path(dir_okay=False), help="DuckDB file; a new one is first loaded with the report's 100 cases. Default: var/warehouse.duckdb.")
@click.option("--report", type=click.Path(exists=True, dir_okay=False), help="The 100-case report PDF (bootstrap source).")
@click.option("--second-report", help="A second seed report of titled cases loaded with it into a new warehouse "
              "(default: ../shared/reports/amcham-dual-carbon.zh.pdf; 'none': only the 100-case report).")
@click.option("--raw-dir", type=click.Path(file_okay=False), help="Where fetched documents are stored, content-addressed.")
@click.option("--log-file", type=click.Path(dir_okay=False), help="Airflow's task logs (default: var/logs/run-<time>.log).")
@click.option("--verbose", is_flag=True, help="Show Airflow's task logs instead of writing them to the log file.")
@click.option("--wait", "lock_wait", type=float, default=None, help="Seconds to wait for another run on the same warehouse to finish (default: $CARBONWATCH_LOCK_WAIT or 0).")
def run(sources, warehouse, report, second_report, raw_dir, log_file, verbose, lock_wait) -> None:
    """Run the nightly DAG (carbonwatch_nightly) once, in-process, over SOURCES.

    Exits 0 when the run completed, even if some documents failed: failures are rows in the
    warehouse's documents and fetch_log tables. Exits 1 when the run itself failed or the
    input is bad (one line, before anything is written), 75 when another run holds the
    warehouse ("warehouse busy"), 128+N when stopped by signal N (SIGTERM, Ctrl-C): the run
    stops between steps and is recorded as stopped.
    """
    from datetime import datetime
    from pathlib import Path

    from common import interrupt, settings
    from carbonwatch.orchestration.runner import run_once
    from carbonwatch.reporting.summary import run_line, runs_table
    from warehouse.db import connect
    from warehouse.guard import WarehouseBusy, end_run, writer_lock

    conf = _run_conf(sources, warehouse, report, raw_dir, second_report)
    preflight(conf)
    log = None if verbose else Path(log_file or settings.var_dir() / "logs" / f"run-{datetime.now():%Y%m%dT%H%M%S}.log")
    wait = settings.lock_wait() if lock_wait is None else lock_wait
    try:
        with writer_lock(conf["warehouse"], "carbonwatch run (starting)", wait=wait) as lock:
            click.echo(f"carbonwatch run: sources {conf['sources']} → warehouse {conf['warehouse']}"
                       + (f" (Airflow logs: {log})" if log else ""), err=True)
            previous = interrupt.install()
            try:
                state, run_id = run_once(conf, log, on_run_id=lambda rid: lock.note(f"run {rid}"))
            finally:
                interrupt.restore(previous)
            if not Path(conf["warehouse"]).exists():  # the run failed before it made one
                raise click.ClickException(f"the DAG run ended {state}" + (f"; see {log}" if log else ""))
            con = connect(conf["warehouse"])
            try:
                if interrupt.requested():
                    end_run(con, run_id, "stopped", interrupt.reason())
                else:  # a run the DAG did not close (a task failed before alert) says so
                    end_run(con, run_id, "failed", f"the DAG run ended {state}" + (f"; see {log}" if log else ""))
                con.execute("CHECKPOINT")
                mine = runs_table(con, [run_id])
            finally:
                con.close()
    except WarehouseBusy as exc:
        click.echo(f"carbonwatch run: {exc}", err=True)
        sys.exit(EXIT_BUSY)
    for r in mine:
        click.echo(run_line(r))
    if interrupt.requested():
        click.echo(f"carbonwatch run: run {run_id} {interrupt.reason()}; recorded as stopped", err=True)
        sys.exit(143 if "SIGTERM" in (interrupt.reason() or "") else 130)
    if state != "success":
        click.echo(f"carbonwatch run: the DAG run ended {state}" + (f"; see {log}" if log else ""), err=True)
        sys.exit(1)


@click.group()
def mirror() -> None:
    """The offline mirror of the 100 company sites (built from the report, served on 127.0.0.1)."""


@mirror.command("build")
@click.option("--report", type=click.Path(exists=True, dir_okay=False), help="The 100-case report PDF.")
@click.option("--out", type=click.Path(file_okay=False), help="Output folder (default var/mirror).")
def mirror_build(report, out) -> None:
    """Write edition1/ and edition2/ of the mirror (landing pages + report PDFs)."""
    from pathlib import Path

    from common import settings
    from carbonwatch.demo.mirror import build_mirror
    from extractors.cases import segment_cases

    conf = settings.resolve({"report": report})
    out = Path(out or settings.var_dir() / "mirror")
    roots = build_mirror(segment_cases(conf["report"]), out)
    for edition, root in roots.items():
        click.echo(f"edition {edition}: {root}")


@mirror.command("serve")
@click.option("--root", type=click.Path(exists=True, file_okay=False), help="Edition folder (default var/mirror/edition1).")
@click.option("--port", default=8765, show_default=True, help="Port on 127.0.0.1.")
def mirror_serve(root, port) -> None:
    """Serve a mirror edition on http://127.0.0.1:PORT until interrupted."""
    import time
    from pathlib import Path

    from common import settings
    from carbonwatch.demo.mirror import MirrorServer

    root = Path(root or settings.var_dir() / "mirror" / "edition1")
    with MirrorServer(root, port=port) as server:
        click.echo(f"serving {root} on {server.base_url} (Ctrl-C to stop)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


@click.command()
@click.option("--report", type=click.Path(exists=True, dir_okay=False), help="The 100-case report PDF.")
@click.option("--var", "var", type=click.Path(file_okay=False), help="Folder for the demo's files (default var/demo).")
@click.option("--port", default=8765, show_default=True, help="Mirror port on 127.0.0.1 (the default sources file uses 8765).")
def demo(report, var, port) -> None:
    """The whole nightly pipeline, three times, on the offline mirror, with a summary.

    Builds the mirror from the report, serves it on 127.0.0.1, runs the DAG on edition 1,
    switches to edition 2 (a few changed targets) and runs again, then runs a third time with
    nothing changed (which must add no facts, history rows or alerts).
    """
    from carbonwatch.demo.run import run_demo

    sys.exit(run_demo(report=report, var=var, port=port, echo=click.echo))
