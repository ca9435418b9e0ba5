"""Known vulnerabilities of the installed Python packages (pip-audit), tolerant of no network.

Run by `make lint`. Exit 1 when pip-audit names a vulnerability; exit 0 with a warning
that says how many packages went unaudited when the vulnerability service cannot be
reached (an offline CI machine), so the result never reads as "audited, clean" when it
was not.
"""

from __future__ import annotations

import json
import subprocess  # nosec B404 - pip-audit with a fixed argument list
import sys


def main() -> int:
    run = subprocess.run(  # nosec B603
        [
            sys.executable,
            "-m",
            "pip_audit",
            "--format",
            "json",
            "--progress-spinner",
            "off",
            "--skip-editable",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        last = (run.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"pip-audit: WARNING, no audit (the vulnerability service is unreachable?): {last}")
        return 0
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    for dep in vulnerable:
        ids = ", ".join(v["id"] for v in dep["vulns"])
        print(f"pip-audit: {dep['name']} {dep.get('version', '')}: {ids}")
    audited = len(deps) - len(skipped)
    if skipped:
        print(
            f"pip-audit: WARNING, {len(skipped)} of {len(deps)} packages could not be audited "
            f"(no vulnerability data reachable for them): {audited} audited"
        )
    if vulnerable:
        print(f"pip-audit: {len(vulnerable)} packages with known vulnerabilities")
        return 1
    print(f"pip-audit: no known vulnerabilities in the {audited} packages audited")
    return 0


if __name__ == "__main__":
    sys.exit(main())
