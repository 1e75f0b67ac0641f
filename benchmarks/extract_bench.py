"""Speed and memory of the extraction layer.

    python benchmarks/extract_bench.py [PDF ...] [--large-pages N]

For every PDF (default: the shared reports and real PDFs, plus a generated N-page report,
default 300 pages) it prints the page rate of ``extract_document`` (the whole layer: text,
candidate pages, layout checks, rules; run the way ``carbonwatch extract`` runs it, in a
capped child process) and of raw pypdfium2 text extraction of every page, their ratio
(goal >= 0.25) and the peak RSS of a fresh process doing the extraction (goal < 1 GiB on
a 300-page report). Also times ``segment_cases`` on the 100-case report (goal < 30 s).
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
            "ratio": raw / best, "rss_mb": one["rss_mb"], "facts": len(doc.facts)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pdfs", nargs="*")
    ap.add_argument("--large-pages", type=int, default=300)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(_one(a.one)))
        return
    pdfs = a.pdfs or [str(p) for p in sorted((SHARED / "reports").glob("*.pdf"))] + \
        [str(p) for p in sorted((SHARED / "realpdfs").glob("*.pdf"))]
    tmp = tempfile.TemporaryDirectory()
    if a.large_pages:
        sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
        import make_fixtures

        pdfs.append(str(make_fixtures.large(Path(tmp.name), pages=a.large_pages)))
    print(f"{'file':30} {'pages':>5} {'extract p/s':>11} {'pdfium p/s':>10} {'ratio':>6} "
          f"{'peak RSS':>9} {'facts':>5}")
    tot_pages = tot_ext = tot_raw = 0.0
    for p in pdfs:
        r = bench(p)
        tot_pages += r["pages"]
        tot_ext += r["pages"] / r["extract_pps"]
        tot_raw += r["pages"] / r["pdfium_pps"]
        print(f"{r['file'][:30]:30} {r['pages']:5d} {r['extract_pps']:11.0f} {r['pdfium_pps']:10.0f} "
              f"{r['ratio']:6.2f} {r['rss_mb']:7.0f}MB {r['facts']:5d}")
    print(f"{'ALL':30} {int(tot_pages):5d} {tot_pages / tot_ext:11.0f} {tot_pages / tot_raw:10.0f} "
          f"{tot_raw / tot_ext:6.2f}   (goal: ratio >= 0.25, peak RSS < 1024 MB)")
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
