"""Run every benchmark in turn: `python -m benchmarks` (what `make bench` does)."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
for name in ("extract_bench", "crawl_bench", "pipeline_bench", "stream_bench"):
    print(f"\n=== {name} ===", flush=True)
    code = subprocess.call([sys.executable, "-m", f"benchmarks.{name}"], cwd=REPO)
    if code:
        sys.exit(code)
