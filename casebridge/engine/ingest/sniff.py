"""What a file is, from its first bytes (magic numbers), never from its name."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Kind:
    media_type: str
    handler: str  # pdf, image, docx, zip, dicom, text, html, xml, unsupported
    reason: str = ""  # for unsupported: what it is, in plain language


def _unsupported(media_type: str, reason: str) -> Kind:
    return Kind(media_type, "unsupported", reason)


_SAVE_AS = "please save it as PDF (or DOCX) and add it again"

# (magic, offset, media type, handler or reason). Checked in order.
_BINARY_MAGIC: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg", "image"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "image"),
    (b"II*\x00", 0, "image/tiff", "image"),
    (b"MM\x00*", 0, "image/tiff", "image"),
    (b"GIF87a", 0, "image/gif", "image"),
    (b"GIF89a", 0, "image/gif", "image"),
    (b"BM", 0, "image/bmp", "image"),
    (b"DICM", 128, "application/dicom", "dicom"),
    (b"MZ", 0, "application/x-msdownload", "This file is a Windows program, not a document"),
    (b"\x7fELF", 0, "application/x-executable", "This file is a Linux program, not a document"),
    (
        b"\xcf\xfa\xed\xfe",
        0,
        "application/x-mach-binary",
        "This file is a Mac program, not a document",
    ),
    (
        b"\xce\xfa\xed\xfe",
        0,
        "application/x-mach-binary",
        "This file is a Mac program, not a document",
    ),
    (
        b"\xca\xfe\xba\xbe",
        0,
        "application/x-mach-binary",
        "This file is a Mac or Java program, not a document",
    ),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        0,
        "application/x-ole-storage",
        "This is an older Microsoft Office file (.doc, .xls or Outlook .msg) or a "
        f"password-protected Office file, which cannot be read: {_SAVE_AS}",
    ),
    (
        b"{\\rtf",
        0,
        "application/rtf",
        f"This is a Rich Text (RTF) file, which cannot be read: {_SAVE_AS}",
    ),
    (
        b"\x1f\x8b",
        0,
        "application/gzip",
        "This is a .gz compressed file: please send a ZIP instead",
    ),
    (
        b"7z\xbc\xaf\x27\x1c",
        0,
        "application/x-7z-compressed",
        "This is a 7-Zip archive: please send a ZIP instead",
    ),
    (b"Rar!\x1a\x07", 0, "application/vnd.rar", "This is a RAR archive: please send a ZIP instead"),
    (b"#!", 0, "text/x-shellscript", "This file is a program script, not a document"),
    (b"ID3", 0, "audio/mpeg", "This is a sound recording, not a document"),
    (b"OggS", 0, "audio/ogg", "This is a sound recording, not a document"),
    (b"\x1aE\xdf\xa3", 0, "video/webm", "This is a video, not a document"),
)

_TEXT_PREFIXES_HTML = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title")


def sniff(data: bytes) -> Kind:
    """Detect the type of `data` from its content. Never raises."""
    head = data[:4096]
    if head[128:132] == b"DICM":  # before PDF: a DICOM file may wrap a PDF report
        return Kind("application/dicom", "dicom")
    if b"%PDF-" in data[:1024]:
        return Kind("application/pdf", "pdf")
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _sniff_zip(data)
    if head[8:12] == b"WEBP" and head[:4] == b"RIFF":
        return Kind("image/webp", "image")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"hevc", b"avif"):
            return _unsupported(
                "image/heic",
                "This is an iPhone HEIC photo, which cannot be read: please send it as JPEG "
                "(iPhone: Settings > Camera > Formats > Most Compatible)",
            )
        return _unsupported("video/mp4", "This is a video or audio file, not a document")
    if head[:4] == b"RIFF":
        return _unsupported("audio/wav", "This is a sound or video file, not a document")
    for magic, offset, media_type, what in _BINARY_MAGIC:
        if head[offset : offset + len(magic)] == magic and _confirmed(magic, head):
            if what in ("image", "dicom"):
                return Kind(media_type, what)
            return _unsupported(media_type, what)
    return _sniff_text(head)


def _confirmed(magic: bytes, head: bytes) -> bool:
    """Two-byte magics also begin ordinary text ("BMI 24", "MZ Patel"): confirm them."""
    if magic == b"BM":
        dib_size = int.from_bytes(head[14:18], "little")
        return len(head) >= 26 and dib_size in (12, 16, 40, 52, 56, 64, 108, 124)
    if magic == b"MZ":
        pe_offset = int.from_bytes(head[60:64], "little")
        pe_signature = head[pe_offset : pe_offset + 4] == b"PE\x00\x00"
        return pe_signature or b"\x00" in head[:512]
    return True


def _sniff_zip(data: bytes) -> Kind:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            mimetype = b""
            if "mimetype" in names and zf.getinfo("mimetype").file_size < 200:
                mimetype = zf.read("mimetype")
    except Exception:  # noqa: BLE001 - a broken archive is still an archive
        return Kind("application/zip", "zip")
    if "word/document.xml" in names:
        return Kind(DOCX_TYPE, "docx")
    if "xl/workbook.xml" in names:
        return _unsupported(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            f"This is an Excel spreadsheet, which cannot be read: {_SAVE_AS}",
        )
    if "ppt/presentation.xml" in names:
        return _unsupported(
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            f"This is a PowerPoint presentation, which cannot be read: {_SAVE_AS}",
        )
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        return _unsupported(
            mimetype.decode("ascii", "replace"),
            f"This is an OpenDocument (LibreOffice) file, which cannot be read: {_SAVE_AS}",
        )
    return Kind("application/zip", "zip")


def _sniff_text(head: bytes) -> Kind:
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        body = _ascii_view(head)
    elif b"\x00" in head:
        if _looks_utf16(head):
            body = _ascii_view(head)
        else:
            return _unsupported(
                "application/octet-stream",
                "This file's type could not be recognised: it is not a PDF, photo, Word "
                "document or text file",
            )
    else:
        body = head
    lowered = body.lstrip().lower()
    if lowered.startswith(_TEXT_PREFIXES_HTML) or (
        lowered.startswith(b"<?xml") and b"<html" in lowered[:1000]
    ):
        return Kind("text/html", "html")
    if lowered.startswith(b"<?xml") or (lowered.startswith(b"<") and b"</" in lowered):
        if b"<html" in lowered or b"<body" in lowered or b"<p>" in lowered:
            return Kind("text/html", "html")
        return Kind("application/xml", "xml")
    return Kind("text/plain", "text")


def _looks_utf16(head: bytes) -> bool:
    even = head[0::2]
    odd = head[1::2]
    zeros_even = even.count(0) / max(len(even), 1)
    zeros_odd = odd.count(0) / max(len(odd), 1)
    return max(zeros_even, zeros_odd) > 0.3 and min(zeros_even, zeros_odd) < 0.05


def _ascii_view(head: bytes) -> bytes:
    """The ASCII bytes of a UTF-16/UTF-8 head, enough to look for tags."""
    return bytes(b for b in head if 0 < b < 128)
