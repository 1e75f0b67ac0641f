"""Run every benchmark in turn: `python -m benchmarks` (what `make bench` does)."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for name in ("extract_bench.py", "crawl_bench.py", "pipeline_bench.py"):
    script = HERE / name
    if script.exists():
        print(f"\n=== {name} ===", flush=True)
        code = subprocess.call([sys.executable, str(script)])
        if code:
            sys.exit(code)
