"""Measures TNM extraction on the TCGA pathology reports (Kefeli & Tatonetti, OCR'd).

    evaluate(data_dir) -> {"t_accuracy": ..., "t_accuracy_stated_tune": ..., ...}

Gold: `reports_kefeli_t14.csv` label (0..3 = T1..T4) for T; the TCGA_N03 / TCGA_M01
patient files for N and M (substages collapsed: N1b -> N1, M1a -> M1), joined on the
report's 12-character patient barcode. Each report is wrapped as a one-page plain
Document and passed through the real extractor; the definitive value per kind (see
extract.tnm.definitive) is compared, collapsed to its main category.

For each of T, N and M (`t_`, `n_`, `m_`):

* *_accuracy: over every labelled report; "not stated" counts as wrong.
* *_accuracy_stated: only reports whose text writes that category (the explicit finder).
* *_coverage / *_precision_answered: how often a category is given at all, and how often
  it is right when given.
* *_inferred / *_inferred_precision: how many categories were inferred from the
  description (no category written), and how often right.

The same figures with `_ocr_lines` are over `reports_ocr_lines.csv`: an independent OCR
(line breaks kept) of other TCGA reports, readable ones (50+ characters) of patients with a
gold T, N or M in the TCGA_*_patients files (T substages collapsed) and not among the
Kefeli reports' patients: a second, larger check that the rules hold on reports they were
not written on.

Each figure is given over all reports and, with `_tune` / `_heldout`, over the tuning
half (even row positions in its file: the rules were written on these) and the held-out
half (odd positions: only measured), see casebridge.evaluation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from casebridge.evaluation import HALVES, half, ratio
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


@dataclass
class Tally:
    """Counts for one category letter over one set of reports."""

    labelled: int = 0
    right: int = 0
    stated: int = 0
    right_stated: int = 0
    answered: int = 0
    inferred: int = 0
    right_inferred: int = 0

    def add(self, got: str | None, want: str, *, stated: bool, inferred: bool) -> None:
        ok = got == want
        self.labelled += 1
        self.right += ok
        if stated:
            self.stated += 1
            self.right_stated += ok
        if got is not None:
            self.answered += 1
        if inferred:
            self.inferred += 1
            self.right_inferred += ok

    def figures(self, letter: str, suffix: str) -> dict[str, float]:
        low = letter.lower()
        return {
            f"{low}_labelled{suffix}": float(self.labelled),
            f"{low}_accuracy{suffix}": ratio(self.right, self.labelled),
            f"{low}_stated{suffix}": float(self.stated),
            f"{low}_accuracy_stated{suffix}": ratio(self.right_stated, self.stated),
            f"{low}_coverage{suffix}": ratio(self.answered, self.labelled),
            f"{low}_precision_answered{suffix}": ratio(self.right, self.answered),
            f"{low}_inferred{suffix}": float(self.inferred),
            f"{low}_inferred_precision{suffix}": ratio(self.right_inferred, self.inferred),
        }


Report = tuple[str, str, dict[str, str | None]]  # name, text, gold T/N/M (main categories)
_READABLE_CHARS = 50  # as in evaluation.pathology: shorter OCR text is unreadable


def _measure(reports: list[Report], infix: str) -> tuple[dict[str, float], float]:
    """The figures over `reports` (their list position decides the half), key names with
    `infix` before the half, and the extractor's CPU seconds."""
    from casebridge.engine.extract import tnm

    tallies = {(letter, part): Tally() for letter in "TNM" for part in ("", *HALVES)}
    seconds = 0.0
    for i, (name, text, gold) in enumerate(reports):
        if not any(gold.values()):
            continue
        started = time.process_time()  # CPU time: steady when other jobs share the machine
        facts = tnm.extract(report_document(name, text))
        seconds += time.process_time() - started
        for letter, kind in (("T", "t_category"), ("N", "n_category"), ("M", "m_category")):
            want = gold.get(letter)
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
            inferred = best is not None and best.attributes.get("method") == "inferred"
            for part in ("", half(i)):
                tallies[letter, part].add(got, want, stated=stated, inferred=inferred)
    out: dict[str, float] = {}
    for (letter, part), tally in tallies.items():
        out.update(tally.figures(letter, infix + (f"_{part}" if part else "")))
    return out, seconds


def evaluate(data_dir: Path, progress: Callable[[str], None] | None = None) -> dict[str, float]:
    """TNM figures on data_dir/tcga (see module docstring)."""
    say = progress or (lambda _msg: None)
    tcga = Path(data_dir) / "tcga"
    reports = tcga / "reports_kefeli_t14.csv"
    if not reports.exists():
        raise FileNotFoundError(f"no TCGA reports at {reports}")
    gold_t = _gold(tcga / "TCGA_T14_patients.csv", "ajcc_pathologic_t")
    gold_n = _gold(tcga / "TCGA_N03_patients.csv", "ajcc_pathologic_n")
    gold_m = _gold(tcga / "TCGA_M01_patients.csv", "ajcc_pathologic_m")

    rows = read_rows(reports)
    say(f"TNM: {len(rows)} reports")
    kefeli: list[Report] = []
    for row in rows:
        patient = barcode(row["patient_filename"])
        gold = {
            "T": _T_LABELS.get(row.get("label", "").strip()),
            "N": gold_n.get(patient),
            "M": gold_m.get(patient),
        }
        kefeli.append((row["patient_filename"], row.get("text") or "", gold))
    out: dict[str, float] = {"n_reports": float(len(rows))}
    figures, seconds = _measure(kefeli, "")
    out.update(figures)
    out["reports_per_second"] = round(len(rows) / seconds, 1) if seconds else 0.0

    lines = tcga / "reports_ocr_lines.csv"
    if lines.exists():
        say("TNM: OCR-lines reports ...")
        seen = {barcode(row["patient_filename"]) for row in rows}
        other: list[Report] = []
        for row in read_rows(lines):
            patient = barcode(row.get("patient_id", "") or "")
            text = row.get("ocr_text", "") or ""
            usable = patient not in seen and len(text) >= _READABLE_CHARS
            # Every row keeps its place (and so its half); an unusable one carries no gold.
            gold = {"T": gold_t.get(patient), "N": gold_n.get(patient), "M": gold_m.get(patient)}
            other.append((row.get("report_id") or patient, text, gold if usable else {}))
        out["n_reports_ocr_lines"] = float(sum(1 for _, _, g in other if any(g.values())))
        out.update(_measure(other, "_ocr_lines")[0])
    say(
        "TNM: T stated {t_accuracy_stated_tune:.3f} / {t_accuracy_stated_heldout:.3f}, "
        "precision {t_precision_answered_tune:.3f} / {t_precision_answered_heldout:.3f}, "
        "inferred {t_inferred_precision_tune:.3f} / {t_inferred_precision_heldout:.3f} "
        "(tune / held out)".format(**out)
    )
    return out
