"""Streaming commands of `carbonwatch`: watch, sources check (registered in carbonwatch.cli)."""
from __future__ import annotations

import sys

import click


@click.command()
@click.option("--sources", type=click.Path(exists=True, dir_okay=False), help="Sources CSV with a `feeds` column (rss:URL; sitemap:URL; cninfo:CODE; hkex:CODE; edgar:CIK). Default: CARBONWATCH_SOURCES.")
@click.option("--warehouse", type=click.Path(dir_okay=False), help="DuckDB file; a new one is first loaded with the report's 100 cases. Default: var/warehouse.duckdb.")
@click.option("--interval", type=click.FloatRange(min=0.1), help="Seconds between two polls (default CARBONWATCH_WATCH_INTERVAL or 60).")
@click.option("--once", is_flag=True, help="Poll once, process what is new, exit (for cron).")
@click.option("--raw-dir", type=click.Path(file_okay=False), help="Where fetched documents are stored, content-addressed.")
@click.option("--report", type=click.Path(exists=True, dir_okay=False), help="The 100-case report PDF (bootstrap source).")
@click.option("--outbox", type=click.Path(file_okay=False), help="Folder of the alert outbox alerts.jsonl.")
def watch(sources, warehouse, interval, once, raw_dir, report, outbox) -> None:
    """Poll the sources' feeds and run each new disclosure through the nightly's stages.

    Prints one line per disclosure with its latency (published → facts loaded and alerts
    delivered), publishes the read-only snapshot after each batch (so `carbonwatch query` sees
    the new facts while it runs), and stops cleanly on Ctrl-C / SIGTERM between two documents.
    Feed errors are printed and recorded (table feed_cursors); the watcher keeps going.
    """
    from common import settings
    from carbonwatch.orchestration.watch import Watcher

    conf = {"sources": sources, "warehouse": warehouse, "raw_dir": raw_dir, "report": report, "outbox": outbox}
    watcher = Watcher(conf, interval=interval or settings.watch_interval(), echo=click.echo)
    if not watcher.feeds:
        click.echo(f"carbonwatch watch: {watcher.ctx['sources']} names no feeds (column `feeds`)", err=True)
        sys.exit(2)
    click.echo(f"carbonwatch watch: {len(watcher.feeds)} feeds of {watcher.ctx['sources']} → {watcher.ctx['warehouse']}"
               + ("" if once else f", every {watcher.interval:g}s (Ctrl-C stops)"), err=True)
    totals = watcher.run(once=once)
    failed = sum(r["status"] != "done" for r in totals.processed)
    click.echo(f"carbonwatch watch: {totals.polls} feed polls ({totals.feed_errors} failed), "
               f"{len(totals.processed)} disclosures processed ({failed} not done), "
               f"{totals.replayed} seen before, {totals.duplicates} duplicates", err=True)


@click.group()
def sources() -> None:
    """The source registry (a CSV of companies: landing pages and disclosure feeds)."""


@sources.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def sources_check(file) -> None:
    """Validate a sources FILE: columns, URLs, feeds (kind:value). Lists the companies with
    neither a feed nor a landing page (of the report's 100 cases) and the feeds per kind.
    Exits 1 when the file is invalid."""
    from collections import Counter

    from extractors.sources import read_sources

    try:
        rows = read_sources(file)
    except ValueError as exc:
        click.echo(f"invalid: {exc}", err=True)
        sys.exit(1)
    covered = {r["case_no"] for r in rows if r["landing_url"] or r["feeds"]}
    kinds = Counter(f.split(":", 1)[0] for r in rows for f in r["feeds"])
    click.echo(f"{file}: {len(rows)} rows, {len(covered)} companies; "
               f"{sum(bool(r['landing_url']) for r in rows)} landing pages, {sum(kinds.values())} feeds"
               + (f" ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})" if kinds else ""))
    no_feed = sorted({r["case_no"] for r in rows if not r["feeds"]} - {r["case_no"] for r in rows if r["feeds"]})
    if no_feed:
        click.echo(f"companies with a landing page but no feed (crawled nightly only): {len(no_feed)}: "
                   + ", ".join(map(str, no_feed[:30])) + (" …" if len(no_feed) > 30 else ""))
    missing = sorted(set(range(1, 101)) - covered)
    click.echo(f"companies of the report's 100 cases with no feed and no landing page: {len(missing)}"
               + (": " + ", ".join(map(str, missing)) if missing else ""))
