"""Runs every benchmark in turn: python -m benchmarks"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = ("bench_extract", "bench_ocr", "bench_pdf", "bench_e2e", "bench_web")

if __name__ == "__main__":
    failed = []
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        if subprocess.run([sys.executable, "-m", f"benchmarks.{name}"]).returncode:
            failed.append(name)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")
