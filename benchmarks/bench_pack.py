"""A case pack of 300 pages, redacted page images included: time and peak memory.

    python -m benchmarks.bench_pack [--pages 300] [--scanned 6] [--rounds 1]
                                    [--variants text,pictures,pictures-a85-off]
                                    [--keep]

What it builds (once, in a temporary folder, before anything is timed): the
records of one fictional patient, 10-page generated PDFs of dense clinical text
(clinic letters, pathology, radiology, blood results), each page naming the
patient (name, NHS number, date of birth, address) the way records do. Two
variants of the same pages, the same words:
- "text": every page a text layer alone;
- "pictures": every third page carries a letterhead as a picture (a rendered
  image naming the patient: the pack must find it with Tesseract), and
  --scanned pages are scanned-only (an image at 300 dpi, no text layer:
  read by OCR at ingest and again when redacted);
- "pictures-a85-off" (a what-if, not the product as it is): the "pictures"
  records, with reportlab writing the pack's image streams binary instead of
  ASCII85 (rl_config.useA85 = 0), which reportlab does in pure Python when its
  rl-accel extension is not installed.

Each variant runs in a fresh child process (its peak resident memory is its
own): the engine pipeline over the records (pipeline.build_case: ingest,
classify, extract, case stages), then pack.build.build_pack with a
KnownIdentity of the patient, as the web's worker does in the background. It
prints, per variant, the seconds of reading and of the pack, pages/s, CPU
seconds per page (this process and any Tesseract children; the children's
alone: 0 where tesserocr reads in this process, engine/pack/tess_api.py),
peak memory, the pack's wall time by step (build.py's calls, timed), how many pages
went as text alone and why (the manifest's pages_withheld), how many
identifiers were blacked out, and whether any of the patient's identifiers is
still in the text layers of the redacted PDFs; then the ratios of the variants
to the first. Rounds alternate the order of the variants (the machine is shared
and noisy: the ratios are the figures that hold). Target: the pack of 300
pages in under 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

TARGET_SECONDS = 60.0
PER_FILE = 10
SCAN_DPI = 300
# variant: the records it reads ("pictures-a85-off": the pictures' records, the
# pack's image streams written binary rather than ASCII85, a what-if)
VARIANTS = {"text": "text", "pictures": "pictures", "pictures-a85-off": "pictures"}
PICTURE_EVERY = 3  # in the "pictures" variant, every third digital page has a picture letterhead

# The fictional patient (NHS number 943 476 5919 is the NHS's own example number).
NAME = "Margaret Elsworth"
NHS = "943 476 5919"
DOB = "14/03/1971"
ADDRESS = "27 Larkfield Crescent, Exampletown"
POSTCODE = "EX4 7QT"

KINDS = ("clinic letter", "histopathology", "radiology", "blood results")

PARAGRAPHS = {
    "clinic letter": (
        "Dear Dr Okafor, I reviewed Mrs {surname} in the breast oncology clinic today. She "
        "remains well, performance status ECOG 0, and has tolerated the third cycle of EC "
        "without neutropenia. Plan: continue adjuvant chemotherapy with EC followed by weekly "
        "paclitaxel, then whole breast radiotherapy 40 Gy in 15 fractions. Allergies: "
        "penicillin (rash). Weight {weight} kg, height 164 cm. Her mother had breast cancer "
        "at 62; genetic testing was offered and declined. We will see her in three weeks."
    ),
    "histopathology": (
        "HISTOPATHOLOGY REPORT. Specimen: left breast wide local excision with sentinel lymph "
        "node biopsy. Invasive carcinoma of no special type, grade 2 (tubules 3, pleomorphism "
        "2, mitoses 1). Tumour size {size} mm. Lymphovascular invasion not identified. ER "
        "positive (Allred 8), PR positive (Allred 6), HER2 IHC 2+ (equivocal), ISH not "
        "amplified. Margins clear, closest 4 mm (superior). pT2 pN0 (0/3). Reported by Dr "
        "Ferreira, consultant histopathologist."
    ),
    "radiology": (
        "CT THORAX, ABDOMEN AND PELVIS WITH CONTRAST. Clinical details: staging of left "
        "breast carcinoma. Findings: no evidence of distant metastatic disease. A {nodule} mm "
        "pulmonary nodule in the right lower lobe is unchanged. The liver, adrenals and bones "
        "are normal. No lymphadenopathy. Impression: no change compared with the previous "
        "study of 02/01/2026; no evidence of metastatic disease."
    ),
    "blood results": (
        "LABORATORY REPORT. Full blood count: Hb {hb} g/L, WCC 6.1 x10^9/L, neutrophils 3.9 "
        "x10^9/L, platelets 245 x10^9/L. Renal: sodium 139 mmol/L, potassium 4.2 mmol/L, urea "
        "5.1 mmol/L, creatinine 68 umol/L, eGFR > 90. Liver: bilirubin 8 umol/L, ALT 21 U/L, "
        "ALP 74 U/L, albumin 41 g/L. CA 15-3 within the reference range."
    ),
}


def surname() -> str:
    return NAME.split()[-1]


def page_lines(file_index: int, page: int) -> list[str]:
    """The text of one page: a patient header, then dense clinical prose (about 45 lines)."""
    kind = KINDS[file_index % len(KINDS)]
    date = f"{1 + (file_index * 3 + page) % 28:02d}/{1 + file_index % 12:02d}/2025"
    header = [
        f"{kind.upper()} - page {page + 1}",
        f"Patient name: {NAME}    NHS number: {NHS}    Date of birth: {DOB}",
        f"Address: {ADDRESS} {POSTCODE}",
        f"Date: {date}    Reference R{file_index:03d}-{page + 1:02d}",
        "",
    ]
    body = PARAGRAPHS[kind].format(
        surname=surname(),
        weight=55 + (file_index + page) % 30,
        size=10 + (file_index * 7 + page) % 40,
        nodule=2 + page % 6,
        hb=110 + (file_index + page) % 40,
    )
    words = ((body + " ") * 5).split()
    lines, line = [], ""
    for word in words:
        if len(line) + len(word) + 1 > 92:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return header + lines[:40] + ["", f"Yours sincerely, Dr A. Okafor. cc {NAME}"]


def letterhead_image() -> Any:
    """A letterhead as a picture (200 dpi, 6.9 x 1 inch): the trust's name and the
    patient's, which no text layer holds."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (1380, 200), (235, 242, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 24, 200), fill=(0, 94, 184))
    draw.text(
        (50, 20),
        "Example Teaching Hospitals NHS Foundation Trust",
        font=ImageFont.load_default(size=44),
        fill=(0, 48, 135),
    )
    draw.text(
        (50, 100),
        f"Patient: {NAME}   NHS No: {NHS}",
        font=ImageFont.load_default(size=40),
        fill=(20, 20, 20),
    )
    return image


