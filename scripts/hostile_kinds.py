"""The kinds of hostile file of the corpus (scripts/hostile_corpus.py): each a function of a
seeded random generator that returns (bytes, file extension). Deterministic: the same seed
gives the same bytes."""

from __future__ import annotations

import io
import random
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable
from functools import cache

import hostile_pdf as hp

Made = tuple[bytes, str]
Maker = Callable[[random.Random], Made]

STAMP = (2024, 3, 12, 9, 30, 0)  # every ZIP member's date: the bytes do not depend on the clock


# -- clean bases, made once -------------------------------------------------------------


@cache
def base_pdfs() -> tuple[bytes, ...]:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    made = []
    for pages in (1, 3):
        out = io.BytesIO()
        pdf = canvas.Canvas(out, pagesize=A4, invariant=1)  # invariant: no date or random id
        for number in range(pages):
            pdf.drawString(60, 780, f"Page {number + 1}. " + hp.TEXT[:80])
            pdf.drawString(60, 760, hp.TEXT[80:])
            pdf.showPage()
        pdf.save()
        made.append(out.getvalue())
    # a small page holding only a picture: the OCR path, kept small so it reads fast
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(220, 80), invariant=1)
    from reportlab.lib.utils import ImageReader

    pdf.drawImage(ImageReader(io.BytesIO(base_images()["png"])), 0, 0, 220, 80)
    pdf.showPage()
    pdf.save()
    made.append(out.getvalue())
    made.append(hp.letter())
    return tuple(made)


@cache
def base_images() -> dict[str, bytes]:
    from PIL import Image, ImageDraw

    image = Image.new("L", (220, 80), 255)
    draw = ImageDraw.Draw(image)
    draw.text((6, 10), "HER2 negative", fill=0)
    draw.text((6, 40), "ER positive 12/03/2024", fill=0)
    made = {}
    for fmt, ext in (("PNG", "png"), ("JPEG", "jpg"), ("TIFF", "tif"), ("GIF", "gif")):
        out = io.BytesIO()
        image.save(out, fmt)
        made[ext] = out.getvalue()
    for fmt, ext in (("BMP", "bmp"), ("WEBP", "webp")):
        out = io.BytesIO()
        image.convert("RGB").save(out, fmt)
        made[ext] = out.getvalue()
    return made


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CONTENT_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
)


def document_xml(body: bytes) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="' + W_NS.encode() + b'">'
        b"<w:body>" + body + b"</w:body></w:document>"
    )


def paragraph(text: str) -> bytes:
    return b"<w:p><w:r><w:t>" + text.encode() + b"</w:t></w:r></w:p>"


def zip_bytes(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, STAMP), data, compress_type=method)
    return out.getvalue()


def docx(body: bytes, extra: list[tuple[str, bytes]] | None = None) -> bytes:
    return zip_bytes(
        [("[Content_Types].xml", CONTENT_TYPES), ("word/document.xml", document_xml(body))]
        + (extra or [])
    )


@cache
def base_docx() -> bytes:
    return docx(paragraph(hp.TEXT) + paragraph("Plan: wide local excision."))


def dicom(fields: dict[str, object] | None = None, pdf: bytes | None = None) -> bytes:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = (
        "1.2.840.10008.5.1.4.1.1.104.1" if pdf else "1.2.840.10008.5.1.4.1.1.2"
    )
    meta.MediaStorageSOPInstanceUID = "1.2.3.4.5"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.Modality = "CT" if pdf is None else "DOC"
    ds.StudyDate = "20240312"
    ds.StudyDescription = "CT chest abdomen pelvis"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, value in (fields or {}).items():
            setattr(ds, key, value)
    if pdf is not None:
        ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
        ds.EncapsulatedDocument = pdf + (b"\x00" if len(pdf) % 2 else b"")
    out = io.BytesIO()
    with warnings.catch_warnings():  # pydicom warns of the bad values written on purpose
        warnings.simplefilter("ignore")
        ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


@cache
def base_dicoms() -> tuple[bytes, ...]:
    return (dicom(), dicom(pdf=base_pdfs()[0]))


# -- damage ------------------------------------------------------------------------------


