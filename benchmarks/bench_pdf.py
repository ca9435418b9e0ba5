"""PDF summary speed: seconds per bilingual case (English + Chinese PDF), one core.

    python -m benchmarks.bench_pdf [--cases 20] [--out DIR]

The case is built from the dataclasses (no documents are read) with the engine tests'
builders (tests/engine/factories.py): a realistic breast-cancer referral with the facts,
timeline, conflicts, gaps and safety flag a real pack carries.
The first case pays the one-off cost of the cached Chinese font (made once per machine,
see casebridge/engine/render/cjk_font.py); it is reported separately.
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial
from pathlib import Path

from casebridge.engine.case import (
    Case,
    Conflict,
    Document,
    Gap,
    SafetyFlag,
    TimelineEvent,
)
from casebridge.engine.extract.spans import SNIPPET_PAD
from tests.engine.factories import document, fact

LETTER = (
    "Histopathology report. Left breast, 2 o'clock, core biopsy. Invasive ductal carcinoma, "
    "grade 2 (Nottingham 3+2+2 = 7). ER positive (Allred 8/8). PR positive (Allred 6/8). "
    "HER2 IHC 2+ (equivocal); HER2 ISH not amplified (ratio 1.4). Ki-67 20%. "
    "Stage: pT2 pN1a cM0 (AJCC 8th edition), stage group IIB. Lymphovascular invasion present. "
)


def _doc(i: int, name: str, doc_type: str, text: str) -> Document:
    return document(
        f"d{i:015d}",
        doc_type,
        text,
        f"2024-0{i % 9 + 1}-1{i % 9}",
        name=name,
        pages=2,
        method="text-layer",
        media_type="application/pdf",
        sha256=f"{i:064d}",
    )


# sourced as the extractors source a fact (extract/spans.source_for)
_fact = partial(fact, pad=SNIPPET_PAD, found_by="bench")


def realistic_case() -> Case:
    path = _doc(1, "pathology_2024-03.pdf", "pathology", LETTER)
    clinic = _doc(
        2,
        "oncology_clinic_letter_2024-06.pdf",
        "clinic_letter",
        "Diagnosis: left breast cancer. Staging CT: no distant metastases. Treatment: left wide "
        "local excision and sentinel lymph node biopsy on 2024-04-02; adjuvant FEC-T x 6 cycles "
        "from 2024-05-10; letrozole 2.5 mg once daily. Performance status: ECOG 1. Allergies: "
        "penicillin (rash). Medication: metformin 500 mg twice daily, amlodipine 5 mg once daily. "
        "Bloods 2024-06-01: haemoglobin 118 g/L, neutrophils 2.1 x10^9/L, creatinine 72 umol/L. "
        "Past history: type 2 diabetes, hypertension. Stage IIA per MDT. Partial response on MRI. ",
    )
    radiology = _doc(3, "mri_breast_2024-07.pdf", "radiology", "MRI breast: partial response. ")
    scan = _doc(4, "scan_0001.jpg", "other", "")  # no text: no pages
    scan.needs_attention("The photo is too blurred to read; please upload a clearer copy.")
    docs = [path, clinic, radiology, scan]
    facts = [
        _fact(path, "cancer_type", "BRCA", "breast"),
        _fact(path, "primary_site", "breast", "Left breast"),
        _fact(path, "laterality", "left", "Left breast"),
        _fact(path, "histology", "invasive ductal carcinoma", "Invasive ductal carcinoma"),
        _fact(path, "grade", "2", "grade 2", display="grade 2 (Nottingham 7)"),
        _fact(path, "t_category", "T2", "pT2", prefix="p"),
        _fact(path, "n_category", "N1a", "pN1a", prefix="p"),
        _fact(path, "m_category", "M0", "cM0", prefix="c"),
        _fact(path, "tnm_edition", "AJCC 8th", "AJCC 8th edition"),
        _fact(path, "stage_group", "IIB", "stage group IIB"),
        _fact(clinic, "stage_group", "IIA", "Stage IIA"),
        _fact(path, "lvi", "present", "Lymphovascular invasion present"),
        _fact(path, "er_status", "positive", "ER positive", display="positive (Allred 8/8)"),
        _fact(path, "pr_status", "positive", "PR positive", display="positive (Allred 6/8)"),
        _fact(path, "her2_ihc", "2+", "HER2 IHC 2+", display="2+ (equivocal)"),
        _fact(path, "her2_ish", "not amplified", "HER2 ISH not amplified"),
        _fact(path, "ki67", "20%", "Ki-67 20%"),
        _fact(clinic, "surgery", "wide local excision", "wide local excision", date="2024-04-02"),
        _fact(clinic, "surgery", "sentinel lymph node biopsy", "sentinel lymph node biopsy"),
        _fact(clinic, "regimen", "FEC-T", "FEC-T x 6 cycles", start_date="2024-05-10"),
        _fact(clinic, "hormone_therapy", "letrozole", "letrozole 2.5 mg"),
        _fact(radiology, "response", "partial response", "partial response"),
        _fact(
            clinic,
            "medication",
            "metformin",
            "metformin 500 mg",
            display="metformin 500 mg twice daily",
        ),
        _fact(
            clinic,
            "medication",
            "amlodipine",
            "amlodipine 5 mg",
            display="amlodipine 5 mg once daily",
        ),
        _fact(
            clinic,
            "medication",
            "letrozole",
            "letrozole 2.5 mg",
            display="letrozole 2.5 mg once daily",
        ),
        _fact(clinic, "allergy", "penicillin", "penicillin (rash)", display="penicillin (rash)"),
        _fact(clinic, "performance_status", "ECOG 1", "ECOG 1"),
        _fact(clinic, "lab", "haemoglobin", "haemoglobin 118 g/L", display="haemoglobin 118 g/L"),
        _fact(clinic, "lab", "neutrophils", "neutrophils 2.1", display="neutrophils 2.1 x10^9/L"),
        _fact(clinic, "lab", "creatinine", "creatinine 72", display="creatinine 72 umol/L"),
        _fact(clinic, "comorbidity", "type 2 diabetes", "type 2 diabetes", context="historical"),
        _fact(clinic, "comorbidity", "hypertension", "hypertension", context="historical"),
        _fact(clinic, "comorbidity", "Raynaud phenomenon", "Past history"),
    ]
    stage = [f for f in facts if f.kind == "stage_group"]
    case = Case(
        programme="oncology",
        case_id="CB-3F9A21C0",
        created="2024-07-20T10:00:00+00:00",
        documents=docs,
        facts=facts,
        intake={"pseudonym": "Patient K-217"},
        conflicts=[
            Conflict(
                "stage_group",
                ["IIA", "IIB"],
                [f.id for f in stage],
                "Records disagree on Stage group: both values are shown; the reviewing team "
                "should confirm which is current.",
            )
        ],
        timeline=[
            TimelineEvent("2024-03-12", "day", "biopsy", "Pathology report", [facts[3].source]),  # type: ignore[list-item]
            TimelineEvent(
                "2024-04-02", "day", "surgery", "Surgery: wide local excision", [facts[17].source]
            ),  # type: ignore[list-item]
            TimelineEvent(
                "2024-05-10",
                "day",
                "treatment_start",
                "Systemic therapy regimen: FEC-T",
                [facts[19].source],
            ),  # type: ignore[list-item]
            TimelineEvent("2024-06", "month", "letter", "Clinic letter", [facts[26].source]),  # type: ignore[list-item]
            TimelineEvent("2024-07-01", "day", "imaging", "Imaging report", [facts[21].source]),  # type: ignore[list-item]
        ],
        gaps=[
            Gap(
                "staging-imaging",
                "Staging imaging reports (CT, MRI or PET-CT)",
                "why",
                "Radiology",
                "essential",
            ),
            Gap(
                "mdt-outcome",
                "MDT (multidisciplinary team meeting) outcome",
                "why",
                "MDT",
                "important",
            ),
            Gap("dicom", "Original imaging files (DICOM)", "why", "Radiology", "helpful"),
            Gap(
                "slides",
                "Whether the pathology slides and tissue blocks are available",
                "why",
                "Pathology",
                "helpful",
            ),
        ],
        safety_flags=[
            SafetyFlag(
                "neutropenic_sepsis",
                "Possible neutropenic sepsis (fever of 38 C or above on chemotherapy)",
                "A temperature of 38 C or above during chemotherapy is an emergency; call your "
                "chemotherapy 24-hour helpline now or go to A&E.",
                facts[28].source,
            )
        ],
        paused=True,
    )
    return case


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--out", type=Path, default=None, help="also write the PDFs here")
    args = parser.parse_args()

    from casebridge.engine.render.cjk_font import pdf_fonts
    from casebridge.engine.render.pdf import render_pdf

    case = realistic_case()
    t0 = time.perf_counter()
    fonts = pdf_fonts()
    first = {lang: render_pdf(case, lang) for lang in ("en", "zh")}
    cold = time.perf_counter() - t0
    times = []
    cpu = []
    for _ in range(args.cases):
        t, c = time.perf_counter(), time.process_time()
        for lang in ("en", "zh"):
            render_pdf(case, lang)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for lang, data in first.items():
            (args.out / f"summary.{lang}.pdf").write_bytes(data)
    font = "embedded Noto Sans CJK SC subset" if fonts.embedded else f"{fonts.fallback} (CID)"
    print(f"font: {font}")
    print(f"first case (font cache, imports): {cold:.3f} s")
    print(
        f"seconds per bilingual case (en + zh PDF), {args.cases} cases: "
        f"median {statistics.median(times):.3f}, max {max(times):.3f} "
        f"(CPU median {statistics.median(cpu):.3f})"
    )
    print(f"PDF sizes: en {len(first['en']) / 1024:.0f} KiB, zh {len(first['zh']) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
