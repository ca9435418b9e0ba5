"""The load benchmark (benchmarks/bench_load.py) in miniature: a few people
signing in, browsing, uploading and sending messages at once against a real
`casebridge serve` (web processes and document workers) for a few seconds.
Not timed (figures belong to the benchmark): it asserts that every answer was
what a browser expects (0 errors) and every upload was read, so the
benchmark and the platform under concurrent use do not rot between runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_a_few_people_at_once_get_no_error_and_every_upload_is_read():
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEBRIDGE_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    database = "postgres" if os.environ.get("CASEBRIDGE_DB") == "postgres" else "sqlite"
    command = [sys.executable, "-m", "benchmarks.bench_load", "--users", "4"]
    command += ["--minutes", "0.3", "--warmup", "3", "--documents", "2", "--db", database]
    done = subprocess.run(  # noqa: S603 - this repository's benchmark
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "errors (warm-up included): 0" in output, output[-3000:]
    requests = re.search(r"(\d+) requests measured", output)
    assert requests is not None and int(requests.group(1)) > 20, output[-3000:]
    # every upload of the run was read by the document workers before the end
    assert re.search(r"uploads: \d+ sent; .*; 0 not read at the end", output), output[-3000:]