def mutate(rng: random.Random, data: bytes) -> bytes:
    """One to a few random damages of the kinds real files suffer and fuzzers make."""
    out = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 3, 8])):
        if not out:
            break
        how = rng.randrange(7)
        at = rng.randrange(len(out))
        if how == 0:  # bit flips
            for _ in range(rng.randint(1, 16)):
                i = rng.randrange(len(out))
                out[i] ^= 1 << rng.randrange(8)
        elif how == 1:  # truncation
            del out[at:]
        elif how == 2:  # a chunk removed
            del out[at : at + rng.randint(1, 512)]
        elif how == 3:  # random bytes inserted
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
        elif how == 4:  # a chunk repeated
            chunk = out[at : at + rng.randint(1, 256)]
            out[at:at] = chunk * rng.randint(2, 50)
        elif how == 5:  # interesting integers over four bytes (lengths, offsets, counts)
            value = rng.choice([0, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFF, 1])
            out[at : at + 4] = value.to_bytes(4, rng.choice(["big", "little"]))
        else:  # digits in the text of a structure replaced by huge numbers
            digits = b"9" * rng.randint(5, 40)
            out[at : at + 1] = digits
    return bytes(out)


def mutated_of(bases: Callable[[], tuple[bytes, ...]], ext: str) -> Maker:
    def make(rng: random.Random) -> Made:
        return mutate(rng, rng.choice(bases())), ext

    return make


# -- PDFs ----------------------------------------------------------------------------------


def pdf_truncated(rng: random.Random) -> Made:
    base = rng.choice(base_pdfs())
    return base[: rng.randrange(1, len(base))], "pdf"


def pdf_active(rng: random.Random) -> Made:
    data, _which = hp.active(rng)
    return (mutate(rng, data) if rng.random() < 0.25 else data), "pdf"


def pdf_structure(rng: random.Random) -> Made:
    pick = rng.randrange(6)
    if pick == 0:
        return hp.nested(rng), "pdf"
    if pick == 1:
        return hp.reference_loop(), "pdf"
    if pick == 2:
        return hp.many_pages(rng), "pdf"
    if pick == 3:
        return hp.huge_page(rng), "pdf"
    if pick == 4:
        return hp.image_bomb_pdf(rng), "pdf"
    return hp.broken_structure(rng), "pdf"


# -- images --------------------------------------------------------------------------------


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(width: int, height: int, idat: bytes, colour: int = 0, depth: int = 8) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


@cache
def blank_png(side: int) -> bytes:
    row = b"\x00" + b"\xff" * side
    return png(side, side, zlib.compress(row * side, 9))


@cache
def big_docx() -> bytes:
    return docx(paragraph("x") * (49 * 1024 * 1024 // 40))


@cache
def zeros_zip(megabytes: int) -> bytes:
    return zip_bytes([("records/scan.pdf", bytes(megabytes * 1024 * 1024))])


def image_bomb(rng: random.Random) -> Made:
    pick = rng.randrange(6)
    if pick == 0:  # declares 4 billion pixels in a few bytes
        return png(65_535, 65_535, zlib.compress(b"\x00" * 1024)), "png"
    if pick == 1:  # 9,000 x 9,000 blank, under the pixel limit: a 81 MB image from ~80 KB
        return blank_png(rng.choice([9_000, 9_900])), "png"
    if pick == 2:  # JPEG whose frame header says 65,500 x 65,500
        data = bytearray(base_images()["jpg"])
        at = data.find(b"\xff\xc0")
        if at > 0:
            data[at + 5 : at + 9] = struct.pack(">HH", 65_500, 65_500)
        return bytes(data), "jpg"
    if pick == 3:  # GIF with a huge logical screen
        data = bytearray(base_images()["gif"])
        data[6:10] = struct.pack("<HH", 65_535, 65_535)
        return bytes(data), "gif"
    if pick == 4:  # TIFF that says 1,000,000 x 1,000,000
        data = bytearray(base_images()["tif"])
        return _tiff_dims(data, 1_000_000), "tif"
    # multi-frame TIFF: many small frames (each one an OCR run: the 250-frame one is rare)
    from PIL import Image

    frames = [Image.new("L", (16, 16), 255) for _ in range(rng.choice([5] * 9 + [250]))]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:])
    return out.getvalue(), "tif"


