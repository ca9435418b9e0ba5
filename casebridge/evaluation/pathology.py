"""Measures the pathology extractors (extract.tumour, extract.biomarkers) on the TCGA reports.

    evaluate(data_dir) -> {"cancer_type_accuracy": ..., "er_agreement": ..., ...}

`data_dir` has the layout of the shared eval data (tcga/...). Each report is wrapped as a
one-page plain Document and passed through the real extractors.

Figures (all fractions 0..1; *_n are counts):

* cancer_type_accuracy: reports_kefeli_t14.csv text vs cancer_type.csv, joined on the
  12-character barcode, over every report with a gold code; no cancer_type fact ("not stated")
  counts as wrong.
* cancer_type_accuracy_ocr_lines: the same over reports_ocr_lines.csv, an independent OCR of
  other TCGA reports, over readable reports (50+ characters) with a gold code.
* er_agreement / pr_agreement: kefeli reports of patients whose clinical_labels.csv
  er_status_by_ihc (pr_status_by_ihc) is Positive or Negative AND whose report text names the
  marker (an alias from knowledge/biomarkers.yaml, whether or not a result follows). The
  engine's call is the most frequent value among the document's asserted facts of that kind
  (positive and low positive -> Positive; negative -> Negative); no fact counts as wrong.
  *_answered: the same over the reports where the engine gave a value at all.
* her2_agreement: likewise for her2_status_by_ihc in Positive / Negative / Equivocal against
  her2_ihc facts, mapping 3+ / positive -> Positive, 0 / 1+ / negative -> Negative,
  2+ / equivocal -> Equivocal.
* unreadable_reported: of reports_ocr_lines.csv reports with under 50 characters of text,
  the fraction the engine flags needs_attention when read the way an upload is read
  (casebridge.engine.ingest.read_bytes on the text as a .txt file).
* reports_per_second: both extractors together, one core, over the kefeli reports.

Every figure but the last two is also given with `_tune` / `_heldout`: over the tuning half
(even row positions in its file: the rules were written on these) and the held-out half
(odd positions: only measured), see casebridge.evaluation.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

from casebridge.engine.case import Fact
from casebridge.engine.extract import biomarkers, tumour
from casebridge.evaluation import HALVES, Progress, half, ratio
from casebridge.evaluation.tcga import barcode, read_rows, report_document

_HER2_CLASS = {
    "3+": "Positive",
    "positive": "Positive",
    "0": "Negative",
    "1+": "Negative",
    "negative": "Negative",
    "2+": "Equivocal",
    "equivocal": "Equivocal",
}
_HORMONE_CLASS = {"positive": "Positive", "low positive": "Positive", "negative": "Negative"}
_UNREADABLE_CHARS = 50


def _call(facts: list[Fact], kind: str, classes: dict[str, str]) -> str | None:
    votes = Counter(
        classes[f.value]
        for f in facts
        if f.kind == kind and f.context == "asserted" and f.value in classes
    )
    if not votes:
        return None
    return votes.most_common(1)[0][0]


def evaluate(data_dir: Path, progress: Progress | None = None) -> dict[str, float]:
    say = progress or (lambda _msg: None)
    tcga = data_dir / "tcga"
    gold_type = {r["patient_id"]: r["cancer_type"] for r in read_rows(tcga / "cancer_type.csv")}
    labels = {r["patient_id"]: r for r in read_rows(tcga / "clinical_labels.csv")}
    reports = read_rows(tcga / "reports_kefeli_t14.csv")

    say(f"pathology: {len(reports)} kefeli reports ...")
    parts = ("", *HALVES)
    right = dict.fromkeys(parts, 0)
    total = dict.fromkeys(parts, 0)
    marker = {
        "er": ("er_status", "er_status_by_ihc", _HORMONE_CLASS, ("Positive", "Negative")),
        "pr": ("pr_status", "pr_status_by_ihc", _HORMONE_CLASS, ("Positive", "Negative")),
        "her2": (
            "her2_ihc",
            "her2_status_by_ihc",
            _HER2_CLASS,
            ("Positive", "Negative", "Equivocal"),
        ),
    }
    # right, total, right_answered, answered
    agree = {(k, part): [0, 0, 0, 0] for k in marker for part in parts}
    elapsed = 0.0
    for index, row in enumerate(reports):
        patient = barcode(row["patient_filename"])
        text = row["text"]
        doc = report_document(row["patient_filename"], text)
        started = time.perf_counter()
        facts = tumour.extract(doc) + biomarkers.extract(doc)
        elapsed += time.perf_counter() - started
        here = ("", half(index))
        gold = gold_type.get(patient)
        if gold:
            guess = next((f.value for f in facts if f.kind == "cancer_type"), None)
            for key in here:
                total[key] += 1
                right[key] += guess == gold
        label_row = labels.get(patient)
        if label_row is None:
            continue
        named = biomarkers.markers_named(text)
        for name, (kind, column, classes, allowed) in marker.items():
            expected = (label_row.get(column) or "").strip()
            if expected not in allowed or ("her2" if name == "her2" else kind) not in named:
                continue
            call = _call(facts, kind, classes)
            for key in here:
                tally = agree[name, key]
                tally[1] += 1
                tally[0] += call == expected
                if call is not None:
                    tally[3] += 1
                    tally[2] += call == expected

    results: dict[str, float] = {
        "cancer_type_n": float(total[""]),
        "reports_per_second": round(len(reports) / elapsed, 1) if elapsed else 0.0,
    }
    for part in parts:
        sfx = f"_{part}" if part else ""
        results[f"cancer_type_accuracy{sfx}"] = ratio(right[part], total[part])
    for (name, part), (r, n, ra, na) in agree.items():
        sfx = f"_{part}" if part else ""
        results[f"{name}_agreement{sfx}"] = ratio(r, n)
        results[f"{name}_agreement_answered{sfx}"] = ratio(ra, na)
        results[f"{name}_n{sfx}"] = float(n)

    lines = tcga / "reports_ocr_lines.csv"
    if lines.exists():
        say("pathology: OCR-lines reports ...")
        results.update(_ocr_lines(read_rows(lines), gold_type))
    return results


def _ocr_lines(rows: list[dict[str, str]], gold_type: dict[str, str]) -> dict[str, float]:
    try:
        from casebridge.engine.ingest import read_bytes
    except ImportError:  # pragma: no cover - ingest is part of the engine
        read_bytes = None  # type: ignore[assignment]
    parts = ("", *HALVES)
    right = dict.fromkeys(parts, 0)
    total = dict.fromkeys(parts, 0)
    short = flagged = 0
    for index, row in enumerate(rows):
        text = row.get("ocr_text", "") or ""
        patient = barcode(row.get("patient_id", "") or "")
        if len(text) < _UNREADABLE_CHARS:
            short += 1
            if read_bytes is not None:
                docs = read_bytes(text.encode("utf-8"), f"{patient or 'report'}.txt")
                flagged += any(d.status == "needs_attention" for d in docs)
            else:  # the same rule ingest applies: under 50 readable characters
                flagged += len(re.sub(r"\W", "", text)) < _UNREADABLE_CHARS
            continue
        gold = gold_type.get(patient)
        if not gold:
            continue
        facts = tumour.extract(report_document(row.get("report_id", patient), text))
        guess = next((f.value for f in facts if f.kind == "cancer_type"), None)
        for key in ("", half(index)):
            total[key] += 1
            right[key] += guess == gold
    out = {
        "cancer_type_ocr_lines_n": float(total[""]),
        "unreadable_reported": ratio(flagged, short),
        "unreadable_n": float(short),
    }
    for part in parts:
        sfx = f"_{part}" if part else ""
        out[f"cancer_type_accuracy_ocr_lines{sfx}"] = ratio(right[part], total[part])
    return out
