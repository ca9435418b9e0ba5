"""Generate the three synthetic example patients in examples/.

Everything here is FICTIONAL: people, NHS trusts, clinicians, addresses and
phone numbers were written for casebridge. NHS numbers are in the 999 range
(never issued to real patients) and still pass the modulus-11 check; phone
numbers are in Ofcom's ranges reserved for drama (0113 496 0xxx, 0117 496 0xxx,
01632 960xxx, 07700 900xxx).

Each patient folder holds what a UK patient typically gathers before asking for
a second opinion: digital PDFs (pathology, radiology, clinic letter, discharge
summary), one scanned image-only PDF, one phone photo (JPEG with EXIF), one
DOCX and one plain-text note.

Deterministic: fixed seeds, fixed PDF/DOCX/EXIF dates (SOURCE_DATE_EPOCH for
reportlab, fixed zip timestamps for DOCX), so re-running gives the same bytes.

    python examples/make_examples.py            # writes into examples/
    python examples/make_examples.py OUT_DIR    # writes elsewhere
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import reportlab
from docx import Document as DocxDocument
from docx.shared import Pt
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

HERE = Path(__file__).resolve().parent
FONT_DIR = Path(reportlab.__file__).parent / "fonts"
NHS_BLUE = (0, 94, 184)


# -- identity helpers -------------------------------------------------------------


def nhs_number(first_nine: str) -> str:
    """A 10-digit NHS number with a valid modulus-11 check digit, spaced 3-3-4."""
    digits = [int(c) for c in first_nine]
    assert len(digits) == 9
    total = sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    if check == 10:
        raise ValueError(f"{first_nine} has no valid check digit; choose other digits")
    n = first_nine + str(check)
    return f"{n[:3]} {n[3:6]} {n[6:]}"


@dataclass
class Person:
    title: str
    given: str
    family: str
    dob: dt.date
    nhs: str
    hospital_no: str
    address: list[str]
    postcode: str
    phone: str
    gp: list[str]

    @property
    def name(self) -> str:
        return f"{self.title} {self.given} {self.family}"

    @property
    def dob_text(self) -> str:
        return self.dob.strftime("%d/%m/%Y")

    def details(self) -> list[tuple[str, str]]:
        return [
            ("Name", f"{self.title} {self.given} {self.family.upper()}"),
            ("Date of birth", self.dob_text),
            ("NHS No", self.nhs),
            ("Hospital No", self.hospital_no),
            ("Address", ", ".join([*self.address, self.postcode])),
        ]


@dataclass
class Trust:
    name: str
    hospital: str
    department: str
    lines: list[str]  # address, phone


@dataclass
class Report:
    """One document: a trust header, a patient block, then blocks of text.

    Blocks: ("h", heading), ("p", paragraph), ("kv", "Label|Value"),
    ("li", bullet), ("sp", "") spacer, ("sig", "signature line")."""

    trust: Trust
    title: str
    person: Person
    date: dt.date
    meta: list[tuple[str, str]]
    blocks: list[tuple[str, str]]
    footer: str = ""
    show_details: bool = True
    extra: dict[str, str] = field(default_factory=dict)


# -- digital PDF (reportlab) ---------------------------------------------------------


def _epoch(day: dt.date, hour: int = 16) -> int:
    moment = dt.datetime(day.year, day.month, day.day, hour, 5, tzinfo=dt.UTC)
    return int(moment.timestamp())


def write_pdf(report: Report, path: Path) -> None:
    os.environ["SOURCE_DATE_EPOCH"] = str(_epoch(report.date))
    styles = getSampleStyleSheet()
    body = ParagraphStyle(
        "body", parent=styles["BodyText"], fontName="Helvetica", fontSize=9.5, leading=12.5
    )
    head = ParagraphStyle(
        "head", parent=body, fontName="Helvetica-Bold", fontSize=10.5, spaceBefore=6
    )
    title = ParagraphStyle(
        "title", parent=body, fontName="Helvetica-Bold", fontSize=13, spaceAfter=4
    )
    bullet = ParagraphStyle("li", parent=body, leftIndent=12, bulletIndent=2)
    small = ParagraphStyle("small", parent=body, fontSize=8, textColor=colors.grey)

    def header(canvas, doc):  # type: ignore[no-untyped-def]
        canvas.saveState()
        w, h = A4
        # NHS-style lozenge and trust name, top right
        canvas.setFillColorRGB(*(c / 255 for c in NHS_BLUE))
        canvas.rect(w - 38 * mm, h - 22 * mm, 24 * mm, 10 * mm, stroke=0, fill=1)
        canvas.setFillColor(colors.white)
        canvas.setFont("Helvetica-BoldOblique", 16)
        canvas.drawCentredString(w - 26 * mm, h - 19.5 * mm, "NHS")
        canvas.setFillColorRGB(*(c / 255 for c in NHS_BLUE))
        canvas.setFont("Helvetica-Bold", 10.5)
        canvas.drawRightString(w - 14 * mm, h - 28 * mm, report.trust.name)
        canvas.setFillColor(colors.black)
        canvas.setFont("Helvetica", 8.5)
        y = h - 33 * mm
        for line in [report.trust.hospital, report.trust.department, *report.trust.lines]:
            canvas.drawRightString(w - 14 * mm, y, line)
            y -= 3.8 * mm
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.grey)
        foot = f"{report.person.name}  |  NHS No {report.person.nhs}  |  Page {doc.page}"
        canvas.drawString(18 * mm, 10 * mm, foot)
        if report.footer:
            canvas.drawRightString(w - 14 * mm, 10 * mm, report.footer)
        canvas.restoreState()

    story: list = [Spacer(1, 36 * mm), Paragraph(report.title, title)]
    if report.show_details:
        rows = [
            [Paragraph(f"<b>{k}:</b>", body), Paragraph(v, body)]
            for k, v in report.person.details()
        ]
        meta = [[Paragraph(f"<b>{k}:</b>", body), Paragraph(v, body)] for k, v in report.meta]
        while len(meta) < len(rows):
            meta.append(["", ""])
        table = Table(
            [r + m for r, m in zip(rows, meta, strict=False)],
            colWidths=[26 * mm, 62 * mm, 30 * mm, 56 * mm],
        )
        table.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 0.6, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, -1), colors.Color(0.95, 0.96, 0.98)),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ]
            )
        )
        story += [table, Spacer(1, 4 * mm)]
    for kind, text in report.blocks:
        text = text.replace("&", "&amp;")
        if kind == "h":
            story.append(Paragraph(text, head))
        elif kind == "p":
            story.append(Paragraph(text, body))
            story.append(Spacer(1, 1.5 * mm))
        elif kind == "li":
            story.append(Paragraph(text, bullet, bulletText="\u2022"))
        elif kind == "kv":
            label, value = text.split("|", 1)
            story.append(Paragraph(f"<b>{label}:</b> {value}", body))
        elif kind == "sig":
            story.append(Spacer(1, 3 * mm))
            for line in text.split("\n"):
                story.append(Paragraph(line, body))
        elif kind == "small":
            story.append(Paragraph(text, small))
        elif kind == "sp":
            story.append(Spacer(1, 3 * mm))
        elif kind == "right":
            story.append(Paragraph(text, ParagraphStyle("r", parent=body, alignment=TA_RIGHT)))
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=14 * mm,
        topMargin=12 * mm,
        bottomMargin=16 * mm,
        title=report.title.title(),
        author=report.trust.name,
        creator="Clinical document system",
        producer="ReportLab PDF Library",
        invariant=1,
    )
    doc.build(story, onFirstPage=header, onLaterPages=header)


# -- the same report as a picture (scan, photo) ---------------------------------------


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / ("VeraBd.ttf" if bold else "Vera.ttf")), size)


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split():
            trial = f"{line} {word}".strip()
            if draw.textlength(trial, font=font) <= width:
                line = trial
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def render_image(
    report: Report, width: int, paper: tuple[int, int, int], mode: str = "RGB"
) -> Image.Image:
    """Draw the report on one A4 page `width` pixels wide (content must fit one page)."""
    height = round(width * 297 / 210)
    unit = width / 210  # pixels per mm
    img = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(img)
    f_body = _font(round(3.35 * unit))
    f_bold = _font(round(3.35 * unit), bold=True)
    f_head = _font(round(3.7 * unit), bold=True)
    f_title = _font(round(4.6 * unit), bold=True)
    f_small = _font(round(2.9 * unit))
    left, right = round(18 * unit), width - round(14 * unit)
    # header
    x0, y0 = right - round(24 * unit), round(12 * unit)
    draw.rectangle([x0, y0, right, y0 + round(10 * unit)], fill=NHS_BLUE)
    nhs_font = _font(round(6 * unit), bold=True)
    tw = draw.textlength("NHS", font=nhs_font)
    draw.text((x0 + (24 * unit - tw) / 2, y0 + 1.6 * unit), "NHS", font=nhs_font, fill="white")
    y = y0 + round(13 * unit)
    for i, line in enumerate(
        [report.trust.name, report.trust.hospital, report.trust.department, *report.trust.lines]
    ):
        font = _font(round(3.6 * unit), bold=True) if i == 0 else f_small
        draw.text(
            (right - draw.textlength(line, font=font), y),
            line,
            font=font,
            fill=NHS_BLUE if i == 0 else (20, 20, 20),
        )
        y += round((5 if i == 0 else 4) * unit)
    y = max(y, round(48 * unit)) + round(2 * unit)
    draw.text((left, y), report.title, font=f_title, fill=(10, 10, 10))
    y += round(8 * unit)
    if report.show_details:
        rows = report.person.details()
        meta = report.meta
        top = y
        line_h = round(4.6 * unit)
        for i, (k, v) in enumerate(rows):
            draw.text((left + 4, y), f"{k}:", font=f_bold, fill=(15, 15, 15))
            for j, part in enumerate(_wrap(draw, v, f_body, round(60 * unit))):
                draw.text(
                    (left + round(30 * unit), y + j * line_h), part, font=f_body, fill=(15, 15, 15)
                )
                if j:
                    y += line_h
            if i < len(meta):
                mk, mv = meta[i]
                draw.text((left + round(92 * unit), y), f"{mk}:", font=f_bold, fill=(15, 15, 15))
                draw.text((left + round(126 * unit), y), mv, font=f_body, fill=(15, 15, 15))
            y += line_h
        draw.rectangle([left, top - 6, right, y + 4], outline=(30, 30, 30), width=2)
        y += round(6 * unit)
    line_h = round(4.5 * unit)
    text_w = right - left
    for kind, text in report.blocks:
        if kind == "h":
            y += round(2 * unit)
            draw.text((left, y), text, font=f_head, fill=(10, 10, 10))
            y += round(5.5 * unit)
        elif kind in ("p", "li", "small", "right"):
            font = f_small if kind == "small" else f_body
            indent = round(5 * unit) if kind == "li" else 0
            if kind == "li":
                draw.text((left + round(1.5 * unit), y), "\u2022", font=f_body, fill=(15, 15, 15))
            for line in _wrap(draw, text, font, text_w - indent):
                xx = left + indent
                if kind == "right":
                    xx = right - round(draw.textlength(line, font=font))
                draw.text((xx, y), line, font=font, fill=(15, 15, 15))
                y += line_h
            y += round(1.5 * unit)
        elif kind == "kv":
            label, value = text.split("|", 1)
            draw.text((left, y), f"{label}:", font=f_bold, fill=(15, 15, 15))
            offset = round(draw.textlength(f"{label}: ", font=f_bold))
            for j, line in enumerate(_wrap(draw, value, f_body, text_w - offset)):
                draw.text((left + offset, y), line, font=f_body, fill=(15, 15, 15))
                y += line_h
                if j == 0:
                    offset = offset
        elif kind == "sig":
            y += round(3 * unit)
            for line in text.split("\n"):
                draw.text((left, y), line, font=f_body, fill=(15, 15, 15))
                y += line_h
        elif kind == "sp":
            y += round(3 * unit)
    if y > height - 20 * unit:
        raise ValueError(f"{report.title}: text does not fit one page ({y} > {height})")
    foot = f"{report.person.name}  |  NHS No {report.person.nhs}  |  Page 1 of 1"
    draw.text((left, height - round(12 * unit)), foot, font=f_small, fill=(90, 90, 90))
    return img.convert(mode)


def _noise(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    return Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))


def write_scan(report: Report, path: Path, seed: int, angle: float) -> None:
    """An image-only PDF as a flatbed scan at 200 dpi: grey paper, slight skew, noise."""
    rng = random.Random(seed)
    page = render_image(report, 1654, (255, 255, 255), mode="L")
    page = page.point(lambda v: round(28 + v * 0.86))  # grey paper, toner not quite black
    page = page.rotate(angle, resample=Image.BICUBIC, fillcolor=247)
    noise = _noise(rng, page.size)
    page = Image.blend(page, noise, 0.06)
    # a few dust specks: where two independent noise bytes are both 255 (~1 in 65,000 pixels)
    other = _noise(rng, page.size)
    dust = ImageChops.multiply(
        noise.point(lambda v: 255 if v == 255 else 0), other.point(lambda v: 255 if v == 255 else 0)
    )
    dust = dust.filter(ImageFilter.MaxFilter(3)).point(lambda v: 120 if v else 255)
    page = ImageChops.darker(page, dust)
    page = page.filter(ImageFilter.GaussianBlur(0.7))
    when = dt.datetime(report.date.year, report.date.month, report.date.day, 18, 30, tzinfo=dt.UTC)
    scanned = dt.datetime(2026, 9, 13, 11, 2, tzinfo=dt.UTC)
    page.save(
        path,
        "PDF",
        resolution=200.0,
        quality=55,
        title="Scan",
        producer="Scanner app",
        creationDate=max(when, scanned).timetuple(),
        modDate=max(when, scanned).timetuple(),
    )


def _perspective_coeffs(
    dest: list[tuple[float, float]], src: list[tuple[float, float]]
) -> list[float]:
    """Coefficients for Image.PERSPECTIVE mapping output (dest) points to input (src)."""
    rows: list[list[float]] = []
    rhs: list[float] = []
    for (x, y), (u, v) in zip(dest, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rhs.append(u)
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.append(v)
    # Gaussian elimination with partial pivoting (8 x 8)
    n = 8
    m = [r + [b] for r, b in zip(rows, rhs, strict=True)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(n):
            if r != col:
                factor = m[r][col] / m[col][col]
                m[r] = [a - factor * b for a, b in zip(m[r], m[col], strict=True)]
    return [m[i][n] / m[i][i] for i in range(n)]


def write_photo(
    report: Report, path: Path, seed: int, taken: dt.datetime, model: tuple[str, str]
) -> None:
    """A phone photo of a paper letter on a table: perspective, uneven light, EXIF."""
    rng = random.Random(seed)
    W, H = 1500, 2000
    page = render_image(report, 1240, (250, 248, 241)).convert("RGBA")
    pw, ph = page.size
    # table: warm wood-ish gradient with grain
    table = Image.new("RGB", (4, 4))
    for i in range(4):
        for j in range(4):
            base = 96 + rng.randint(-10, 10)
            table.putpixel((i, j), (base + 40, base + 14, base - 18))
    table = table.resize((W, H), Image.BICUBIC)
    grain = _noise(rng, (W // 4, H)).resize((W, H)).filter(ImageFilter.GaussianBlur(1.5))
    table = Image.blend(table, Image.merge("RGB", (grain, grain, grain)), 0.08)

    def jitter(x: float, y: float) -> tuple[float, float]:
        return x + rng.uniform(-25, 25), y + rng.uniform(-25, 25)

    dest = [jitter(150, 150), jitter(1360, 115), jitter(1420, 1880), jitter(95, 1905)]
    src = [(0.0, 0.0), (float(pw), 0.0), (float(pw), float(ph)), (0.0, float(ph))]
    coeffs = _perspective_coeffs(dest, src)
    warped = page.transform((W, H), Image.PERSPECTIVE, coeffs, Image.BICUBIC)
    shadow = Image.new("L", (W, H), 0)
    ImageDraw.Draw(shadow).polygon([(x + 14, y + 18) for x, y in dest], fill=120)
    shadow = shadow.filter(ImageFilter.GaussianBlur(18))
    photo = Image.composite(Image.new("RGB", (W, H), (30, 22, 15)), table, shadow)
    photo.paste(warped, (0, 0), warped)
    # uneven lighting: a smooth 3 x 3 brightness field, brighter near a window at top left
    light = Image.new("L", (3, 3))
    levels = [255, 236, 204, 240, 214, 184, 214, 190, 158]
    for k, level in enumerate(levels):
        light.putpixel((k % 3, k // 3), max(0, min(255, level + rng.randint(-8, 8))))
    light = light.resize((W, H), Image.BICUBIC).filter(ImageFilter.GaussianBlur(60))
    photo = ImageChops.multiply(
        photo, Image.merge("RGB", (light, light, light.point(lambda v: round(v * 0.96))))
    )
    photo = photo.rotate(rng.uniform(-1.2, 1.2), resample=Image.BICUBIC, fillcolor=(60, 45, 30))
    sensor = _noise(rng, (W, H))
    photo = Image.blend(photo, Image.merge("RGB", (sensor, sensor, sensor)), 0.035)
    photo = photo.filter(ImageFilter.GaussianBlur(0.6))
    exif = Image.Exif()
    stamp = taken.strftime("%Y:%m:%d %H:%M:%S")
    exif[0x010F] = model[0]  # Make
    exif[0x0110] = model[1]  # Model
    exif[0x0112] = 1  # Orientation
    exif[0x0131] = "HDR+ 1.0"  # Software
    exif[0x0132] = stamp  # DateTime
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = stamp  # DateTimeOriginal
    sub[0x9004] = stamp  # DateTimeDigitized
    sub[0x829A] = 1 / 60  # ExposureTime
    sub[0x8827] = 250  # ISOSpeedRatings
    photo.save(path, "JPEG", quality=84, exif=exif.tobytes(), optimize=True)


# -- DOCX and text ---------------------------------------------------------------------


def write_docx(
    path: Path, when: dt.datetime, author: str, title: str, blocks: list[tuple[str, str]]
) -> None:
    doc = DocxDocument()
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    for kind, text in blocks:
        if kind == "title":
            doc.add_heading(text, level=1)
        elif kind == "h":
            doc.add_heading(text, level=2)
        elif kind == "li":
            doc.add_paragraph(text, style="List Bullet")
        elif kind == "table":
            rows = [r.split("|") for r in text.split("\n")]
            table = doc.add_table(rows=len(rows), cols=len(rows[0]))
            table.style = "Table Grid"
            for i, row in enumerate(rows):
                for j, cell in enumerate(row):
                    table.cell(i, j).text = cell.strip()
                    if i == 0:
                        for run in table.cell(i, j).paragraphs[0].runs:
                            run.bold = True
        else:
            doc.add_paragraph(text)
    props = doc.core_properties
    props.author = author
    props.last_modified_by = author
    props.title = title
    props.created = when.replace(tzinfo=None)
    props.modified = when.replace(tzinfo=None)
    props.revision = 3
    buf = io.BytesIO()
    doc.save(buf)
    # Re-pack with fixed member timestamps so the bytes are reproducible.
    stamp = (when.year, when.month, when.day, when.hour, when.minute, 0)
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w") as out:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            out.writestr(info, src.read(item.filename))


def write_text(path: Path, text: str) -> None:
    path.write_text(text.strip() + "\n", encoding="utf-8", newline="\n")


# =====================================================================================
# Patient 1: breast cancer, HER2 IHC 2+ awaiting ISH
# =====================================================================================

NORTHBROOK = Trust(
    "Northbrook Hospitals NHS Foundation Trust",
    "Northbrook General Hospital, Ashby Road, Northbrook NB1 4HS",
    "",
    ["Switchboard: 0113 496 0000"],
)


def breast(out: Path) -> None:
    p = Person(
        "Ms",
        "Eleanor Jane",
        "Whitcombe",
        dt.date(1971, 3, 14),
        nhs_number("999047132"),
        "NB4471203",
        ["27 Lavender Close", "Ashcombe", "West Yorkshire"],
        "LS29 8QJ",
        "0113 496 0521",
        ["Dr S. Kaur", "Meadowbank Surgery", "12 Mill Lane, Ashcombe LS29 7AB"],
    )
    breast_unit = Trust(
        NORTHBROOK.name,
        NORTHBROOK.hospital,
        "Breast Unit, Rowan Wing",
        ["Breast Care Nurses: 0113 496 0455"],
    )
    pathology_dept = Trust(
        NORTHBROOK.name,
        NORTHBROOK.hospital,
        "Department of Cellular Pathology",
        ["Enquiries: 0113 496 0612"],
    )
    radiology_dept = Trust(
        NORTHBROOK.name,
        NORTHBROOK.hospital,
        "Breast Imaging, Rowan Wing",
        ["Appointments: 0113 496 0470"],
    )

    radiology = Report(
        radiology_dept,
        "BREAST IMAGING REPORT",
        p,
        dt.date(2026, 9, 1),
        [
            ("Examination", "Bilat mammo + L breast/axilla US"),
            ("Date of exam", "01/09/2026"),
            ("Accession", "NBR26-118204"),
            ("Referrer", "Miss R. Lyle"),
        ],
        [
            (
                "kv",
                "Clinical details|55-year-old woman, 2-week-wait referral: 3-week history of a palpable lump in the left breast, upper outer quadrant. No nipple discharge.",
            ),
            ("h", "Mammography (bilateral, CC and MLO views)"),
            (
                "p",
                "Breast density: scattered fibroglandular (BI-RADS density B). Left breast: irregular spiculated mass in the upper outer quadrant, posterior depth, with no associated microcalcification. M5. Right breast: no suspicious mass, distortion or calcification. M1.",
            ),
            ("h", "Ultrasound, left breast and axilla"),
            (
                "p",
                "At 2 o'clock, 6 cm from the nipple, there is an irregular, hypoechoic, non-parallel mass with indistinct margins and posterior acoustic shadowing measuring 24 x 19 x 18 mm. U5. The mass corresponds to the palpable lump and to the mammographic abnormality. No further lesions in the left breast.",
            ),
            (
                "p",
                "Left axilla: one morphologically abnormal level I lymph node with eccentric cortical thickening to 6 mm and effacement of the fatty hilum. U4. Remaining axillary nodes have normal morphology.",
            ),
            ("h", "Procedure"),
            (
                "p",
                "Following informed verbal consent and local anaesthetic, ultrasound-guided 14G core biopsies were taken: left breast 2 o'clock mass x 4 cores, left axillary node x 2 cores. A marker clip (HydroMARK) was placed in the breast lesion; position confirmed on post-procedure mammogram. No immediate complication.",
            ),
            ("h", "Conclusion"),
            (
                "li",
                "Left breast 2 o'clock mass, 24 mm on ultrasound, U5/M5: highly suspicious of malignancy. Biopsied and clipped.",
            ),
            ("li", "One abnormal left axillary lymph node (U4): biopsied."),
            ("li", "Right breast: normal (M1)."),
            (
                "p",
                "Imaging size 24 mm; radiological stage in keeping with T2 N1. For discussion at the Breast MDT. Staging to be considered by the MDT in view of the abnormal node.",
            ),
            (
                "sig",
                "Reported by: Dr Helen Marsh, Consultant Breast Radiologist\nReport verified electronically 01/09/2026 16:42",
            ),
        ],
        footer="NBR26-118204",
    )

    pathology = Report(
        pathology_dept,
        "HISTOPATHOLOGY REPORT",
        p,
        dt.date(2026, 9, 8),
        [
            ("Lab number", "H26-31874"),
            ("Collected", "01/09/2026"),
            ("Received", "01/09/2026"),
            ("Reported", "08/09/2026"),
            ("Requested by", "Miss R. Lyle"),
        ],
        [
            (
                "kv",
                "Clinical details|Left breast 2 o'clock mass, 24 mm U5/M5. Abnormal left axillary node U4. ? carcinoma.",
            ),
            ("h", "Specimens"),
            (
                "p",
                "A: Left breast 2 o'clock, US-guided 14G core biopsy (4 cores). B: Left axillary lymph node, US-guided core biopsy (2 cores).",
            ),
            ("h", "Macroscopy"),
            (
                "p",
                "A: Four cores of pale tissue, 10-16 mm. All embedded. B: Two cores, 8 and 11 mm. All embedded.",
            ),
            ("h", "Microscopy"),
            (
                "p",
                "A: The cores contain invasive carcinoma of no special type (ductal NST) arranged in nests and cords with a desmoplastic stroma. Grade 2 (tubule formation 3, nuclear pleomorphism 2, mitoses 2; total score 7). A small focus of intermediate-grade DCIS is present. Lymphovascular invasion is not identified in the cores.",
            ),
            (
                "p",
                "B: Lymph node tissue extensively replaced by metastatic carcinoma with morphology similar to A.",
            ),
            ("h", "Immunohistochemistry (block A1)"),
            (
                "kv",
                "Oestrogen receptor (ER)|Positive. Allred score 8/8 (proportion 5, intensity 3); approximately 90% of tumour nuclei staining strongly.",
            ),
            (
                "kv",
                "Progesterone receptor (PR)|Positive. Allred score 6/8 (proportion 4, intensity 2).",
            ),
            (
                "kv",
                "HER2 (HercepTest)|Score 2+ (equivocal): weak to moderate complete membrane staining in more than 10% of invasive tumour cells.",
            ),
            ("kv", "Ki-67|20%"),
            (
                "p",
                "In view of the equivocal HER2 IHC result, the block has been referred for HER2 in situ hybridisation (dual-probe ISH). The ISH result will follow in a supplementary report.",
            ),
            ("h", "Conclusion"),
            (
                "li",
                "A: Left breast 2 o'clock core biopsy: invasive carcinoma of no special type (NST), grade 2. ER positive (Allred 8), PR positive (Allred 6), HER2 IHC 2+ (equivocal): ISH pending. B5b.",
            ),
            (
                "li",
                "B: Left axillary lymph node core biopsy: metastatic carcinoma, in keeping with breast primary. B5b.",
            ),
            (
                "small",
                "SNOMED: T04020 M85003; T08100 M81406. Tested in a UKAS-accredited laboratory (10234). HER2 testing follows the UK NEQAS ICC & ISH recommendations.",
            ),
            ("sig", "Dr Oliver Grant, Consultant Histopathologist\nAuthorised 08/09/2026 12:15"),
        ],
        footer="H26-31874",
    )

    letter = Report(
        breast_unit,
        "BREAST CLINIC LETTER",
        p,
        dt.date(2026, 9, 11),
        [
            ("Clinic date", "11/09/2026"),
            ("Consultant", "Miss R. Lyle"),
            ("Typed", "14/09/2026"),
            ("Our ref", "RL/JW/4471203"),
        ],
        [
            ("p", "Dr S. Kaur, Meadowbank Surgery, 12 Mill Lane, Ashcombe LS29 7AB"),
            ("p", "Dear Dr Kaur,"),
            (
                "kv",
                "Diagnosis|Left breast invasive ductal carcinoma (NST), grade 3, 24 mm on ultrasound, with a biopsy-proven left axillary nodal metastasis. ER positive (Allred 8), PR positive (Allred 6), HER2 2+ (equivocal) - ISH awaited. Ki-67 20%.",
            ),
            ("kv", "Clinical stage|cT2 N1; distant staging awaited."),
            ("kv", "Performance status|WHO 0"),
            ("kv", "Menopausal status|Postmenopausal (last menstrual period 2021)"),
            ("kv", "Allergies|Penicillin (rash)"),
            ("kv", "Medication|Amlodipine 5 mg once daily; atorvastatin 20 mg at night"),
            (
                "p",
                "I saw Ms Whitcombe with her daughter in the results clinic today, together with our breast care nurse, Sister Amy Dobson. I explained that the biopsies confirm a breast cancer in the left breast and that the cancer has spread to a lymph node in the left armpit. The cancer is sensitive to oestrogen. The HER2 test is borderline (2+) and the laboratory is carrying out a further test (ISH) to decide whether the cancer is HER2 positive; we expect this within 10 working days.",
            ),
            (
                "p",
                "Her case was discussed at the Breast MDT on 10/09/2026. Because the axillary node is involved, the MDT recommended staging with a CT scan of the chest, abdomen and pelvis and an isotope bone scan; these are booked for 22/09/2026 and 23/09/2026.",
            ),
            ("h", "Plan"),
            (
                "li",
                "Await HER2 ISH result and staging scans; re-discuss at Breast MDT on 24/09/2026.",
            ),
            (
                "li",
                "If HER2 amplified: refer to Dr Nadia Farouk (Consultant Clinical Oncologist) for neoadjuvant chemotherapy with trastuzumab and pertuzumab before surgery.",
            ),
            (
                "li",
                "If HER2 not amplified (ER positive, HER2 negative): discuss neoadjuvant chemotherapy versus primary surgery (left wide local excision or mastectomy with axillary clearance) with the oncology team.",
            ),
            (
                "li",
                "Genetic testing: she does not currently meet the national testing criteria (mother diagnosed with breast cancer at 68); we will review if the family history changes.",
            ),
            (
                "p",
                "Ms Whitcombe has told us she would like a second opinion on her treatment plan and we are happy to provide copies of her reports. She has our breast care nurse's number for any questions.",
            ),
            ("p", "Yours sincerely,"),
            (
                "sig",
                "Miss Rebecca Lyle FRCS\nConsultant Oncoplastic Breast Surgeon\ncc: Ms Eleanor Whitcombe (patient)",
            ),
        ],
        footer="RL/JW/4471203",
    )

    discharge = Report(
        Trust(
            NORTHBROOK.name,
            NORTHBROOK.hospital,
            "Same Day Emergency Care (SDEC)",
            ["Ward 14 tel: 0113 496 0733"],
        ),
        "DISCHARGE SUMMARY",
        p,
        dt.date(2026, 9, 2),
        [
            ("Admitted", "01/09/2026 19:40"),
            ("Discharged", "02/09/2026 10:15"),
            ("Consultant", "Mr A. Okoye (General Surgery)"),
            ("Ward", "SDEC / Ward 14"),
        ],
        [
            ("kv", "GP|Dr S. Kaur, Meadowbank Surgery, 12 Mill Lane, Ashcombe LS29 7AB"),
            (
                "kv",
                "Presenting complaint|Swelling and bruising of the left breast about 5 hours after ultrasound-guided core biopsy at the Breast Unit on 01/09/2026.",
            ),
            ("kv", "Diagnosis|Small post-biopsy haematoma, left breast. No active bleeding."),
            ("h", "Clinical summary"),
            (
                "p",
                "55-year-old woman attended SDEC in the evening of her breast biopsy with a tender swelling at the biopsy site. Observations normal throughout (HR 78, BP 138/82, afebrile). Examination: 4 cm soft, non-expanding haematoma at the left upper outer quadrant; skin intact; no signs of infection. Haemoglobin 128 g/L, platelets 262 x10^9/L, INR 1.0. Ultrasound by the on-call radiologist: 30 mm haematoma, no active extravasation.",
            ),
            (
                "p",
                "Managed with a compression bandage and observed overnight on Ward 14. The swelling had not increased by the morning and she was discharged home.",
            ),
            (
                "kv",
                "Past medical history|Hypertension; hypercholesterolaemia; appendicectomy (1989)",
            ),
            ("kv", "Allergies|Penicillin - rash"),
            ("h", "Medications on discharge"),
            ("li", "Amlodipine 5 mg orally once daily (unchanged)"),
            ("li", "Atorvastatin 20 mg orally at night (unchanged)"),
            (
                "li",
                "Paracetamol 1 g orally up to four times a day when required for pain (new, 2 days supply)",
            ),
            (
                "kv",
                "Advice|Supportive bra day and night for 48 hours. Avoid ibuprofen for 48 hours.",
            ),
            (
                "kv",
                "Follow-up|Results appointment at the Breast Unit on 11/09/2026 as already arranged. No GP action required.",
            ),
            (
                "sig",
                "Dr Laura Bennett, FY2 doctor, for Mr A. Okoye\nElectronically signed 02/09/2026 10:02",
            ),
        ],
    )

    mdt = Report(
        breast_unit,
        "BREAST MDT OUTCOME",
        p,
        dt.date(2026, 9, 10),
        [
            ("MDT date", "10/09/2026"),
            ("Lead clinician", "Miss R. Lyle"),
            ("Key worker", "Sr A. Dobson"),
        ],
        [
            ("kv", "Presentation|55F, 2WW, palpable left breast lump. Postmenopausal. WHO PS 0."),
            (
                "kv",
                "Imaging|L breast 2 o'clock mass 24 mm U5/M5; one abnormal L axillary node U4. Right breast normal.",
            ),
            (
                "kv",
                "Pathology|L breast core: invasive carcinoma NST, grade 2, ER positive Allred 8, PR positive Allred 6, HER2 IHC 2+ (equivocal) - ISH sent. Ki-67 20%. L axillary node core: metastatic carcinoma.",
            ),
            ("kv", "Clinical stage|cT2 cN1 (staging awaited)"),
            ("h", "MDT outcome"),
            ("li", "Staging: CT chest/abdomen/pelvis and isotope bone scan (node positive)."),
            ("li", "Await HER2 ISH."),
            (
                "li",
                "Re-discuss 24/09/2026 with ISH and staging results; consider neoadjuvant systemic therapy.",
            ),
            ("li", "Refer to oncology. Breast care nurse support."),
            ("kv", "Clinical trial|None suitable at present."),
            (
                "sig",
                "Recorded by: Karen Whitley, MDT Coordinator\nOutcome agreed by: Miss R. Lyle, Dr H. Marsh, Dr O. Grant, Dr N. Farouk",
            ),
        ],
    )

    appointment = Report(
        Trust(
            NORTHBROOK.name,
            NORTHBROOK.hospital,
            "Radiology Department - Appointments",
            ["Tel: 0113 496 0470 (Mon-Fri 8am-6pm)"],
        ),
        "APPOINTMENT LETTER",
        p,
        dt.date(2026, 9, 12),
        [("Date", "12/09/2026"), ("Ref", "NBR26-121377")],
        [
            ("p", f"Dear {p.title} {p.family},"),
            ("p", "Your consultant has requested the following scans. Please attend as below."),
            ("kv", "Scan 1|CT Chest, Abdomen and Pelvis with contrast"),
            ("kv", "When|Tuesday 22 September 2026 at 14:20 (please arrive 30 minutes early)"),
            ("kv", "Where|CT Suite, Ground Floor, Main Building, Northbrook General Hospital"),
            (
                "p",
                "Please do not eat for 2 hours before your scan; you may drink water. You will be asked to drink some water in the department. If you have diabetes or kidney problems, please ring us.",
            ),
            ("kv", "Scan 2|Isotope bone scan (Nuclear Medicine)"),
            ("kv", "When|Wednesday 23 September 2026: injection at 09:00, scan at 12:00"),
            ("kv", "Where|Nuclear Medicine, Level 1, Rowan Wing"),
            (
                "p",
                "Please bring this letter and a list of your medicines. If you cannot attend, please ring us as soon as possible so that the appointment can be offered to another patient.",
            ),
            ("p", "Yours sincerely,"),
            ("sig", "Radiology Appointments Team"),
        ],
    )

    out.mkdir(parents=True, exist_ok=True)
    write_pdf(radiology, out / "Breast imaging report 01-09-2026.pdf")
    write_pdf(pathology, out / "Histopathology H26-31874.pdf")
    write_pdf(letter, out / "Breast clinic letter 11 Sept 2026.pdf")
    write_pdf(discharge, out / "SDEC discharge summary.pdf")
    write_scan(mdt, out / "Scan 13 Sep 2026.pdf", seed=101, angle=0.8)
    write_photo(
        appointment,
        out / "IMG_20260913_184210.jpg",
        seed=102,
        taken=dt.datetime(2026, 9, 13, 18, 42, 10),
        model=("Google", "Pixel 7a"),
    )
    write_docx(
        out / "GP summary - Meadowbank Surgery.docx",
        dt.datetime(2026, 9, 14, 9, 30),
        "Meadowbank Surgery",
        "Patient summary",
        [
            ("title", "Meadowbank Surgery - Patient Summary"),
            (
                "p",
                "12 Mill Lane, Ashcombe LS29 7AB. Tel 0113 496 0900. Printed 14/09/2026 by reception at the patient's request.",
            ),
            (
                "table",
                f"Name|{p.title} {p.given} {p.family}\nDate of birth|{p.dob_text}\nNHS number|{p.nhs}\nAddress|{', '.join(p.address)} {p.postcode}\nTelephone|{p.phone}\nUsual GP|Dr Simran Kaur",
            ),
            ("h", "Active problems"),
            ("li", "01/09/2026  Malignant neoplasm of left breast (under Northbrook Breast Unit)"),
            ("li", "14/05/2018  Essential hypertension"),
            ("li", "02/10/2019  Hypercholesterolaemia"),
            ("h", "Past problems"),
            ("li", "1989  Appendicectomy"),
            ("li", "2004  Carpal tunnel decompression, right"),
            ("h", "Current repeat medication"),
            (
                "table",
                "Drug|Dose|Last issued\nAmlodipine 5 mg tablets|One daily|28/08/2026\nAtorvastatin 20 mg tablets|One at night|28/08/2026",
            ),
            ("h", "Allergies and adverse reactions"),
            ("li", "Penicillin V - rash (recorded 1995)"),
            ("h", "Family history"),
            ("li", "Mother: breast cancer, diagnosed aged 68"),
            ("li", "Father: ischaemic heart disease"),
            ("h", "Social"),
            (
                "p",
                "Never smoked. Alcohol about 6 units per week. Works as a primary school administrator. Lives with husband.",
            ),
            ("h", "Recent results"),
            (
                "table",
                "Date|Test|Result\n12/06/2026|eGFR|84 mL/min/1.73m2\n12/06/2026|Total cholesterol|4.6 mmol/L\n12/06/2026|HbA1c|38 mmol/mol\n12/06/2026|Blood pressure|134/80 mmHg\n12/06/2026|BMI|26.1 kg/m2",
            ),
        ],
    )
    write_text(
        out / "my questions for the doctors.txt",
        """