def _tiff_dims(data: bytearray, value: int) -> bytes:
    # little-endian TIFF from Pillow: the first IFD's ImageWidth (256) and ImageLength (257)
    ifd = struct.unpack("<I", data[4:8])[0]
    count = struct.unpack("<H", data[ifd : ifd + 2])[0]
    for i in range(count):
        at = ifd + 2 + 12 * i
        tag, kind = struct.unpack("<HH", data[at : at + 4])
        if tag in (256, 257):
            data[at + 2 : at + 4] = struct.pack("<H", 4)  # LONG
            data[at + 8 : at + 12] = struct.pack("<I", value)
    return bytes(data)


def image_malformed(rng: random.Random) -> Made:
    ext = rng.choice(list(base_images()))
    data = base_images()[ext]
    if ext == "tif" and rng.random() < 0.2:  # an IFD that points at itself
        out = bytearray(data)
        ifd = struct.unpack("<I", out[4:8])[0]
        count = struct.unpack("<H", out[ifd : ifd + 2])[0]
        out[ifd + 2 + 12 * count : ifd + 6 + 12 * count] = struct.pack("<I", ifd)
        return bytes(out), ext
    return mutate(rng, data), ext


# -- DOCX ----------------------------------------------------------------------------------


def docx_hostile(rng: random.Random) -> Made:
    # the ~49 MB part (0) costs seconds to parse: rarer, so a run stays short
    pick = rng.choices(range(9), weights=[1, 10, 10, 10, 10, 10, 10, 10, 20])[0]
    if pick == 0:  # the body part inflates from ~50 KB to ~49 MB
        return big_docx(), "docx"
    if pick == 1:  # billion laughs
        lol = (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + b"".join(
                b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                for i in range(1, 10)
            )
            + b']><w:document xmlns:w="'
            + W_NS.encode()
            + b'"><w:body><w:p><w:r><w:t>&lol9;'
            b"</w:t></w:r></w:p></w:body></w:document>"
        )
        return zip_bytes(
            [("[Content_Types].xml", CONTENT_TYPES), ("word/document.xml", lol)]
        ), "docx"
    if pick == 2:  # an external entity
        xxe = (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<w:document xmlns:w="' + W_NS.encode() + b'"><w:body><w:p><w:r><w:t>&x;</w:t>'
            b"</w:r></w:p></w:body></w:document>"
        )
        return zip_bytes([("word/document.xml", xxe)]), "docx"
    if pick == 3:  # content controls and tables nested deeper than any recursion allows
        depth = rng.choice([2_000, 20_000, 100_000])
        if rng.random() < 0.5:
            body = (
                b"<w:sdt><w:sdtContent>" * depth
                + paragraph(hp.TEXT)
                + b"</w:sdtContent></w:sdt>" * depth
            )
        else:
            open_ = b"<w:tbl><w:tr><w:tc>"
            body = open_ * depth + paragraph(hp.TEXT) + b"</w:tc></w:tr></w:tbl>" * depth
        return docx(body), "docx"
    if pick == 4:  # broken XML
        text = document_xml(paragraph(hp.TEXT))
        return zip_bytes([("word/document.xml", text[: rng.randrange(20, len(text))])]), "docx"
    if pick == 5:  # a part that lies about its size, or is over the limit
        return docx(paragraph(hp.TEXT), [("word/header1.xml", b"<" * (51 * 1024 * 1024))]), "docx"
    if pick == 6:  # thousands of header parts
        head = b'<w:hdr xmlns:w="' + W_NS.encode() + b'">' + paragraph("Header") + b"</w:hdr>"
        parts = [(f"word/header{i}.xml", head) for i in range(rng.choice([50, 3_000]))]
        return docx(paragraph(hp.TEXT), parts), "docx"
    if pick == 7:  # odd encodings and characters in the text
        text = rng.choice(["\u202e\u200b" * 500, "\ufffd" * 1000, "𝔘𝔫𝔦𝔠𝔬𝔡𝔢" * 300, "病理" * 2000])
        return docx(paragraph(text) + paragraph(hp.TEXT)), "docx"
    return mutate(rng, base_docx()), "docx"


# -- DICOM ---------------------------------------------------------------------------------


