"""Runs every benchmark in turn: python -m benchmarks"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS: tuple[tuple[str, ...], ...] = (
    ("bench_extract",),
    ("bench_ocr",),
    ("bench_pdf",),
    ("bench_e2e",),
    ("bench_pack",),  # 300 pages, page images redacted: text layers alone vs pictures and scans
    ("bench_web",),  # no pause between pages: the server saturated
    ("bench_web", "--think", "1", "--seconds", "40"),  # people reading each page 0-2 s
    ("bench_review",),  # 20 reviewers on the reviewer workspace, beside the patient workspace
    ("bench_review", "--think", "1", "--seconds", "40"),
)

if __name__ == "__main__":
    failed = []
    for name, *args in BENCHMARKS:
        print(f"== {name} {' '.join(args)}".rstrip(), flush=True)
        if subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *args]).returncode:
            failed.append(" ".join([name, *args]))
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")
