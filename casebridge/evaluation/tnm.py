"""Measures TNM extraction on the TCGA pathology reports (Kefeli & Tatonetti, OCR'd).

    evaluate(data_dir) -> {"t_accuracy": ..., "t_accuracy_stated": ..., ...}

Gold: `reports_kefeli_t14.csv` label (0..3 = T1..T4) for T; the TCGA_N03 / TCGA_M01
patient files for N and M (substages collapsed: N1b -> N1, M1a -> M1), joined on the
report's 12-character patient barcode. Each report is wrapped as a one-page plain
Document and passed through the real extractor; the definitive value per kind (see
extract.tnm.definitive) is compared, collapsed to its main category.

* *_accuracy: over every labelled report; "not stated" counts as wrong.
* *_accuracy_stated: only reports whose text writes that category (the explicit finder).
* t_coverage / t_precision_answered: how often a T is given at all, and how often right.
* `split` ("even"/"odd") keeps rows by index, to check rules on rows they were not built on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from casebridge.evaluation import ratio
from casebridge.evaluation.tcga import barcode, read_rows, report_document

_T_LABELS = {"0": "T1", "1": "T2", "2": "T3", "3": "T4"}


def _collapse(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] in "TNM" and value[1] in "01234":
        return value[:2]
    return value


def _gold(path: Path, column: str) -> dict[str, str]:
    out: dict[str, str] = {}
    if not path.exists():
        return out
    for row in read_rows(path):
        value = _collapse(row.get(column, "") or "")
        if value[:1] in "TNM" and value[1:2].isdigit():
            out[row["case_submitter_id"]] = value
    return out


def evaluate(
    data_dir: Path,
    progress: Callable[[str], None] | None = None,
    split: str | None = None,
) -> dict[str, float]:
    """TNM figures on data_dir/tcga (see module docstring). split: None, "even" or "odd"."""
    from casebridge.engine.extract import tnm

    say = progress or (lambda _msg: None)
    tcga = Path(data_dir) / "tcga"
    reports = tcga / "reports_kefeli_t14.csv"
    if not reports.exists():
        raise FileNotFoundError(f"no TCGA reports at {reports}")
    gold_n = _gold(tcga / "TCGA_N03_patients.csv", "ajcc_pathologic_n")
    gold_m = _gold(tcga / "TCGA_M01_patients.csv", "ajcc_pathologic_m")

    rows = read_rows(reports)
    if split in ("even", "odd"):
        rows = [r for i, r in enumerate(rows) if (i % 2 == 0) == (split == "even")]
    say(f"TNM: {len(rows)} reports")

    tally = {k: [0, 0, 0, 0, 0] for k in "TNM"}  # labelled, right, stated, right_stated, answered
    inferred_answered = inferred_right = 0
    seconds = 0.0
    for i, row in enumerate(rows, 1):
        patient = barcode(row["patient_filename"])
        text = row.get("text") or ""
        gold = {
            "T": _T_LABELS.get(row.get("label", "").strip()),
            "N": gold_n.get(patient),
            "M": gold_m.get(patient),
        }
        started = time.process_time()  # CPU time: steady when other jobs share the machine
        facts = tnm.extract(report_document(row["patient_filename"], text))
        seconds += time.process_time() - started
        for letter, kind in (("T", "t_category"), ("N", "n_category"), ("M", "m_category")):
            want = gold[letter]
            if want is None:
                continue
            best = tnm.definitive(facts, kind)
            # X ("cannot be assessed") states no category: it counts as not stated.
            got = _collapse(best.value) if best and not best.value.endswith("X") else None
            stated = any(
                f.kind == kind
                and f.attributes.get("method") == "explicit"
                and not f.value.endswith("X")
                for f in facts
            )
            t = tally[letter]
            t[0] += 1
            t[1] += int(got == want)
            if stated:
                t[2] += 1
                t[3] += int(got == want)
            if got is not None:
                t[4] += 1
            if letter == "T" and best is not None and best.attributes.get("method") == "inferred":
                inferred_answered += 1
                inferred_right += int(got == want)
        if i % 100 == 0:
            say(f"TNM: {i}/{len(rows)} reports")

    out: dict[str, float] = {"n_reports": float(len(rows))}
    for letter in "TNM":
        labelled, right, n_stated, right_stated, answered = tally[letter]
        low = letter.lower()
        out[f"{low}_labelled"] = float(labelled)
        out[f"{low}_accuracy"] = ratio(right, labelled)
        out[f"{low}_stated"] = float(n_stated)
        out[f"{low}_accuracy_stated"] = ratio(right_stated, n_stated)
        out[f"{low}_coverage"] = ratio(answered, labelled)
        out[f"{low}_precision_answered"] = ratio(right, answered)
    out["t_inferred"] = float(inferred_answered)
    out["t_inferred_precision"] = ratio(inferred_right, inferred_answered)
    out["reports_per_second"] = round(len(rows) / seconds, 1) if seconds else 0.0
    say(
        "TNM: T {t_accuracy:.3f} (stated {t_accuracy_stated:.3f}, coverage {t_coverage:.3f}, "
        "precision {t_precision_answered:.3f}); N stated {n_accuracy_stated:.3f}; "
        "M stated {m_accuracy_stated:.3f}".format(**out)
    )
    return out
