"""`casebridge eval`: measures the engine on the public evaluation sets.

Each module evaluates one capability over a folder with the layout of the
project's shared eval data (tcga/, mtsamples/); this runs them all and merges
their figures into one dict.

Tuning half and held-out half. Every TCGA figure is given three times: over all rows,
`*_tune` and `*_heldout`. The **tuning half** is the rows at an even 0-based position
among a file's data rows (0, 2, 4, ...); the **held-out half** is the rows at an odd
position. Rules are written and tuned by reading rows of the tuning half only; of the
held-out half only the figures are looked at, never a row's text. (The MTSamples
document-type figures keep their older names: `doc_type_accuracy_odd` is its held-out half.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from casebridge.engine.errors import InputError

Progress = Callable[[str], None]


def ratio(right: int, total: int) -> float:
    """right / total to four places; 0.0 when there is nothing to count."""
    return round(right / total, 4) if total else 0.0


TUNE = "tune"
HELDOUT = "heldout"
HALVES = (TUNE, HELDOUT)


def half(index: int) -> str:
    """The half of the data row at 0-based position `index`: TUNE when even, HELDOUT when odd."""
    return TUNE if index % 2 == 0 else HELDOUT


REQUIRED = {
    "tnm": ["tcga/reports_kefeli_t14.csv", "tcga/TCGA_T14_patients.csv"],
    "pathology": [
        "tcga/reports_kefeli_t14.csv",
        "tcga/cancer_type.csv",
        "tcga/clinical_labels.csv",
    ],
    "doctype": ["mtsamples/mtsamples.csv"],
}


def run_all(data_dir: Path, progress: Progress | None = None) -> dict[str, Any]:
    from casebridge.evaluation import doctype, pathology, promises, safety, tnm

    if not data_dir.is_dir():
        raise InputError(f"evaluation data folder {data_dir} does not exist")
    missing = [f for files in REQUIRED.values() for f in files if not (data_dir / f).exists()]
    if missing:
        raise InputError(
            f"{data_dir} lacks {', '.join(sorted(set(missing)))}: it needs the layout of the shared eval data"
        )
    say = progress or (lambda _msg: None)
    results: dict[str, Any] = {}
    for name, module in (
        ("tnm", tnm),
        ("pathology", pathology),
        ("doctype", doctype),
        ("safety", safety),
        ("promises", promises),
    ):
        say(f"evaluating {name} ...")
        started = time.perf_counter()
        results.update(module.evaluate(data_dir, progress))
        say(f"{name} done in {time.perf_counter() - started:.1f} s")
    return results
