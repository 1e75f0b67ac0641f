"""The `carbonwatch` command line: one group, every subcommand registered here. Every command has --help.

pipeline.py  cases, extract, run, mirror, demo (the writers and the extraction)
analyst.py   summary, query, alerts, export, report (read the warehouse's snapshot)
stream.py    watch, sources check (disclosure feeds)
review.py    review (list the facts waiting for review; accept / reject write, then publish the snapshot)
"""
from __future__ import annotations

import click

from carbonwatch.cli import analyst, pipeline, review, stream


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="carbonwatch")
def main() -> None:
    """carbonwatch: corporate climate targets from ESG/CSR reports into DuckDB."""


for command in (pipeline.cases, pipeline.extract, pipeline.run, pipeline.mirror, pipeline.demo,
                analyst.summary, analyst.query, analyst.alerts, analyst.export, analyst.report, review.review,
                stream.watch, stream.sources):
    main.add_command(command)
