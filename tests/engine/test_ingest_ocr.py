"""The ingest stage's OCR: scanned PDFs and phone photos, built here with PIL."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from casebridge.engine.ingest import read_bytes

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed"),
]

LINES = [
    "Oncology Clinic Letter",
    "Diagnosis: invasive ductal carcinoma of the left breast.",
    "Pathology: grade 2, ER positive, HER2 negative.",
    "Plan: wide local excision and sentinel node biopsy.",
]


def page_image(
    lines: list[str], size: tuple[int, int] = (1700, 700), font_size: int = 40
) -> Image.Image:
    """Black text on white, about 10-12 pt at 300 dpi."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=font_size)
    y = 60
    for line in lines:
        draw.text((80, y), line, font=font, fill=0)
        y += int(font_size * 1.6)
    return image


def test_it_ocrs_an_image_only_pdf() -> None:
    out = io.BytesIO()
    first = page_image(LINES)
    second = page_image(["Page two of the letter.", "Follow-up in six weeks at the clinic."])
    first.save(out, "PDF", resolution=300, save_all=True, append_images=[second])
    doc = read_bytes(out.getvalue(), "scan.pdf")[0]
    assert doc.status == "processed", doc.problems
    assert [(p.number, p.method) for p in doc.pages] == [(1, "ocr"), (2, "ocr")]
    assert "invasive ductal carcinoma" in doc.pages[0].text
    assert "six weeks" in doc.pages[1].text
    assert all(p.ocr_confidence is not None and p.ocr_confidence > 0.8 for p in doc.pages)


def test_it_turns_a_phone_photo_upright_by_its_exif_orientation() -> None:
    sideways = page_image(LINES).convert("RGB").rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    out = io.BytesIO()
    sideways.save(out, "JPEG", quality=90, exif=exif.tobytes())
    doc = read_bytes(out.getvalue(), "IMG_0042.JPG")[0]
    assert doc.media_type == "image/jpeg"
    assert doc.status == "processed", doc.problems
    assert doc.pages[0].method == "ocr"
    assert "wide local excision" in doc.text


def test_it_turns_a_sideways_photo_without_exif_upright_by_reading_it() -> None:
    sideways = page_image(LINES + LINES[1:]).rotate(90, expand=True)
    out = io.BytesIO()
    sideways.save(out, "PNG")
    doc = read_bytes(out.getvalue(), "photo.png")[0]
    assert doc.status == "processed", doc.problems
    assert "invasive ductal carcinoma" in doc.text


def test_it_asks_for_a_retake_of_a_blurred_photo() -> None:
    blurred = page_image(LINES).filter(ImageFilter.GaussianBlur(9))
    out = io.BytesIO()
    blurred.convert("RGB").save(out, "JPEG")
    doc = read_bytes(out.getvalue(), "blurry.jpg")[0]
    assert doc.status == "needs_attention"
    assert "please retake" in doc.problems[0]


def cjk_font() -> str | None:
    if shutil.which("fc-match") is None:
        return None
    found = subprocess.run(
        ["fc-match", ":lang=zh-cn", "-f", "%{file}"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return found or None


def test_it_reads_a_scanned_chinese_report_with_the_chinese_model() -> None:
    font_path = cjk_font()
    if font_path is None or not font_path.lower().endswith((".ttc", ".otf", ".ttf")):
        pytest.skip("no Chinese font")
    font = ImageFont.truetype(font_path, 44)
    image = Image.new("L", (1700, 600), 255)
    draw = ImageDraw.Draw(image)
    lines = [
        "病理诊断报告",
        "病理诊断：左乳浸润性导管癌，组织学分级二级。",
        "腋窝淋巴结未见转移癌。免疫组化：雌激素受体阳性。",
        "建议：临床随访，结合影像学检查。",
    ]
    for n, line in enumerate(lines):
        draw.text((80, 60 + n * 80), line, font=font, fill=0)
    out = io.BytesIO()
    image.save(out, "PNG")
    doc = read_bytes(out.getvalue(), "chinese.png")[0]
    assert doc.language == "zh"
    assert doc.status == "processed", doc.problems
    assert "浸润性导管癌" in doc.text


def test_it_reads_a_pdf_mixing_a_typed_page_and_a_low_resolution_scan() -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    scan = page_image(LINES).resize((850, 350))  # about 150 dpi once placed on the page
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.drawString(60, 780, "Typed page: the patient attended the oncology clinic with her daughter.")
    c.showPage()
    c.drawImage(ImageReader(scan), 0, A4[1] - 408, width=A4[0], height=408)
    c.showPage()
    c.save()
    doc = read_bytes(out.getvalue(), "mixed.pdf")[0]
    assert doc.status == "processed", doc.problems
    assert [p.method for p in doc.pages] == ["text-layer", "ocr"]
    assert "sentinel node biopsy" in doc.pages[1].text
