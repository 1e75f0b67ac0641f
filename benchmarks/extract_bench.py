"""Speed and memory of the extraction layer.

    python benchmarks/extract_bench.py [PDF ...] [--large-pages N]

For every PDF (default: the shared reports and real PDFs, plus a generated N-page report,
default 300 pages, and a report of at least N pages concatenated from the real PDFs'
pages with pypdfium2, labelled "realpdfs-concat") it prints the page rate of
``extract_document`` (the whole layer: text, candidate pages, layout checks, structured
rows, rules; run the way ``carbonwatch extract`` runs it, in a capped child process) and of
raw pypdfium2 text extraction of every page, their ratio (goal >= 0.25), the peak RSS of a
fresh process doing the extraction (goal < 1 GiB on a 300-page report) and how many pages
each engine read: pypdfium2 reads every page, pdfplumber only the candidate pages chosen
for tables (within the layout budget) or for column order. Also times ``segment_cases`` on
the 100-case report (goal < 30 s).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from common.settings import shared_dir  # noqa: E402 (after the path insert)

SHARED = shared_dir()


def _pdfium_rate(path: str) -> tuple[int, float]:
    from extractors.pdftext import pdfium_texts

    t0 = time.perf_counter()
    n = len(pdfium_texts(path))
    return n, time.perf_counter() - t0


def _one(path: str) -> dict:
    """Run in a fresh process: extraction in-process, then report own peak RSS."""
    from extractors.document import extract_document

    t0 = time.perf_counter()
    doc = extract_document(path, isolate=False)
    dt = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"pages": doc.pages, "seconds": dt, "rss_mb": rss, "facts": len(doc.facts)}


def real_concat(out: Path, pages: int) -> Path | None:
    """A long real report: the real PDFs' pages, one after another, until ``pages``."""
    import pypdfium2 as pdfium

    sources = sorted((SHARED / "realpdfs").glob("*.pdf"))
    if not sources:
        return None
    merged = pdfium.PdfDocument.new()
    while len(merged) < pages:
        for src in sources:
            doc = pdfium.PdfDocument(str(src))
            merged.import_pages(doc, list(range(min(len(doc), pages - len(merged)))))
            doc.close()
            if len(merged) >= pages:
                break
    path = out / f"realpdfs-concat-{len(merged)}p.pdf"
    merged.save(str(path))
    merged.close()
    return path


def bench(path: str, repeat: int = 3) -> dict:
    from extractors.document import extract_document

    _pdfium_rate(path)  # warm the file cache
    raw = min(_pdfium_rate(path)[1] for _ in range(repeat))
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        doc = extract_document(path)  # as the CLI runs it: forked child with caps
        best = min(best or 1e9, time.perf_counter() - t0)
    proc = subprocess.run([sys.executable, __file__, "--one", path], capture_output=True,
                          text=True, check=True)
    one = json.loads(proc.stdout)
    n = doc.pages
    return {"file": Path(path).name, "pages": n, "extract_pps": n / best, "pdfium_pps": n / raw,
            "ratio": raw / best, "rss_mb": one["rss_mb"], "facts": len(doc.facts),
            "pdfium_pages": doc.stats.get("pdfium_pages", n), "plumber_pages": doc.stats.get("pdfplumber_pages", 0),
            "table_pages": doc.stats.get("table_pages", 0), "rows": len(doc.rows)}


LONG_PAGE_UNITS = {  # run-on text with no sentence end: the case that used to be quadratic
    "zh": "公司承诺2030年前实现碳达峰并于2060年前实现碳中和 可再生电力占比达到50% 较2020年减少排放30% ",
    "en": "We commit to net zero by 2050 and 100% renewable electricity by 2030 reducing emissions 42% ",
}


def long_page(chars: int = 200_000) -> None:
    """The rules on one page of `chars` characters (issue 13: 180-305 s before; goal < 60 s)."""
    from extractors.facts import extract_facts

    for lang, unit in LONG_PAGE_UNITS.items():
        text = (unit * (chars // len(unit) + 1))[:chars]
        t0 = time.perf_counter()
        facts = extract_facts([(1, text)], ref_year=2024)
        print(f"one {chars:,}-character page ({lang}): {time.perf_counter() - t0:.1f} s, {len(facts)} facts "
              "(goal < 60 s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pdfs", nargs="*")
    ap.add_argument("--large-pages", type=int, default=300)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--long-page-chars", type=int, default=200_000)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(_one(a.one)))
        return
    if a.long_page_chars:
        long_page(a.long_page_chars)
    pdfs = a.pdfs or [str(p) for p in sorted((SHARED / "reports").glob("*.pdf"))] + \
        [str(p) for p in sorted((SHARED / "realpdfs").glob("*.pdf"))]
    tmp = tempfile.TemporaryDirectory()
    if a.large_pages:
        sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
        import make_fixtures

        pdfs.append(str(make_fixtures.large(Path(tmp.name), pages=a.large_pages)))
        concat = real_concat(Path(tmp.name), a.large_pages)
        if concat is not None:
            pdfs.append(str(concat))
    print(f"{'file':30} {'pages':>5} {'extract p/s':>11} {'pdfium p/s':>10} {'ratio':>6} "
          f"{'peak RSS':>9} {'facts':>5} {'pypdfium2':>9} {'pdfplumber':>10} {'tables':>6} {'rows':>5}")
    tot = {"pages": 0.0, "ext": 0.0, "raw": 0.0, "pdfium": 0, "plumber": 0, "tables": 0}
    real = dict(tot)
    for p in pdfs:
        r = bench(p)
        for acc in (tot, real) if "realpdfs" in p else (tot,):
            acc["pages"] += r["pages"]
            acc["ext"] += r["pages"] / r["extract_pps"]
            acc["raw"] += r["pages"] / r["pdfium_pps"]
            acc["pdfium"] += r["pdfium_pages"]
            acc["plumber"] += r["plumber_pages"]
            acc["tables"] += r["table_pages"]
        print(f"{r['file'][:30]:30} {r['pages']:5d} {r['extract_pps']:11.0f} {r['pdfium_pps']:10.0f} "
              f"{r['ratio']:6.2f} {r['rss_mb']:7.0f}MB {r['facts']:5d} {r['pdfium_pages']:9d} "
              f"{r['plumber_pages']:10d} {r['table_pages']:6d} {r['rows']:5d}")
    for name, acc in (("ALL", tot), ("REAL REPORTS", real)):
        if acc["pages"]:
            print(f"{name:30} {int(acc['pages']):5d} {acc['pages'] / acc['ext']:11.0f} "
                  f"{acc['pages'] / acc['raw']:10.0f} {acc['raw'] / acc['ext']:6.2f}   pages read: "
                  f"pypdfium2 {acc['pdfium']}, pdfplumber {acc['plumber']} ({acc['tables']} for tables)")
    print("goal: ratio >= 0.25 of pypdfium2's raw page rate, peak RSS < 1024 MB on a 300-page report")
    report = SHARED / "reports" / "report100-2023.zh.pdf"
    if report.exists():
        from extractors.cases import case_record, segment_cases

        t0 = time.perf_counter()
        cases = segment_cases(str(report))
        n_facts = sum(len(case_record(c)["facts"]) for c in cases)
        print(f"segment_cases + case_record on {report.name}: {len(cases)} cases, {n_facts} facts, "
              f"{time.perf_counter() - t0:.1f} s (goal < 30 s)")
    tmp.cleanup()


if __name__ == "__main__":
    main()