Questions for the second opinion - Eleanor Whitcombe (written 13 Sept 2026)

1. My HER2 came back 2+ and they are doing another test (ISH). If the ISH is
   negative, does "HER2-low" change what treatment I should have, now or later?
2. If the ISH is positive, is chemotherapy plus trastuzumab and pertuzumab before
   surgery the right order for me?
3. If HER2 is negative: do I need chemotherapy at all, or could I have surgery
   first and then hormone tablets? Would a test like Oncotype help with one
   lymph node involved?
4. Could I keep my breast (lumpectomy) instead of a mastectomy?
5. Do I really need all the lymph nodes taken out under my arm, or is there a
   smaller operation after chemotherapy?
6. My mother had breast cancer at 68. Should I have genetic testing anyway?
7. The letter from the clinic says grade 3 but I think the biopsy report says
   grade 2. Which is right, and does it matter?

Scans booked: CT on 22 Sept, bone scan on 23 Sept. Back at MDT on 24 Sept.
Still waiting for the ISH result.
""",
    )


# =====================================================================================
# Patient 2: lung adenocarcinoma, EGFR exon 19 deletion, progressing on osimertinib
# =====================================================================================

SEVERNSIDE = "Severnside University Hospitals NHS Trust"


def lung(out: Path) -> None:
    p = Person(
        "Mr",
        "Rhys Gethin",
        "Pritchard",
        dt.date(1962, 11, 2),
        nhs_number("999218364"),
        "SV0738251",
        ["Flat 3", "41 Quarry Hill Road", "Stonebridge", "Bristol"],
        "BS16 9XT",
        "0117 496 0742",
        ["Dr J. Whitfield", "Brook Lane Medical Practice", "Brook Lane, Stonebridge BS16 2PL"],
    )
    hospital = "Severnside Royal Infirmary, Marlborough Street, Bristol BS2 8QQ"
    oncology = Trust(
        SEVERNSIDE,
        "Severnside Cancer Centre",
        "Lung Oncology",
        ["Oncology secretaries: 0117 496 0310", "Acute oncology: 0117 496 0399"],
    )
    pathology_dept = Trust(
        SEVERNSIDE,
        hospital,
        "Cellular Pathology and Molecular Diagnostics",
        ["Enquiries: 0117 496 0620"],
    )
    radiology_dept = Trust(
        SEVERNSIDE, hospital, "Department of Radiology", ["Enquiries: 0117 496 0455"]
    )

    pathology = Report(
        pathology_dept,
        "HISTOPATHOLOGY AND MOLECULAR REPORT",
        p,
        dt.date(2025, 11, 7),
        [
            ("Lab number", "SV25-48820"),
            ("Collected", "22/10/2025"),
            ("Reported", "29/10/2025"),
            ("Molecular", "07/11/2025"),
            ("Requested by", "Dr K. Adeyemi"),
        ],
        [
            (
                "kv",
                "Clinical details|RUL mass 38 mm, enlarged subcarinal and right paratracheal nodes on CT. EBUS-TBNA for diagnosis and staging.",
            ),
            (
                "kv",
                "Specimens|A: EBUS-TBNA station 7 (subcarinal), 3 passes, cell block. B: EBUS-TBNA station 4R, 2 passes, cell block.",
            ),
            ("h", "Microscopy"),
            (
                "p",
                "A: The cell block contains clusters of malignant epithelial cells with acinar architecture and intracytoplasmic mucin, in a background of lymphoid cells. B: Lymphoid tissue only; no malignant cells seen.",
            ),
            (
                "kv",
                "Immunohistochemistry (A)|TTF-1 positive, napsin A positive, CK7 positive, p40 negative, CK20 negative.",
            ),
            ("h", "Diagnosis"),
            (
                "p",
                "A: Station 7 lymph node: metastatic non-small cell carcinoma, favour adenocarcinoma (TTF-1 positive), consistent with a lung primary. B: Station 4R: no evidence of malignancy.",
            ),
            ("h", "Predictive markers"),
            (
                "kv",
                "PD-L1 (22C3, Dako Link 48)|Tumour proportion score (TPS) 5%. Adequate sample (more than 100 viable tumour cells).",
            ),
            ("kv", "ALK (D5F3 IHC, Ventana)|Negative."),
            (
                "kv",
                "ROS1|Not assessed: insufficient tumour material for ROS1 IHC after DNA extraction; RNA fusion panel failed quality control.",
            ),
            (
                "h",
                "Molecular pathology (South West Genomic Laboratory Hub, NGS DNA panel, 07/11/2025)",
            ),
            (
                "kv",
                "EGFR|Exon 19 deletion detected: c.2235_2249del p.(Glu746_Ala750del). Variant allele frequency 18%. No EGFR T790M or exon 20 insertion detected.",
            ),
            ("kv", "KRAS|No pathogenic variant detected."),
            ("kv", "BRAF|No pathogenic variant detected (including V600E)."),
            ("kv", "MET|No exon 14 skipping variant detected (DNA)."),
            ("kv", "Tumour content|Estimated 30% neoplastic cells."),
            (
                "p",
                "Comment: EGFR exon 19 deletion is a sensitising mutation; eligible for first-line EGFR tyrosine kinase inhibitor therapy. Fusion status (ALK by IHC only; ROS1, RET, NTRK) could not be fully assessed.",
            ),
            (
                "small",
                "SNOMED: T26000 M81403 (metastatic, lymph node T08000). UKAS-accredited testing laboratory 8312.",
            ),
            (
                "sig",
                "Dr Fiona Chadwick, Consultant Histopathologist (Thoracic)\nDr Paul Sinclair, Clinical Scientist, Genomic Laboratory Hub\nAuthorised 07/11/2025",
            ),
        ],
        footer="SV25-48820",
    )

    ct = Report(
        radiology_dept,
        "CT REPORT",
        p,
        dt.date(2026, 9, 3),
        [
            ("Examination", "CT thorax, abdomen, pelvis + contrast"),
            ("Date of exam", "03/09/2026"),
            ("Accession", "SVR26-220614"),
            ("Referrer", "Dr A. Mehra"),
        ],
        [
            (
                "kv",
                "Clinical details|Metastatic EGFR-mutant lung adenocarcinoma on osimertinib since 11/2025. 3-monthly restaging. Increasing fatigue.",
            ),
            ("kv", "Comparison|CT 28/05/2026 and baseline CT 15/10/2025."),
            ("h", "Findings"),
            (
                "p",
                "Thorax: the spiculated right upper lobe mass now measures 31 x 26 mm (22 x 18 mm on 28/05/2026; 38 x 30 mm at baseline). The subcarinal lymph node measures 12 mm in short axis (previously 9 mm). No new pulmonary nodules. No pleural or pericardial effusion.",
            ),
            (
                "p",
                "Abdomen and pelvis: two new low-attenuation lesions in the liver, segment VI 15 mm and segment VIII 9 mm, not present on 28/05/2026, suspicious for metastases. Adrenal glands normal. No ascites or lymphadenopathy.",
            ),
            (
                "p",
                "Bones: the known sclerotic lesion in the T9 vertebral body is unchanged, with no loss of vertebral height and no extension into the spinal canal. No new bone lesions.",
            ),
            ("h", "RECIST 1.1 (target lesions: RUL mass, subcarinal node)"),
            (
                "p",
                "Sum of diameters 43 mm (nadir 31 mm on 28/05/2026): increase of 39% from nadir, and new hepatic lesions.",
            ),
            ("h", "Conclusion"),
            (
                "p",
                "Progressive disease: enlarging right upper lobe primary and subcarinal node with new liver metastases. Stable treated T9 bone metastasis. The brain was not included in this examination.",
            ),
            (
                "sig",
                "Reported by: Dr Tomasz Nowak, Consultant Radiologist\nVerified 03/09/2026 17:20",
            ),
        ],
        footer="SVR26-220614",
    )

    letter = Report(
        oncology,
        "ONCOLOGY CLINIC LETTER",
        p,
        dt.date(2026, 9, 8),
        [("Clinic date", "08/09/2026"), ("Consultant", "Dr A. Mehra"), ("Typed", "09/09/2026")],
        [
            ("p", "Dr J. Whitfield, Brook Lane Medical Practice, Brook Lane, Stonebridge BS16 2PL"),
            ("p", "Dear Dr Whitfield,"),
            (
                "kv",
                "Diagnosis|Adenocarcinoma of the right upper lobe, stage IVA (cT2a N2 M1b, TNM 8th edition), diagnosed October 2025; solitary T9 bone metastasis at diagnosis.",
            ),
            (
                "kv",
                "Molecular|EGFR exon 19 deletion. PD-L1 TPS 5%. ALK negative (IHC). ROS1 not assessed (insufficient tissue).",
            ),
            (
                "kv",
                "Treatment to date|Osimertinib 80 mg once daily from 17/11/2025. Palliative radiotherapy to T9, 8 Gy in 1 fraction, 05/12/2025. Zoledronic acid 4 mg IV every 12 weeks from 01/2026.",
            ),
            ("kv", "Best response|Partial response on CT 10/02/2026, maintained on CT 28/05/2026."),
            (
                "kv",
                "Current status|Progressive disease on CT 03/09/2026 (enlarging primary, new liver metastases).",
            ),
            ("kv", "Performance status|ECOG 1"),
            ("kv", "Allergies|No known drug allergies"),
            (
                "p",
                "I reviewed Mr Pritchard with his daughter today. He has been more tired over the last month but is still walking his dog daily and remains independent. He has no bone pain, headache or neurological symptoms. Weight 74 kg (76 kg in May). Examination unremarkable. Bloods today: Hb 131 g/L, neutrophils 4.1, platelets 238, creatinine 88 umol/L, ALT 41 U/L, bilirubin 9 umol/L, ALP 140 U/L.",
            ),
            (
                "p",
                "I explained that the scan shows the cancer has started to grow again despite osimertinib. We discussed that the usual next step is chemotherapy, and that a blood test looking at the tumour DNA may show why the cancer has become resistant and whether a targeted treatment or a clinical trial might be an option.",
            ),
            ("h", "Plan"),
            (
                "li",
                "Plasma ctDNA NGS sent today (08/09/2026) to the Genomic Laboratory Hub, including MET amplification and EGFR resistance mutations; result expected in about 2 weeks.",
            ),
            ("li", "MRI brain with contrast requested (not imaged since diagnosis)."),
            ("li", "Continue osimertinib 80 mg once daily until chemotherapy starts."),
            (
                "li",
                "Second-line chemotherapy: carboplatin AUC 5 and pemetrexed 500 mg/m2 every 21 days for 4 cycles, then maintenance pemetrexed, provisionally from 21/09/2026. Folic acid and vitamin B12 premedication to start now.",
            ),
            (
                "li",
                "Screen for clinical trials at Severnside and regional centres once ctDNA is back.",
            ),
            (
                "li",
                "Continue zoledronic acid 4 mg every 12 weeks (next due 13/10/2026), with calcium and vitamin D.",
            ),
            (
                "p",
                "Mr Pritchard and his family are seeking a second opinion abroad and I have given them copies of his reports. I will see him again on 18/09/2026 with the ctDNA and MRI results.",
            ),
            ("p", "Yours sincerely,"),
            (
                "sig",
                "Dr Anjali Mehra MRCP FRCR\nConsultant Medical Oncologist\ncc: Mr Rhys Pritchard (patient)",
            ),
        ],
        footer="AM/LO/0738251",
    )

    discharge = Report(
        Trust(SEVERNSIDE, hospital, "Respiratory Medicine - Ward 7B", ["Ward tel: 0117 496 0577"]),
        "INPATIENT DISCHARGE SUMMARY",
        p,
        dt.date(2025, 10, 16),
        [
            ("Admitted", "12/10/2025"),
            ("Discharged", "16/10/2025"),
            ("Consultant", "Dr K. Adeyemi (Respiratory)"),
            ("Ward", "7B"),
        ],
        [
            (
                "kv",
                "GP|Dr J. Whitfield, Brook Lane Medical Practice, Brook Lane, Stonebridge BS16 2PL",
            ),
            (
                "kv",
                "Presenting complaint|Six weeks of cough, breathlessness on exertion and 5 kg weight loss; fever for 3 days.",
            ),
            ("kv", "Primary diagnosis|Right upper lobe pneumonia"),
            (
                "kv",
                "Secondary diagnosis|Right upper lobe mass with mediastinal lymphadenopathy - suspected lung cancer",
            ),
            ("h", "Summary"),
            (
                "p",
                "62-year-old ex-smoker (20 pack-years, stopped 2010) admitted via the Emergency Department with a productive cough and fever. CRP 148 mg/L, WCC 13.2. Chest X-ray: right upper zone consolidation. Treated with IV then oral co-amoxiclav with good clinical response.",
            ),
            (
                "p",
                "Because of the weight loss and a right upper lobe opacity, CT thorax with contrast was done on 15/10/2025: 38 mm spiculated right upper lobe mass with enlarged subcarinal (station 7, 16 mm) and right lower paratracheal (4R, 11 mm) lymph nodes; surrounding consolidation. Referred to the lung cancer MDT on the urgent suspected cancer pathway. PET-CT and EBUS arranged as an outpatient.",
            ),
            ("kv", "Past medical history|Hypertension; gastro-oesophageal reflux"),
            ("kv", "Allergies|No known drug allergies"),
            ("h", "Medications on discharge"),
            (
                "li",
                "Co-amoxiclav 625 mg orally three times a day for 2 more days (complete 7-day course)",
            ),
            ("li", "Ramipril 5 mg orally once daily (unchanged)"),
            ("li", "Omeprazole 20 mg orally once daily (unchanged)"),
            (
                "kv",
                "Follow-up|PET-CT 24/10/2025; EBUS 22/10/2025; lung cancer nurse specialist Beth Harding 0117 496 0388.",
            ),
            ("sig", "Dr Sam Ellery, Specialty Registrar, for Dr K. Adeyemi\nSigned 16/10/2025"),
        ],
    )

    pet = Report(
        Trust(SEVERNSIDE, hospital, "PET-CT Centre, Nuclear Medicine", ["Tel: 0117 496 0460"]),
        "PET-CT REPORT",
        p,
        dt.date(2025, 10, 24),
        [
            ("Examination", "18F-FDG PET-CT skull base to thighs"),
            ("Date of exam", "24/10/2025"),
            ("Accession", "SVP25-09127"),
        ],
        [
            ("kv", "Clinical details|RUL mass, EBUS 22/10/2025 pending. Staging."),
            (
                "kv",
                "Technique|332 MBq 18F-FDG; uptake 60 min; blood glucose 5.6 mmol/L. Low-dose CT for attenuation correction.",
            ),
            ("h", "Findings"),
            (
                "p",
                "Intensely FDG-avid spiculated right upper lobe mass, 38 x 30 mm, SUVmax 11.4, with mild surrounding consolidation that is less avid (resolving infection).",
            ),
            (
                "p",
                "FDG-avid subcarinal (station 7) node 16 mm, SUVmax 7.9. Right lower paratracheal (4R) node 11 mm, SUVmax 3.1, low-grade uptake, indeterminate. No contralateral mediastinal or supraclavicular nodal uptake.",
            ),
            (
                "p",
                "Focal uptake in the T9 vertebral body, SUVmax 6.2, with a sclerotic CT correlate, in keeping with a metastasis. No other skeletal uptake. Liver, adrenals and spleen: no abnormal uptake.",
            ),
            ("h", "Impression"),
            (
                "p",
                "Right upper lobe primary with subcarinal nodal disease and a solitary T9 bone metastasis: T2a N2 M1b (TNM 8). The 4R node is indeterminate; station 7 has been sampled at EBUS.",
            ),
            (
                "sig",
                "Dr Ruth Ogundipe, Consultant Radiologist and Nuclear Medicine Physician\nVerified 24/10/2025",
            ),
        ],
        footer="SVP25-09127",
    )

    review_letter = Report(
        oncology,
        "ONCOLOGY CLINIC LETTER",
        p,
        dt.date(2026, 2, 13),
        [("Clinic date", "13/02/2026"), ("Consultant", "Dr A. Mehra")],
        [
            ("p", "Dear Dr Whitfield,"),
            (
                "kv",
                "Diagnosis|Stage IVA adenocarcinoma RUL, EGFR exon 19 deletion, bone metastasis T9",
            ),
            ("kv", "Treatment|Osimertinib 80 mg once daily since 17/11/2025 (cycle 4)"),
            ("kv", "Response|Partial response (CT 10/02/2026)"),
            (
                "p",
                "Mr Pritchard is tolerating osimertinib well. He has mild acneiform rash on his face treated with doxycycline 100 mg daily, and loose stools twice a day which settle with loperamide. ECOG 0. His ECG today shows QTc 432 ms.",
            ),
            (
                "p",
                "The CT scan on 10/02/2026 shows a good partial response: the right upper lobe mass has reduced from 38 mm to 24 mm and the subcarinal node from 16 mm to 10 mm. The T9 lesion is stable and his back pain has resolved since radiotherapy.",
            ),
            (
                "p",
                "Plan: continue osimertinib 80 mg daily; zoledronic acid every 12 weeks; CT in 3 months; review in 4 weeks with bloods.",
            ),
            ("p", "Yours sincerely,"),
            ("sig", "Dr Anjali Mehra, Consultant Medical Oncologist"),
        ],
    )

    out.mkdir(parents=True, exist_ok=True)
    write_pdf(pathology, out / "EBUS histology and molecular report.pdf")
    write_pdf(ct, out / "CT TAP 03-09-2026.pdf")
    write_pdf(letter, out / "Oncology letter 08-09-2026.pdf")
    write_pdf(discharge, out / "Discharge summary Oct 2025.pdf")
    write_scan(pet, out / "PET scan report (scanned).pdf", seed=201, angle=-0.6)
    write_photo(
        review_letter,
        out / "IMG_4471.JPG",
        seed=202,
        taken=dt.datetime(2026, 9, 12, 10, 5, 33),
        model=("Apple", "iPhone 13"),
    )
    write_docx(
        out / "Dad - treatment timeline.docx",
        dt.datetime(2026, 9, 12, 21, 15),
        "Carys Pritchard",
        "Dad's treatment timeline",
        [
            ("title", "Dad's treatment timeline (Rhys Pritchard)"),
            (
                "p",
                f"Written by Carys (daughter) for the second opinion. Dad's NHS number is {p.nhs}, date of birth {p.dob_text}. Hospital number at Severnside {p.hospital_no}.",
            ),
            ("h", "Timeline"),
            (
                "table",
                "Date|What happened\n"
                "Sept 2025|Cough and losing weight, GP gave antibiotics\n"
                "12 Oct 2025|Admitted to Severnside with pneumonia; CT found a mass in the right lung\n"
                "22 Oct 2025|EBUS (camera test) - biopsy of lymph node\n"
                "24 Oct 2025|PET scan - also showed a spot on the spine (T9)\n"
                "7 Nov 2025|Told it is adenocarcinoma with an EGFR mutation (exon 19)\n"
                "17 Nov 2025|Started osimertinib (Tagrisso) 80 mg every day\n"
                "5 Dec 2025|One session of radiotherapy to the spine for pain\n"
                "Jan 2026|Started zoledronic acid drip every 3 months\n"
                "10 Feb 2026|Scan: cancer shrinking\n"
                "28 May 2026|Scan: still shrinking / stable\n"
                "3 Sept 2026|Scan: lung tumour bigger again and two new spots in the liver\n"
                "8 Sept 2026|Dr Mehra: blood test for tumour DNA sent, brain MRI requested, plan chemo (carboplatin + pemetrexed) from 21 Sept",
            ),
            ("h", "How Dad is now"),
            (
                "p",
                "More tired in the afternoons, still walks the dog every day. Eating less. No headaches. Rash on face is much better. He stopped smoking in 2010 (smoked about 20 a day for 20 years).",
            ),
            ("h", "What we want to ask"),
            (
                "li",
                "Is there another tablet (targeted treatment) instead of chemo, for example if the blood test shows MET?",
            ),
            ("li", "Should he carry on osimertinib together with the chemo?"),
            ("li", "ROS1 was never tested - does that matter now?"),
            (
                "li",
                "Are there clinical trials in China for EGFR after osimertinib (for example amivantamab or ADCs)?",
            ),
        ],
    )
    write_text(
        out / "medication list.txt",
        """
