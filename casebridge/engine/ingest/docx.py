"""Word (DOCX): paragraphs and tables in reading order, read straight from the XML in memory."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET  # nosec B405 - types only; parsing is defusedxml's
import zipfile
import zlib

from defusedxml import ElementTree as SafeET

from casebridge.engine.case import Document, Page
from casebridge.engine.ingest import limits
from casebridge.engine.ingest.text import normalise

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
PAGE_BREAK = "\x0c"

_SKIP = frozenset({f"{MC}Fallback", f"{W}delText", f"{W}instrText", f"{W}del", f"{W}rPr"})


def read_docx(doc: Document, data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            body = _xml(zf, "word/document.xml")
            headers = sorted(n for n in zf.namelist() if re.fullmatch(r"word/header\d*\.xml", n))
            footers = sorted(n for n in zf.namelist() if re.fullmatch(r"word/footer\d*\.xml", n))
            header_text = _unique(_part_text(_xml(zf, n)) for n in headers)
            footer_text = _unique(_part_text(_xml(zf, n)) for n in footers)
    except _TooLarge:
        doc.needs_attention("This Word document is too large to read")
        return
    except _TooDeep:
        doc.needs_attention(
            "This Word document is nested too deeply to read (tables or boxes inside one "
            f"another more than {limits.MAX_XML_DEPTH} levels): please save it as PDF"
        )
        return
    except (zipfile.BadZipFile, KeyError, ET.ParseError, OSError, EOFError, ValueError, zlib.error):
        doc.needs_attention("This Word document is damaged and cannot be opened")
        return
    root = body.find(f"{W}body")
    text = _block_text(root) if root is not None else ""
    chunks = [chunk for chunk in text.split(PAGE_BREAK)] or [""]
    if header_text:
        chunks[0] = header_text + "\n\n" + chunks[0]
    if footer_text:
        chunks[-1] = chunks[-1] + "\n\n" + footer_text
    doc.pages = [Page(n, normalise(chunk), "docx") for n, chunk in enumerate(chunks, start=1)]


class _TooLarge(Exception):
    pass


class _TooDeep(Exception):
    pass


def _xml(zf: zipfile.ZipFile, name: str) -> ET.Element:
    info = zf.getinfo(name)
    if info.file_size > limits.MAX_XML_BYTES:
        raise _TooLarge(name)
    with zf.open(info) as fh:
        raw = fh.read(limits.MAX_XML_BYTES + 1)
    if len(raw) > limits.MAX_XML_BYTES:
        raise _TooLarge(name)
    # A DOCX part never needs a DTD: refused, so no entity expansion or external entity
    # (defusedxml's DTDForbidden is a ValueError, reported as an unreadable file).
    root: ET.Element = SafeET.fromstring(raw, forbid_dtd=True)
    # The text is gathered by recursion over the nesting: a part nested deeper than any
    # real document (tables in tables, a hostile file's 100,000 levels) is refused first.
    if _depth(root) > limits.MAX_XML_DEPTH:
        raise _TooDeep(name)
    return root


def _depth(root: ET.Element) -> int:
    """How deep the elements nest, counted without recursion (stops past the limit)."""
    deepest = 0
    stack = [(root, 1)]
    while stack and deepest <= limits.MAX_XML_DEPTH:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in element)
    return deepest


def _unique(texts: object) -> str:
    seen: list[str] = []
    for text in texts:  # type: ignore[attr-defined]
        if text and text not in seen:
            seen.append(text)
    return "\n".join(seen)


def _part_text(root: ET.Element) -> str:
    return normalise(_block_text(root).replace(PAGE_BREAK, "\n"))


def _block_text(container: ET.Element) -> str:
    """Paragraphs and tables that are direct content of the container, in order."""
    out: list[str] = []
    for child in container:
        if child.tag == f"{W}p":
            out.append(_paragraph(child))
        elif child.tag == f"{W}tbl":
            out.append(_table(child))
        elif child.tag in (f"{W}sdt", f"{W}customXml", f"{W}sdtContent"):
            out.append(_block_text(child))
        elif child.tag == f"{MC}AlternateContent":
            choice = child.find(f"{MC}Choice")
            if choice is not None:
                out.append(_block_text(choice))
    return "\n".join(part for part in out if part is not None)


def _paragraph(p: ET.Element) -> str:
    parts: list[str] = []
    ppr = p.find(f"{W}pPr")
    if ppr is not None and ppr.find(f"{W}pageBreakBefore") is not None:
        parts.append(PAGE_BREAK)
    _inline(p, parts)
    return "".join(parts)


def _inline(element: ET.Element, parts: list[str]) -> None:
    for child in element:
        tag = child.tag
        if tag in _SKIP:
            continue
        if tag == f"{W}t":
            parts.append(child.text or "")
        elif tag == f"{W}tab":
            parts.append("\t")
        elif tag in (f"{W}br", f"{W}cr"):
            kind = child.get(f"{W}type")
            parts.append(PAGE_BREAK if kind == "page" else "\n")
        elif tag == f"{W}noBreakHyphen":
            parts.append("-")
        elif tag == f"{W}txbxContent":
            parts.append("\n" + _block_text(child) + "\n")
        elif tag == f"{W}tbl":
            parts.append("\n" + _table(child) + "\n")
        else:
            _inline(child, parts)


def _table(tbl: ET.Element) -> str:
    rows: list[str] = []
    for tr in _rows(tbl):
        cells: list[str] = []
        for tc in tr.findall(f"{W}tc"):
            cell = " ".join(_block_text(tc).split())
            if not cells or cell != cells[-1]:  # merged cells repeat their text
                cells.append(cell)
        rows.append(" | ".join(cells))
    return "\n".join(rows)


def _rows(container: ET.Element) -> list[ET.Element]:
    """Rows of this table (also inside content controls), not those of nested tables."""
    rows: list[ET.Element] = []
    for child in container:
        if child.tag == f"{W}tr":
            rows.append(child)
        elif child.tag in (f"{W}sdt", f"{W}sdtContent", f"{W}customXml"):
            rows.extend(_rows(child))
    return rows
