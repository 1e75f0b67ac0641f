"""Run every benchmark in turn: `python -m benchmarks` (what `make bench` does).

The pipeline at scale (benchmarks/scale_bench.py) runs with $BENCH_COMPANIES synthetic
companies (default 100): `make bench BENCH_COMPANIES=1000`. The streaming benchmarks (embedded
watcher, then under `airflow standalone`) run a small default: 40 disclosures over 2 minutes;
the issue's full size is `python -m benchmarks.stream_bench --disclosures 200 --minutes 10` and
the same options for benchmarks.airflow_stream_bench."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# pipeline_bench: the task bodies on the mirror and on full-size reports (Airflow is in scale_bench)
for name, args in (("extract_bench", []), ("crawl_bench", []), ("pipeline_bench", ["--skip-airflow"]),
                   ("history_bench", []),
                   ("scale_bench", []), ("stream_bench", []), ("airflow_stream_bench", [])):
    print(f"\n=== {name} ===", flush=True)
    code = subprocess.call([sys.executable, "-m", f"benchmarks.{name}", *args], cwd=REPO)
    if code:
        sys.exit(code)