def scanned_page(lines: list[str]) -> Any:
    """The page printed and scanned: greyscale A4 at SCAN_DPI, no text layer."""
    from PIL import Image, ImageDraw, ImageFont

    scale = SCAN_DPI / 72
    image = Image.new("L", (round(595 * scale), round(842 * scale)), 250)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=round(9.5 * scale))
    y = 60 * scale
    for line in lines:
        draw.text((50 * scale, y), line, font=font, fill=15)
        y += 14.5 * scale
    return image


def make_records(folder: Path, variant: str, pages: int, scanned: int) -> dict[str, int]:
    """The records of `variant` in `folder`; returns how many pages of each form."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    folder.mkdir(parents=True, exist_ok=True)
    scanned = min(scanned, pages)
    head = ImageReader(letterhead_image())
    forms: Counter[str] = Counter()
    digital = pages - scanned
    # the digital pages in files of PER_FILE, then the scanned ones in files of up to 3
    files = [
        (i, min(PER_FILE, digital - i * PER_FILE), False) for i in range(-(-digital // PER_FILE))
    ]
    start = len(files)
    files += [(start + j, min(3, scanned - j * 3), True) for j in range(-(-scanned // 3))]
    for index, count, scan in files:
        pdf = canvas.Canvas(str(folder / f"record-{index:03d}.pdf"), pagesize=A4)
        for page in range(count):
            lines = page_lines(index, page)
            if scan and variant == "pictures":
                pdf.drawImage(ImageReader(scanned_page(lines)), 0, 0, A4[0], A4[1])
                forms["scanned"] += 1
            else:
                y = 790.0
                if variant == "pictures" and page % PICTURE_EVERY == 0:
                    pdf.drawImage(head, 50, 740, 497, 72)
                    forms["picture letterhead"] += 1
                    y = 725.0
                else:
                    pdf.setFont("Helvetica-Bold", 12)
                    pdf.drawString(50, y, "Example Teaching Hospitals NHS Foundation Trust")
                    forms["text only"] += 1
                    y -= 20
                text = pdf.beginText(50, y)
                text.setFont("Helvetica", 9.5)
                text.setLeading(14.5)
                for line in lines:
                    text.textLine(line)
                pdf.drawText(text)
            pdf.showPage()
        pdf.save()
    return dict(forms)


# -- one variant, in a child process -------------------------------------------------


def leaks(files: list[Any]) -> dict[str, int]:
    """The patient's identifiers still in the text layers of the redacted PDFs
    (the pictures are not read here: the pack's own check does that)."""
    import pypdfium2 as pdfium

    needles = {
        "name": re.compile(rf"\b{re.escape(surname())}\b", re.I),
        "nhs number": re.compile(re.sub(r"\D", "", NHS)),
        "date of birth": re.compile(re.escape(DOB)),
        "postcode": re.compile(re.escape(POSTCODE), re.I),
    }
    found: Counter[str] = Counter()
    for file in files:
        if file.role != "original":
            continue
        pdf = pdfium.PdfDocument(io.BytesIO(file.data))
        try:
            for page in pdf:
                text = page.get_textpage().get_text_range()
                flat = re.sub(r"[\s-]", "", text)
                for what, needle in needles.items():
                    found[what] += len(needle.findall(flat if what == "nhs number" else text))
                page.close()
        finally:
            pdf.close()
    return dict(found)


# build.py's steps, each timed (wall seconds; they run one after another)
STEPS = {
    "redact_document": "pages (render, Tesseract, checks)",
    "redacted_pdf": "redacted PDFs (reportlab)",
    "render_pdf": "summaries, FHIR, summary data",
    "render_html": "summaries, FHIR, summary data",
    "to_ips_bundle": "summaries, FHIR, summary data",
    "summary_data": "summaries, FHIR, summary data",
}


def time_steps() -> Counter[str]:
    """Wraps the steps build_pack calls (the names build.py imported) in timers."""
    from casebridge.engine.pack import build

    spent: Counter[str] = Counter()

    def timed(step: str, func: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent[step] += time.perf_counter() - began

        return wrapper

    for name, step in STEPS.items():
        if hasattr(build, name):
            setattr(build, name, timed(step, getattr(build, name)))
    return spent


def child(folder: Path, a85: bool = True) -> dict[str, Any]:
    if not a85:  # what-if: image streams binary, not ASCII85 (pure Python without rl-accel)
        from reportlab import rl_config

        rl_config.useA85 = 0
    from casebridge.engine.pack.build import build_pack
    from casebridge.engine.pack.identity import KnownIdentity
    from casebridge.engine.pipeline import build_case

    cpu0 = os.times()
    started = time.perf_counter()
    case = build_case(folder, "oncology")
    read = time.perf_counter() - started
    cpu1 = os.times()

    def original(document: Any) -> bytes | None:
        path = folder / document.file_name
        return path.read_bytes() if path.is_file() else None

    spent = time_steps()
    known = KnownIdentity(
        name=NAME, date_of_birth=DOB, nhs_number=NHS, address=ADDRESS, postcode=POSTCODE
    )
    began = time.perf_counter()
    pack = build_pack(
        case, original, pseudonym="CB-BENCH0001", created="2026-01-01T00:00:00+00:00", known=known
    )
    packed = time.perf_counter() - began
    cpu2 = os.times()

    def cpu(a: Any, b: Any) -> float:  # this process and its children (Tesseract)
        return (b.user + b.system + b.children_user + b.children_system) - (
            a.user + a.system + a.children_user + a.children_system
        )

    originals = [f for f in pack.manifest["files"] if f["role"] == "original"]
    withheld = Counter(w["why"] for f in originals for w in f.get("pages_withheld", []))
    return {
        "pages_read": sum(len(d.pages) for d in case.documents),
        "ocr_pages": sum(1 for d in case.documents for p in d.pages if p.method == "ocr"),
        "pack_pages": sum(f["pages"] for f in originals),
        "as_text": sum(len(f["pages_as_text"]) for f in originals),
        "withheld": dict(withheld),
        "identifiers_hidden": sum(f["identifiers_hidden"] for f in originals),
        "left_out": pack.manifest["left_out"],
        "pack_mb": sum(f["size"] for f in pack.manifest["files"]) / 1e6,
        "read_s": read,
        "pack_s": packed,
        "read_cpu": cpu(cpu0, cpu1),
        "pack_cpu": cpu(cpu1, cpu2),
        "pack_cpu_tesseract": (cpu2.children_user + cpu2.children_system)
        - (cpu1.children_user + cpu1.children_system),
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "steps": dict(spent),
        "leaks": leaks(pack.files),
    }


# -- the comparison --------------------------------------------------------------------


def run_child(folder: Path, a85: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.bench_pack", "--child", str(folder)]
    done = subprocess.run(
        command + ([] if a85 else ["--a85-off"]),
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the fastest pack (the least disturbed by the machine's other load)."""
    return min(runs, key=lambda r: r["read_s"] + r["pack_s"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--scanned", type=int, default=6, help="scanned-only pages ('pictures')")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each variant, alternating")
    parser.add_argument(
        "--variants",
        default="text,pictures",
        help=f"among {', '.join(VARIANTS)}; the first is the base",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated records")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--a85-off", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, a85=not args.a85_off)))
        return 0
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if not variants or set(variants) - set(VARIANTS):
        parser.error(f"--variants: among {', '.join(VARIANTS)}")

    tmp = Path(tempfile.mkdtemp(prefix="casebridge-bench-pack-"))
    try:
        for records in dict.fromkeys(VARIANTS[v] for v in variants):
            forms = make_records(tmp / records, records, args.pages, args.scanned)
            print(f"{records}: {', '.join(f'{n} {k}' for k, n in sorted(forms.items()))} pages")
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        print(f"{cores} cores; each run in a fresh process")
        runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
        for round_index in range(args.rounds):
            for variant in variants if round_index % 2 == 0 else variants[::-1]:
                result = run_child(tmp / VARIANTS[variant], a85=not variant.endswith("a85-off"))
                runs[variant].append(result)
                print(
                    f"round {round_index + 1}, {variant}: read {result['read_s']:.1f} s, "
                    f"pack {result['pack_s']:.1f} s"
                )
        figures = {v: best(r) for v, r in runs.items()}
        print(
            f"\n{'variant':<18}{'pages':>6}{'OCR':>5}{'read s':>8}{'pack s':>8}{'pack p/s':>9}"
            f"{'CPU s/p':>8}{'tess':>6}{'total s':>8}{'peak MiB':>9}{'as text':>8}"
            f"{'hidden':>7}{'MB':>6}"
        )
        for variant, r in figures.items():
            print(
                f"{variant:<18}{r['pack_pages']:>6}{r['ocr_pages']:>5}{r['read_s']:>8.1f}"
                f"{r['pack_s']:>8.1f}{r['pack_pages'] / r['pack_s']:>9.1f}"
                f"{r['pack_cpu'] / max(1, r['pack_pages']):>8.2f}"
                f"{r['pack_cpu_tesseract'] / max(1, r['pack_pages']):>6.2f}"
                f"{r['read_s'] + r['pack_s']:>8.1f}{r['peak_mib']:>9.0f}"
                f"{r['as_text']:>8}{r['identifiers_hidden']:>7}"
                f"{r['pack_mb']:>6.1f}"
            )
        for variant, r in figures.items():
            steps = ", ".join(f"{k} {v:.1f} s" for k, v in r["steps"].items())
            other = r["pack_s"] - sum(r["steps"].values())
            print(f"\n{variant}: pack {r['pack_s']:.1f} s = {steps}, the rest {other:.1f} s")
            print(f"{variant}: pages withheld (sent as their redacted text): {r['as_text']}")
            for why, count in sorted(r["withheld"].items(), key=lambda item: -item[1]):
                print(f"  {count:>4} x {why}")
            if r["left_out"]:
                print(f"  documents left out: {r['left_out']}")
            left = {k: n for k, n in r["leaks"].items() if n}
            print(
                "  patient identifiers left in the redacted text layers: "
                + (", ".join(f"{k} {n}" for k, n in left.items()) if left else "none")
            )
        base = variants[0]
        for other in variants[1:]:
            a, b = figures[base], figures[other]
            print(f"\n== {other} / {base} (above 1: {other} is slower)")
            print(f"pack seconds       x{b['pack_s'] / a['pack_s']:.2f}")
            print(
                f"pack CPU per page  x{(b['pack_cpu'] / b['pack_pages']) / (a['pack_cpu'] / a['pack_pages']):.2f}"
            )
            print(f"read seconds       x{b['read_s'] / a['read_s']:.2f}")
            print(f"peak memory        x{b['peak_mib'] / a['peak_mib']:.2f}")
        for variant, r in figures.items():
            if r["pack_pages"] < 300:
                print(
                    f"target ({variant}): not measured ({r['pack_pages']} pages, not 300: "
                    f"pack {r['pack_s']:.1f} s)"
                )
                continue
            verdict = "met" if r["pack_s"] < TARGET_SECONDS else "NOT met"
            print(
                f"target ({variant}): pack of {r['pack_pages']} pages < {TARGET_SECONDS:.0f} s "
                f"on {cores} cores: {verdict} ({r['pack_s']:.1f} s; reading the records "
                f"before it {r['read_s']:.1f} s)"
            )
        return 0
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