def dicom_hostile(rng: random.Random) -> Made:
    pick = rng.randrange(6)
    preamble = bytes(128) + b"DICM"
    if pick == 0:  # a header and then nothing, or garbage
        return preamble + bytes(rng.randrange(256) for _ in range(rng.choice([0, 8, 300]))), "dcm"
    if pick == 1:  # an element that claims a length of ~4 GB
        element = struct.pack("<HH", 0x0008, 0x1030) + b"LO" + struct.pack("<H", 0xFFFF)
        element += (
            struct.pack("<HH", 0x0042, 0x0011) + b"OB\x00\x00" + struct.pack("<I", 0xFFFFFFF0)
        )
        return base_dicoms()[0] + element + b"x" * 100, "dcm"
    if pick == 2:  # a sequence of undefined length never closed
        seq = struct.pack("<HH", 0x0040, 0x0275) + b"SQ\x00\x00" + struct.pack("<I", 0xFFFFFFFF)
        item = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
        return base_dicoms()[0] + seq + item * rng.choice([1, 5_000]), "dcm"
    if pick == 3:  # an encapsulated PDF carrying JavaScript
        data, _which = hp.active(rng)
        return dicom(pdf=data), "dcm"
    if pick == 4:  # values of the wrong kind
        fields: dict[str, object] = {
            "StudyDate": rng.choice(["notadate", "99999999", "2024-03-12", ""]),
            "Modality": "\x00" * 16,
            "MIMETypeOfEncapsulatedDocument": "application/pdf",
        }
        return dicom(fields), "dcm"
    return mutate(rng, rng.choice(base_dicoms())), "dcm"


# -- archives --------------------------------------------------------------------------------


def archive_hostile(rng: random.Random) -> Made:
    pick = rng.randrange(9)
    if pick == 0:  # a member compressed 1000 to 1
        return zeros_zip(rng.choice([2, 40])), "zip"
    if pick == 1:  # archives nested five deep
        data = base_docx()
        for level in range(rng.choice([3, 5])):
            data = zip_bytes([(f"level{level}.zip", data)])
        return data, "zip"
    if pick == 2:  # names that escape the folder
        names = [
            "../../etc/passwd",
            "/etc/shadow",
            "C:\\Windows\\evil.txt",
            "a/../../b.txt",
            "..\\x.txt",
        ]
        return zip_bytes([(rng.choice(names), hp.TEXT.encode())]), "zip"
    if pick == 3:  # a symbolic link member
        info = zipfile.ZipInfo("link-to-passwd", STAMP)
        info.external_attr = 0o120777 << 16
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as zf:
            zf.writestr(info, "/etc/passwd")
            zf.writestr(zipfile.ZipInfo("letter.txt", STAMP), hp.TEXT)
        return out.getvalue(), "zip"
    if pick == 4:  # more members than the limit
        members = [(f"m{i}.txt", b"x") for i in range(rng.choice([2_100, 300]))]
        return zip_bytes(members, zipfile.ZIP_STORED), "zip"
    if pick == 5:  # a member marked as encrypted
        data = bytearray(zip_bytes([("letter.txt", hp.TEXT.encode())], zipfile.ZIP_STORED))
        for sig in (b"PK\x03\x04", b"PK\x01\x02"):
            at = data.find(sig)
            flag_at = at + (6 if sig == b"PK\x03\x04" else 8)
            data[flag_at] |= 1
        return bytes(data), "zip"
    if pick == 6:  # a member that says it is 10 bytes and inflates to 20 MB
        data = bytearray(zip_bytes([("x.txt", b"A" * 20 * 1024 * 1024)]))
        at = data.find(b"PK\x01\x02")
        data[at + 24 : at + 28] = struct.pack("<I", 10)
        return bytes(data), "zip"
    if pick == 7:  # hostile files inside an archive
        inner = [
            (f"f{i}.{ext}", content)
            for i, (content, ext) in enumerate(
                rng.choice([pdf_active, image_malformed, docx_hostile, text_hostile])(rng)
                for _ in range(rng.randint(1, 4))
            )
        ]
        return zip_bytes(inner), "zip"
    base = zip_bytes([("a.txt", hp.TEXT.encode()), ("b.docx", base_docx())])
    return mutate(rng, base), "zip"


# -- text ------------------------------------------------------------------------------------