MEDICATION LIST - Rhys Pritchard (DOB 02/11/1962)
Updated by Carys 12/09/2026

Osimertinib (Tagrisso) 80 mg - one tablet every morning (since 17/11/2025)
Ramipril 5 mg - one tablet daily (blood pressure)
Omeprazole 20 mg - one capsule daily (reflux)
Adcal-D3 (calcium + vitamin D) - one tablet twice a day
Zoledronic acid 4 mg drip - every 12 weeks at the hospital (next 13/10/2026)
Folic acid 400 micrograms - one tablet daily (started 08/09/2026, for chemo)
Vitamin B12 injection 1 mg - given 08/09/2026, repeat every 9 weeks
Loperamide 2 mg - when needed for loose stools
Paracetamol 500 mg - two tablets up to four times a day when needed

Allergies: none known
""",
    )


# =====================================================================================
# Patient 3: relapsed DLBCL after R-CHOP, salvage R-GDP, asking about CAR-T
# =====================================================================================

WESSEX = "Wessex Vale Hospitals NHS Foundation Trust"


def dlbcl(out: Path) -> None:
    p = Person(
        "Mr",
        "Kwame Asante",
        "Mensah",
        dt.date(1968, 5, 19),
        nhs_number("999305781"),
        "WV2209514",
        ["112 Chalk Pit Lane", "Downford", "Hampshire"],
        "SO51 7RW",
        "01632 960318",
        ["Dr E. Holloway", "Downford Health Centre", "Station Road, Downford SO51 8DH"],
    )
    hospital = "Wessex Vale General Hospital, Winchester Road, Downford SO51 9AA"
    haem = Trust(
        WESSEX,
        "Wessex Vale Cancer Centre",
        "Department of Haematology",
        ["Haematology secretaries: 01632 960402", "Haematology triage (24h): 01632 960499"],
    )
    path_dept = Trust(
        WESSEX,
        hospital,
        "Haematological Malignancy Diagnostic Service (HMDS)",
        ["Enquiries: 01632 960640"],
    )

    pet = Report(
        Trust(WESSEX, hospital, "PET-CT Unit, Nuclear Medicine", ["Tel: 01632 960460"]),
        "PET-CT REPORT",
        p,
        dt.date(2026, 7, 28),
        [
            ("Examination", "18F-FDG PET-CT vertex to mid-thigh"),
            ("Date of exam", "28/07/2026"),
            ("Accession", "WVP26-04412"),
            ("Referrer", "Dr M. Hale"),
        ],
        [
            (
                "kv",
                "Clinical details|DLBCL diagnosed 02/2024, stage IIIA, complete metabolic response after 6 x R-CHOP (EOT PET 12/08/2024). Now 6 weeks of a painless right groin swelling; no B symptoms. ? relapse.",
            ),
            (
                "kv",
                "Technique|356 MBq 18F-FDG, 60 min uptake, blood glucose 7.9 mmol/L. Comparison: PET-CT 12/08/2024 (end of treatment, Deauville 2).",
            ),
            ("h", "Findings"),
            (
                "p",
                "Neck and thorax: no FDG-avid lymphadenopathy. The previously involved left cervical and mediastinal sites remain inactive. Lungs clear.",
            ),
            (
                "p",
                "Abdomen and pelvis: new FDG-avid right inguinal lymph nodes, largest 28 x 21 mm, SUVmax 14.2; right external iliac nodes up to 22 mm, SUVmax 11.8; left para-aortic nodes up to 32 mm, SUVmax 12.6. Liver uptake SUVmax 2.4 (reference). No splenic enlargement or focal splenic uptake.",
            ),
            ("p", "Bone marrow: physiological uptake; no focal skeletal lesions."),
            ("h", "Impression"),
            (
                "p",
                "Relapse of lymphoma below the diaphragm only: right inguinal, right external iliac and left para-aortic nodes, Deauville score 5. No extranodal disease. Appearances in keeping with Ann Arbor stage II disease at relapse. Suggest biopsy of the right inguinal node (most accessible, most avid).",
            ),
            (
                "sig",
                "Reported by: Dr Sunil Varma, Consultant Radiologist\nVerified 28/07/2026 15:55",
            ),
        ],
        footer="WVP26-04412",
    )

    pathology = Report(
        path_dept,
        "HAEMATOPATHOLOGY REPORT",
        p,
        dt.date(2026, 8, 10),
        [
            ("Lab number", "HM26-07733"),
            ("Collected", "06/08/2026"),
            ("Reported", "10/08/2026"),
            ("Requested by", "Dr M. Hale"),
        ],
        [
            (
                "kv",
                "Clinical details|DLBCL 2024 (GCB), CMR after R-CHOP x6. PET 28/07/2026: new inguinal, iliac and para-aortic nodes, Deauville 5. ? relapse.",
            ),
            (
                "kv",
                "Specimen|Right inguinal lymph node, ultrasound-guided 16G core biopsy x 4, with one core sent fresh for flow cytometry.",
            ),
            ("h", "Microscopy"),
            (
                "p",
                "The cores show effacement of nodal architecture by sheets of large atypical lymphoid cells with vesicular chromatin and prominent nucleoli, with frequent mitoses and apoptotic debris. No low-grade component is seen.",
            ),
            (
                "kv",
                "Immunohistochemistry|CD20 positive, CD79a positive, CD10 positive, BCL6 positive, MUM1 negative, BCL2 positive (about 60%), MYC positive (about 30%), CD5 negative, cyclin D1 negative, CD30 negative. Ki-67 about 70%. EBER ISH negative.",
            ),
            (
                "kv",
                "Flow cytometry|Large B-cell population: CD19 positive, CD20 positive, CD10 positive, kappa light-chain restricted. CD19 expression is preserved (bright, uniform).",
            ),
            (
                "kv",
                "FISH|MYC (break-apart probe): no rearrangement detected. BCL2 and BCL6 FISH not performed.",
            ),
            ("h", "Conclusion"),
            (
                "p",
                "Right inguinal lymph node: relapsed diffuse large B-cell lymphoma, germinal centre B-cell-like (GCB) subtype by the Hans algorithm, consistent with relapse of the previously diagnosed lymphoma. CD19 and CD20 expression retained. No MYC rearrangement.",
            ),
            (
                "small",
                "WHO Classification of Haematolymphoid Tumours, 5th edition. ICD-O-3: 9680/3. SNOMED: T08000 M96803.",
            ),
            (
                "sig",
                "Dr Claire Whitaker, Consultant Haematopathologist\nAuthorised 10/08/2026 16:30",
            ),
        ],
        footer="HM26-07733",
    )

    letter = Report(
        haem,
        "HAEMATOLOGY CLINIC LETTER",
        p,
        dt.date(2026, 9, 9),
        [
            ("Clinic date", "09/09/2026"),
            ("Consultant", "Dr M. Hale"),
            ("Typed", "10/09/2026"),
            ("Our ref", "MH/SB/2209514"),
        ],
        [
            ("p", "Dr E. Holloway, Downford Health Centre, Station Road, Downford SO51 8DH"),
            ("p", "Dear Dr Holloway,"),
            (
                "kv",
                "Diagnosis|Relapsed diffuse large B-cell lymphoma (DLBCL), GCB subtype, CD19 positive. First diagnosed February 2024, Ann Arbor stage IIIA, IPI 2. Late relapse July 2026, stage IIA, Deauville 5.",
            ),
            (
                "kv",
                "First-line treatment|R-CHOP-21 x 6 cycles, 04/03/2024 to 17/06/2024 (rituximab 375 mg/m2, cyclophosphamide 750 mg/m2, doxorubicin 50 mg/m2, vincristine 1.4 mg/m2 capped at 2 mg, prednisolone 100 mg days 1-5). Cumulative doxorubicin 300 mg/m2. End-of-treatment PET-CT 12/08/2024: complete metabolic response (Deauville 2).",
            ),
            (
                "kv",
                "Current treatment|Salvage R-GDP every 21 days: rituximab 375 mg/m2 day 1, gemcitabine 1000 mg/m2 days 1 and 8, dexamethasone 40 mg days 1-4, cisplatin 75 mg/m2 day 1. Cycle 1 started 17/08/2026; cycle 2 started 07/09/2026.",
            ),
            ("kv", "Performance status|ECOG 1"),
            ("kv", "Comorbidities|Type 2 diabetes (HbA1c 54 mmol/mol); osteoarthritis right knee"),
            ("kv", "Allergies|No known drug allergies"),
            (
                "p",
                "I saw Mr Mensah with his wife today before day 8 of cycle 2. The right groin swelling has become noticeably smaller after the first cycle. He has had no fevers, night sweats or weight loss. He had nausea for three days after cycle 1, now controlled with ondansetron, and his blood sugars rose to 15 mmol/L on the dexamethasone days. Today: Hb 112 g/L, neutrophils 2.3, platelets 156, creatinine 94 umol/L, LDH 262 U/L (upper limit 250).",
            ),
            ("h", "CAR-T therapy"),
            (
                "p",
                "Mr Mensah asked whether he could have CAR-T cell therapy now. I explained that, in England, CAR-T as second-line treatment is for lymphoma that did not respond to first-line treatment or came back within 12 months of finishing it. His lymphoma came back about 25 months after R-CHOP, so the standard second-line approach is salvage chemotherapy followed, if the lymphoma responds, by high-dose chemotherapy with an autologous stem cell transplant. If the lymphoma does not respond to salvage, or relapses after transplant, I would refer him to the regional CAR-T centre to be considered for CAR-T as third-line therapy. His lymphoma still expresses CD19.",
            ),
            ("h", "Plan"),
            ("li", "Day 8 gemcitabine today if counts allow; cycle 3 due 28/09/2026."),
            ("li", "Interim PET-CT after cycle 2, booked 24/09/2026."),
            (
                "li",
                "If at least a partial metabolic response: stem cell mobilisation and harvest, then BEAM autologous stem cell transplant (referral sent to the transplant team at Wessex Vale).",
            ),
            (
                "li",
                "Echocardiogram and lung function tests requested as part of the transplant work-up.",
            ),
            (
                "li",
                "Continue aciclovir, co-trimoxazole and allopurinol as prescribed; GP please review diabetes medication on the dexamethasone days.",
            ),
            (
                "p",
                "He and his wife would like an independent second opinion and I am happy to share his reports.",
            ),
            ("p", "Yours sincerely,"),
            (
                "sig",
                "Dr Marcus Hale FRCP FRCPath\nConsultant Haematologist\ncc: Mr Kwame Mensah (patient)",
            ),
        ],
        footer="MH/SB/2209514",
    )

    discharge = Report(
        Trust(WESSEX, hospital, "Haematology Ward (Ward 9)", ["Ward tel: 01632 960477"]),
        "DISCHARGE SUMMARY",
        p,
        dt.date(2026, 8, 18),
        [
            ("Admitted", "17/08/2026 (elective)"),
            ("Discharged", "18/08/2026"),
            ("Consultant", "Dr M. Hale"),
            ("Ward", "Ward 9"),
        ],
        [
            ("kv", "GP|Dr E. Holloway, Downford Health Centre, Station Road, Downford SO51 8DH"),
            (
                "kv",
                "Reason for admission|Elective admission for cycle 1 of salvage R-GDP with cisplatin pre- and post-hydration.",
            ),
            ("kv", "Diagnosis|Relapsed diffuse large B-cell lymphoma (GCB), stage IIA at relapse"),
            ("h", "Summary"),
            (
                "p",
                "Cycle 1 day 1 R-GDP given on 17/08/2026: rituximab 375 mg/m2 (no infusion reaction), gemcitabine 1000 mg/m2, cisplatin 75 mg/m2 with hydration, dexamethasone 40 mg days 1-4. Body surface area 2.02 m2. Pre-treatment creatinine 86 umol/L; post-hydration creatinine 90 umol/L. Capillary glucose up to 14.8 mmol/L on dexamethasone; one dose of gliclazide 40 mg given with good effect.",
            ),
            (
                "p",
                "Tolerated well apart from mild nausea. Discharged home in the afternoon of 18/08/2026.",
            ),
            ("kv", "Allergies|No known drug allergies"),
            ("h", "Medications on discharge"),
            (
                "li",
                "Dexamethasone 40 mg orally once daily on days 2-4 (18-20/08/2026), with breakfast",
            ),
            ("li", "Ondansetron 8 mg orally twice daily for 3 days, then when required"),
            ("li", "Metoclopramide 10 mg orally three times a day when required"),
            ("li", "Aciclovir 400 mg orally twice daily (prophylaxis)"),
            (
                "li",
                "Co-trimoxazole 480 mg orally twice daily on Mondays, Wednesdays and Fridays (PJP prophylaxis)",
            ),
            ("li", "Allopurinol 300 mg orally once daily for 14 days"),
            ("li", "Lansoprazole 30 mg orally once daily"),
            ("li", "Metformin 1 g orally twice daily (unchanged)"),
            ("li", "Gliclazide 40 mg orally each morning on dexamethasone days only (new)"),
            (
                "kv",
                "Follow-up|Day 8 gemcitabine 24/08/2026 (day unit); cycle 2 from 07/09/2026; clinic 09/09/2026. Contact the 24-hour haematology triage line on 01632 960499 with a temperature of 37.5 C or above or if unwell.",
            ),
            ("sig", "Dr Hannah Price, Specialty Doctor in Haematology\nSigned 18/08/2026"),
        ],
    )

    original_path = Report(
        path_dept,
        "HAEMATOPATHOLOGY REPORT",
        p,
        dt.date(2024, 2, 19),
        [
            ("Lab number", "HM24-01288"),
            ("Collected", "12/02/2024"),
            ("Reported", "19/02/2024"),
            ("Requested by", "Mr D. Shah (ENT)"),
        ],
        [
            (
                "kv",
                "Clinical details|8-week history of enlarging painless left neck lump, 4 cm; no B symptoms. CT: cervical, mediastinal and para-aortic lymphadenopathy.",
            ),
            (
                "kv",
                "Specimen|Left level II cervical lymph node, excision biopsy (35 x 24 x 18 mm).",
            ),
            ("h", "Microscopy"),
            (
                "p",
                "Diffuse effacement of nodal architecture by sheets of large lymphoid cells with centroblastic morphology. Frequent mitoses.",
            ),
            (
                "kv",
                "Immunohistochemistry|CD20 positive, CD79a positive, CD10 positive, BCL6 positive, MUM1 negative, BCL2 positive (70%), MYC positive (30%), CD5 negative, cyclin D1 negative, CD30 negative, EBER negative. Ki-67 about 80%.",
            ),
            (
                "kv",
                "FISH|MYC break-apart: no rearrangement detected. BCL2 and BCL6 not tested (MYC not rearranged).",
            ),
            ("h", "Conclusion"),
            (
                "p",
                "Left cervical lymph node: diffuse large B-cell lymphoma, not otherwise specified, germinal centre B-cell-like subtype (Hans algorithm). Not a double-hit lymphoma (MYC not rearranged).",
            ),
            ("small", "ICD-O-3: 9680/3. SNOMED: T08000 M96803."),
            ("sig", "Dr Claire Whitaker, Consultant Haematopathologist\nAuthorised 19/02/2024"),
        ],
    )

    eot = Report(
        Trust(WESSEX, hospital, "PET-CT Unit, Nuclear Medicine", ["Tel: 01632 960460"]),
        "PET-CT REPORT",
        p,
        dt.date(2024, 8, 12),
        [
            ("Examination", "18F-FDG PET-CT"),
            ("Date of exam", "12/08/2024"),
            ("Accession", "WVP24-05590"),
        ],
        [
            (
                "kv",
                "Clinical details|DLBCL stage IIIA. Completed 6 cycles of R-CHOP on 17/06/2024. End-of-treatment assessment.",
            ),
            ("kv", "Comparison|Baseline PET-CT 20/02/2024."),
            ("h", "Findings"),
            (
                "p",
                "Complete resolution of the previously FDG-avid left cervical, mediastinal and para-aortic lymphadenopathy. A residual 9 mm left para-aortic node has uptake below the mediastinal blood pool (Deauville 2). No new sites of disease. Physiological marrow and splenic uptake.",
            ),
            ("h", "Impression"),
            ("p", "Complete metabolic response (Lugano 2014), Deauville score 2."),
            ("sig", "Dr Sunil Varma, Consultant Radiologist\nVerified 12/08/2024"),
        ],
    )

    out.mkdir(parents=True, exist_ok=True)
    write_pdf(pet, out / "PET-CT 28 July 2026.pdf")
    write_pdf(pathology, out / "Lymph node biopsy report Aug 2026.pdf")
    write_pdf(letter, out / "Haematology letter 09-09-2026.pdf")
    write_pdf(discharge, out / "Discharge summary R-GDP cycle 1.pdf")
    write_scan(original_path, out / "Original biopsy 2024 (scan).pdf", seed=301, angle=0.5)
    write_photo(
        eot,
        out / "20260911_203317.jpg",
        seed=302,
        taken=dt.datetime(2026, 9, 11, 20, 33, 17),
        model=("samsung", "SM-A546B"),
    )
    write_docx(
        out / "GP summary.docx",
        dt.datetime(2026, 9, 10, 14, 5),
        "Downford Health Centre",
        "Patient summary",
        [
            ("title", "Downford Health Centre - Summary of Care"),
            (
                "p",
                "Station Road, Downford SO51 8DH. Tel 01632 960100. Produced 10/09/2026 at the patient's request.",
            ),
            (
                "table",
                f"Patient|{p.title} {p.given} {p.family}\nDOB|{p.dob_text}\nNHS No|{p.nhs}\nAddress|{', '.join(p.address)} {p.postcode}\nMobile|07700 900516",
            ),
            ("h", "Problems"),
            (
                "li",
                "Feb 2024  Diffuse large B-cell lymphoma (Wessex Vale Haematology); relapsed July 2026",
            ),
            ("li", "2019  Type 2 diabetes mellitus"),
            ("li", "2021  Osteoarthritis of right knee"),
            ("h", "Medication (repeat)"),
            (
                "table",
                "Drug|Instructions\nMetformin 500 mg tablets|Two tablets twice a day\nLansoprazole 30 mg capsules|One daily\nParacetamol 500 mg tablets|Two up to four times daily when required\nAciclovir 400 mg tablets|One twice daily (hospital initiated)\nCo-trimoxazole 480 mg tablets|One twice daily Mon/Wed/Fri (hospital initiated)",
            ),
            ("h", "Allergies"),
            ("p", "No known drug allergies."),
            ("h", "Vaccinations"),
            ("li", "Influenza 10/2025; COVID-19 booster 10/2025; pneumococcal (PPV23) 04/2024"),
            ("h", "Recent results"),
            (
                "table",
                "Date|Test|Result\n03/07/2026|HbA1c|54 mmol/mol\n03/07/2026|eGFR|>90 mL/min/1.73m2\n03/07/2026|BMI|29.4 kg/m2",
            ),
            ("h", "Social"),
            (
                "p",
                "Lives with wife. Works as a bus depot manager (currently off sick). Never smoked. Alcohol: rarely.",
            ),
        ],
    )
    write_text(
        out / "questions about CAR-T.txt",
        """
