"""The `carbonwatch` command line. Every command has --help."""
from __future__ import annotations

import json
import sys

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="carbonwatch")
def main() -> None:
    """carbonwatch: corporate climate targets from ESG/CSR reports into DuckDB."""


def _emit(obj: dict) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


@main.command()
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False))
def cases(pdf: str) -> None:
    """Print one JSON object per company case of the 100-case report PDF.

    {"case_no", "name", "sector", "industry", "pages": [...], "facts": [...]}
    """
    from extractors.cases import case_record, segment_cases

    for case in segment_cases(pdf):
        _emit(case_record(case))


@main.command()
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


if __name__ == "__main__":
    main()
