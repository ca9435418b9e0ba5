"""How well 'classify' names document types, measured on MTSamples.

MTSamples (mtsamples/mtsamples.csv under the evaluation data folder) gives each
transcription a `medical_specialty` label; the same text often appears more than
once with different labels (a specialty and a document type). Rows are grouped by
their transcription text, and a prediction is right when it matches any type
accepted by any of that text's labels. Which label accepts which type is set in
knowledge/doc_types.yaml (`mtsamples_labels`); only texts with at least one mapped
label are scored. Texts are split by position (even / odd) so rules developed on
one half can be checked on the other.

    from casebridge.evaluation.doctype import evaluate
    evaluate(Path("../shared/eval"))  # {"doc_type_accuracy": 0.9..., "n_scored": ..., ...}
"""

from __future__ import annotations

import csv
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from casebridge.engine import kb
from casebridge.engine.case import DOC_TYPES
from casebridge.engine.classify import classify_text
from casebridge.evaluation import ratio

CSV_NAME = Path("mtsamples") / "mtsamples.csv"

# MTSamples stores each line break of a transcription as a comma with no space after it
# ("HISTORY:,The patient ...", "FINDINGS: , No ..."); a comma between two digits is a
# thousands separator.
_LINE_BREAK = re.compile(r"(?<=:)[ \t]*,[ \t]*|(?<!\d),(?=\S)|(?<=\d),(?=[^\d\s])")


@dataclass
class Sample:
    index: int  # position of the text's first row among distinct texts
    text: str
    labels: set[str]
    accepted: set[str]  # types any of its labels maps to


def label_map() -> dict[str, set[str]]:
    raw = kb.load("doc_types").get("mtsamples_labels") or {}
    mapping: dict[str, set[str]] = {}
    for label, types in raw.items():
        wanted = {types} if isinstance(types, str) else set(types)
        unknown = wanted - set(DOC_TYPES)
        if unknown:
            raise ValueError(f"E004: mtsamples_labels maps {label!r} to unknown {sorted(unknown)}")
        mapping[str(label).strip()] = wanted
    return mapping


def restore_lines(text: str) -> str:
    """The transcription with its line breaks back, as a clinician would have typed it."""
    return _LINE_BREAK.sub("\n", text)


def load_samples(csv_path: Path) -> list[Sample]:
    """Distinct transcriptions with all their labels, in order of first appearance."""
    if not csv_path.is_file():
        raise FileNotFoundError(f"MTSamples file not found at {csv_path}")
    mapping = label_map()
    by_text: dict[str, Sample] = {}
    csv.field_size_limit(sys.maxsize)
    with csv_path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            text = (row.get("transcription") or "").strip()
            if not text:
                continue
            label = (row.get("medical_specialty") or "").strip()
            sample = by_text.get(text)
            if sample is None:
                sample = Sample(len(by_text), restore_lines(text), set(), set())
                by_text[text] = sample
            sample.labels.add(label)
            sample.accepted |= mapping.get(label, set())
    return list(by_text.values())


def evaluate(data_dir: Path, progress: Callable[[str], None] | None = None) -> dict[str, float]:
    """Accuracy of the predicted document type on MTSamples texts whose labels name one
    of the engine's types, overall, per type, and on the even / odd halves."""
    samples = load_samples(Path(data_dir) / CSV_NAME)
    right: dict[str, int] = {}
    total: dict[str, int] = {}
    not_medical = 0
    started = time.process_time()  # CPU time: other work on the machine does not count
    for count, sample in enumerate(samples, 1):
        result = classify_text(sample.text)
        if not result.medical:
            not_medical += 1
        if sample.accepted:
            ok = result.doc_type in sample.accepted
            half = "even" if sample.index % 2 == 0 else "odd"
            keys = ["all", half, *sorted(sample.accepted)]
            for key in keys:
                total[key] = total.get(key, 0) + 1
                right[key] = right.get(key, 0) + int(ok)
        if progress and count % 500 == 0:
            progress(f"doc types: {count}/{len(samples)} texts classified")
    elapsed = max(time.process_time() - started, 1e-9)
    out: dict[str, float] = {
        "doc_type_accuracy": ratio(right.get("all", 0), total.get("all", 0)),
        "n_scored": float(total.get("all", 0)),
        "doc_type_n_texts": float(len(samples)),
        "doc_type_accuracy_even": ratio(right.get("even", 0), total.get("even", 0)),
        "doc_type_accuracy_odd": ratio(right.get("odd", 0), total.get("odd", 0)),
        "doc_type_flagged_not_medical": float(not_medical),
        "doc_type_docs_per_second": round(len(samples) / elapsed, 1),
    }
    for doc_type in DOC_TYPES:
        if total.get(doc_type):
            out[f"doc_type_accuracy_{doc_type}"] = ratio(right[doc_type], total[doc_type])
            out[f"doc_type_n_scored_{doc_type}"] = float(total[doc_type])
    if progress:
        progress(
            f"doc types: accuracy {out['doc_type_accuracy']:.3f} on {total.get('all', 0)} texts"
        )
    return out


if __name__ == "__main__":  # python -m casebridge.evaluation.doctype DATA_DIR
    import json

    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/eval")
    print(json.dumps(evaluate(folder, progress=print), indent=2))
