"""The history update (`detect_changes`: warehouse.history.update_history) for N SYNTHETIC
companies, each with one new report a night.

A warehouse is bootstrapped from the 100-case report; N companies of the user's sources are
registered under the ids `synthetic-NNNNN` (labelled SYNTHETIC, landing pages on 127.0.0.1:9,
never fetched). Night 1 loads one report per company whose facts are those the 100-case report's
case ((k - 1) mod 100) + 1 yielded (real extractions, copied): the company's baseline. Night 2
loads a newer report with the facts of the next case: targets change, history rows close and
open, alerts and review items are written. Night 3 finds the same reports again: nothing to
diff (what an unchanged night costs). Each night's load (warehouse.loads.load_batch) is apart;
only update_history is timed, in ms per company.

    .venv/bin/python -m benchmarks.history_bench                         # N = 100 and 2,000
    .venv/bin/python -m benchmarks.history_bench --companies 100,1000
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

T0 = datetime(2026, 1, 5, 2, 0)


def _night_batch(keys: dict[str, int], case_facts: list[list[dict]], night: int) -> tuple[list, list, dict]:
    """crawls, extractions, validated of one night (the shapes load_batch takes): one report
    per company, with the facts of template case (k - 1 + night - 1) mod len(case_facts)."""
    crawls, extractions, valid = [], [], []
    for k, (company_id, case_no) in enumerate(sorted(keys.items()), start=1):
        facts = case_facts[(k - 1 + night - 1) % len(case_facts)]
        url = f"http://127.0.0.1:9/{company_id}/report-{2023 + night}.pdf"
        sha = hashlib.sha256(f"SYNTHETIC {url}".encode()).hexdigest()
        crawls.append({"case_no": case_no, "landing_url": f"http://127.0.0.1:9/{company_id}/", "log": [],
                       "documents": [{"status": "new", "sha256": sha, "url": url, "final_url": url,
                                      "title": f"SYNTHETIC report {2023 + night}", "report_year": 2023 + night,
                                      "path": None, "bytes": 1000, "fetched_at": T0 + timedelta(days=night)}]})
        extractions.append({"document_id": sha, "case_no": case_no, "url": url, "status": "parsed", "pages": 20,
                            "facts": facts, "error": None})
        valid += [{"document_id": sha, "case_no": case_no, "fact": f} for f in facts]
    return crawls, extractions, {"valid": valid, "quarantined": [], "results": []}


def bench(n: int, records: list[dict], report: str, tmp: Path) -> list[dict]:
    from warehouse.companies import register_companies
    from warehouse.db import connect
    from warehouse.history import update_history
    from warehouse.loads import load_batch
    from warehouse.runs import bootstrap, finish_run, start_run

    path = tmp / f"history-{n}.duckdb"
    path.unlink(missing_ok=True)
    con = connect(path)
    results = []
    try:
        bootstrap(con, report, records, run_id="bootstrap", now=T0)
        sources = [{"company_id": f"synthetic-{k:05d}", "name": f"SYNTHETIC company {k:05d}",
                    "landing_url": f"http://127.0.0.1:9/synthetic-{k:05d}/"} for k in range(1, n + 1)]
        keys = {cid: case_no for cid, case_no in register_companies(con, sources, T0).items()
                if cid.startswith("synthetic-")}
        case_facts = [r["facts"] for r in records if r["facts"]]
        for night, what in ((1, "first report (baseline)"), (2, "newer report (changes)"), (3, "unchanged")):
            run_id = f"history-bench-{night}"
            start_run(con, run_id, "history_bench", now=T0 + timedelta(days=night))
            counts = load_batch(con, run_id, *_night_batch(keys, case_facts, min(night, 2)))
            t0 = time.perf_counter()
            counts |= update_history(con, run_id, now=T0 + timedelta(days=night))
            wall = time.perf_counter() - t0
            finish_run(con, run_id, counts)
            result = {"companies": n, "night": what, "wall_s": round(wall, 3), "ms_per_company": round(wall / n * 1000, 2),
                      "facts": counts["facts_added"], "history_rows": counts["history_rows"],
                      "alerts": counts["alerts"], "review_pending": counts["review_pending"],
                      "load_avg": round(os.getloadavg()[0], 1)}
            results.append(result)
            print(f"  {n:5} companies  {what:24}  update_history {wall:6.2f}s = {result['ms_per_company']:6.2f} ms/company"
                  f"  (facts {counts['facts_added']}, history rows {counts['history_rows']}, alerts {counts['alerts']}, "
                  f"review pending {counts['review_pending']}; load average {result['load_avg']})", flush=True)
    finally:
        con.close()
        path.unlink(missing_ok=True)
    return results


def main() -> None:
    from common.settings import env, shared_dir

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--companies", default="100,2000", help="comma-separated company counts (default 100,2000)")
    ap.add_argument("--report", default=env("REPORT") or str(shared_dir() / "reports" / "report100-2023.zh.pdf"),
                    help="the 100-case report (default: $CARBONWATCH_REPORT, else the shared folder's)")
    ap.add_argument("--json", type=Path, help="also write the measurements here")
    args = ap.parse_args()
    from extractors.cases import case_record, segment_cases

    records = [case_record(c) for c in segment_cases(args.report)]
    print(f"history update: SYNTHETIC companies with the facts of the {len(records)} cases of the 100-case report "
          f"(shared 2-core machine: expect noise between runs)", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="cw-history-"))
    try:
        results = [r for n in args.companies.split(",") if n.strip() for r in bench(int(n), records, args.report, tmp)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