def text_hostile(rng: random.Random) -> Made:
    # the huge ones (5, 6) cost the whole engine seconds each: rarer, so a run stays short
    pick = rng.choices(range(10), weights=[10, 10, 10, 10, 10, 0.4, 0.4, 10, 10, 10])[0]
    if pick == 0:  # random bytes
        return bytes(rng.randrange(256) for _ in range(rng.choice([10, 4_000, 100_000]))), "txt"
    if pick == 1:  # high bytes only (no NUL): decoded as some 8-bit encoding
        return bytes(rng.randrange(128, 256) for _ in range(rng.choice([100, 50_000]))), "txt"
    if pick == 2:  # invalid UTF-8: lone continuation bytes, overlong forms, surrogates
        bits = [
            b"\x80",
            b"\xc0\xaf",
            b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80",
            b"\xfe",
            hp.TEXT.encode(),
        ]
        return b"".join(rng.choice(bits) for _ in range(rng.choice([50, 5_000]))), "txt"
    if pick == 3:  # a byte-order mark over the wrong encoding, or odd-length UTF-16
        bom = rng.choice([b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\xef\xbb\xbf"])
        return bom + hp.TEXT.encode("utf-8") + b"\x00" * rng.randint(0, 3), "txt"
    if pick == 4:  # Unicode that breaks naive code: combining marks, bidi, zero-width, astral
        chars = [
            "\u0301",
            "\u202e",
            "\u200b",
            "\ufeff",
            "\U0001f600",
            "\u0000",
            "\r",
            "\x0c",
            "病",
            "\u2028",
        ]
        text = "".join(rng.choice(chars) for _ in range(rng.choice([100, 20_000])))
        return (text + hp.TEXT).encode("utf-8", "surrogatepass"), "txt"
    if pick == 5:  # one line of millions of characters
        return (hp.TEXT.replace(" ", "") * rng.choice([5_000, 60_000])).encode(), "txt"
    if pick == 6:  # huge text: past the worker's character cap
        return (hp.TEXT + "\n").encode() * rng.choice([15_000, 120_000]), "txt"
    if pick == 7:  # HTML: unclosed scripts, deep nesting, entity floods
        html = rng.choice(
            [
                b"<html><script>" + b"x" * 100_000,
                b"<html><body>" + b"<div>" * 100_000 + hp.TEXT.encode(),
                b"<html><body>" + b"&amp;&#x110000;&#99999999;&lt;" * 20_000,
                b"<html><body><p " + b"a" * 1_000_000 + b">" + hp.TEXT.encode(),
            ]
        )
        return html, "html"
    if pick == 8:  # XML with entities and a declared charset that does not exist
        xml = (
            b'<?xml version="1.0" encoding="x-no-such-charset"?><!DOCTYPE r [<!ENTITY a "'
            + b"A" * 1000
            + b'">]><r>&a;&a;&a;'
            + hp.TEXT.encode("cp1252")
            + b"\xe9\xff</r>"
        )
        return xml, "xml"
    return b"\x00" * rng.choice([1, 4096, 100_000]), "txt"


# -- wrong names -------------------------------------------------------------------------------


def wrong_extension(rng: random.Random) -> Made:
    data, ext = rng.choice(
        [pdf_truncated, image_malformed, docx_hostile, dicom_hostile, text_hostile]
    )(rng)
    wrong = rng.choice(
        [e for e in ("pdf", "jpg", "png", "docx", "dcm", "zip", "txt", "exe") if e != ext]
    )
    return data, wrong


# name: (maker, share of the corpus)
KINDS: dict[str, tuple[Maker, float]] = {
    "pdf-mutated": (mutated_of(base_pdfs, "pdf"), 0.17),
    "pdf-truncated": (pdf_truncated, 0.05),
    "pdf-active": (pdf_active, 0.08),
    "pdf-structure": (pdf_structure, 0.06),
    "image-bomb": (image_bomb, 0.02),
    "image-malformed": (image_malformed, 0.12),
    "docx": (docx_hostile, 0.12),
    "dicom": (dicom_hostile, 0.10),
    "archive": (archive_hostile, 0.10),
    "text": (text_hostile, 0.12),
    "wrong-extension": (wrong_extension, 0.06),
}