Kwame Mensah - questions for the second opinion team
(typed by my wife Abena, 11/09/2026)

Background in my own words: lymphoma found in my neck in Feb 2024, had 6 R-CHOP,
all clear in Aug 2024. Lump in right groin June 2026, PET 28/07/2026 showed it is
back. Now on R-GDP (2 cycles so far). Groin lump is smaller already.

1. Why can't I have CAR-T now instead of a stem cell transplant? In China is CAR-T
   used earlier for late relapse like mine?
2. If I go to transplant, what are my chances compared with CAR-T?
3. Is there any test missing? The report says BCL2 FISH was "not performed" - is
   that important?
4. My heart: I had doxorubicin before. Does that matter for the transplant or CAR-T?
5. If I travel for CAR-T, how long would I need to stay, and what about my diabetes?
6. What other options exist (glofitamab, epcoritamab, polatuzumab)?

Next: PET-CT 24/09/2026, then decision about transplant.
""",
    )


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else HERE
    breast(root / "breast-her2")
    lung(root / "lung-egfr")
    dlbcl(root / "dlbcl-cart")
    for folder in ("breast-her2", "lung-egfr", "dlbcl-cart"):
        total = sum(f.stat().st_size for f in (root / folder).iterdir())
        print(f"{folder}: {len(list((root / folder).iterdir()))} files, {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
