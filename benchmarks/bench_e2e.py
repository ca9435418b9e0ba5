"""End to end: a digital case of N pages through build + pack, time and peak memory.

    python -m benchmarks.bench_e2e [--pages 300] [--pages 1000]

Each size runs in a fresh child process so its peak resident memory (ru_maxrss)
is its own. Targets: 300 pages in <= 15 s; peak memory <= 1 GiB at 1,000 pages.
The records are generated digital PDFs (text layer, no OCR): letters,
pathology and radiology reports of 10 pages each.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PARAGRAPHS = [
    "HISTOPATHOLOGY REPORT. Specimen: left breast wide local excision. Invasive carcinoma of no "
    "special type, grade 2. Tumour size 23 mm. ER positive (Allred 8), PR positive (Allred 6), "
    "HER2 IHC 2+ (equivocal), ISH to follow. Margins clear. pT2 pN0 (0/3). Date reported: 14/03/2026.",
    "CT THORAX, ABDOMEN AND PELVIS. Findings: no evidence of distant metastatic disease. "
    "Impression: no change compared with the previous study of 02/01/2026.",
    "Dear Dr Smith, I reviewed this patient in the breast oncology clinic. She remains well, "
    "performance status ECOG 0. Plan: adjuvant chemotherapy with EC followed by paclitaxel, "
    "then radiotherapy 40 Gy in 15 fractions. Allergies: penicillin (rash).",
    "Full blood count: Hb 128 g/L, WCC 6.1 x10^9/L, neutrophils 3.9 x10^9/L, platelets 245 "
    "x10^9/L. Creatinine 68 umol/L, eGFR > 90. Bilirubin 8 umol/L, ALT 21 U/L.",
]


def make_records(folder: Path, pages: int, per_file: int = 10) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    folder.mkdir(parents=True, exist_ok=True)
    for index in range((pages + per_file - 1) // per_file):
        pdf = canvas.Canvas(str(folder / f"record-{index:03d}.pdf"), pagesize=A4)
        for page in range(min(per_file, pages - index * per_file)):
            text = pdf.beginText(50, 780)
            text.setFont("Helvetica", 10)
            body = PARAGRAPHS[(index + page) % len(PARAGRAPHS)]
            text.textLine(f"Document {index} page {page + 1}")
            words = (body + " ") * 4
            for start in range(0, len(words), 95):
                text.textLine(words[start : start + 95])
            pdf.drawText(text)
            pdf.showPage()
        pdf.save()


def child(pages: int) -> None:
    from casebridge.engine.output import write_pack
    from casebridge.engine.pipeline import build_case

    with tempfile.TemporaryDirectory() as tmp:
        records = Path(tmp) / "records"
        make_records(records, pages)
        started = time.perf_counter()
        case = build_case(records, "oncology")
        write_pack(case, Path(tmp) / "out")
        elapsed = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    read = sum(len(d.pages) for d in case.documents)
    print(json.dumps({"pages": read, "seconds": round(elapsed, 2), "peak_mib": round(peak_mib)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, action="append")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    for pages in args.pages or [300, 1000]:
        out = (
            subprocess.run(
                [sys.executable, "-m", "benchmarks.bench_e2e", "--child", str(pages)],
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        result = json.loads(out)
        print(
            f"{result['pages']:>5} pages: {result['seconds']:6.2f} s end to end "
            f"({result['pages'] / result['seconds']:.0f} pages/s), peak memory {result['peak_mib']} MiB"
        )


if __name__ == "__main__":
    main()
