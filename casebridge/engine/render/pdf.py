"""The clinical summary as an A4 PDF (reportlab), English or Chinese.

Same content as the HTML (render/summary.py), compact typography so a typical case fits one
page; longer cases continue on page 2 rather than losing facts. Chinese is drawn with a
cached TrueType subset of Noto Sans CJK SC embedded per document (render/cjk_font.py), or with
Adobe's STSong-Light CID font where no such font is installed.
"""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import HRFlowable

from casebridge.engine.case import Case
from casebridge.engine.render.cjk_font import PdfFonts, pdf_fonts
from casebridge.engine.render.summary import (
    Line,
    Part,
    SourceItem,
    Summary,
    build_summary,
    source_groups,
)
from casebridge.engine.terminology import Span

BLUE = colors.HexColor("#1f4e79")
RED = colors.HexColor("#990000")
GREY = colors.HexColor("#666666")
MARGIN_X = 12 * mm
MARGIN_Y = 10 * mm
LABEL_WIDTH = 38 * mm
ROW_PARTS = 12  # values per table row before a line continues on the next row
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def render_pdf(case: Case, lang: str) -> bytes:
    """The summary of `case` in "en" or "zh" as PDF bytes."""
    return summary_pdf(build_summary(case, lang))


def summary_pdf(summary: Summary) -> bytes:
    fonts = pdf_fonts()
    ink = _Ink(fonts)
    st = _styles(fonts)
    story: list[Flowable] = []
    if summary.safety is not None:
        story.append(_safety(summary, ink, st))
    story.append(_para(ink.text(summary.title, bold=True), st["title"]))
    story.append(_para(ink.text(summary.subtitle), st["subtitle"]))
    meta = " · ".join(
        f"{ink.spans(line.label)}: {ink.text(_plain(line.parts), bold=True)}"
        for line in summary.meta
    )
    story.append(_para(meta, st["meta"]))
    width = A4[0] - 2 * MARGIN_X
    for section in summary.sections:
        heading = [
            _para(ink.text(section.heading, bold=True), st["h2"]),
            HRFlowable(width="100%", thickness=0.5, color=BLUE, spaceBefore=0, spaceAfter=1.2),
        ]
        lines = [piece for line in section.lines for piece in _chunks(line)]
        rows = [_row(line, ink, st) for line in lines]
        table = Table(rows, colWidths=[LABEL_WIDTH, width - LABEL_WIDTH], hAlign="LEFT")
        commands: list[tuple[Any, ...]] = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 0.4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0.4),
        ]
        for i, line in enumerate(lines):
            if line.status == "continued":
                continue
            if not line.label:
                commands.append(("SPAN", (0, i), (1, i)))
            if line.status == "conflict":
                commands.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor("#fff4d6")))
        table.setStyle(TableStyle(commands))
        story.append(KeepTogether([*heading, table]) if len(rows) <= 6 else heading[0])
        if len(rows) > 6:
            story += [heading[1], table]
    if summary.sources:
        story.append(_para(ink.text(summary.sources_heading, bold=True), st["h2"]))
        story.append(HRFlowable(width="100%", thickness=0.5, color=BLUE, spaceAfter=1.2))
        paras = [
            _para(markup, st["source"])
            for group in source_groups(summary)
            for markup in _source_group(group, ink)
        ]
        story.append(_Columns(paras, gap=5 * mm))
    if summary.has_untranslated:
        story.append(Spacer(1, 2))
        story.append(
            _para(f"<super>[EN]</super> {ink.text(summary.untranslated_note)}", st["small"])
        )
    story.append(Spacer(1, 3))
    story.append(
        KeepTogether(
            [
                HRFlowable(width="100%", thickness=0.4, color=GREY, spaceAfter=1.5),
                _para(ink.text(summary.disclaimer_heading, bold=True), st["small"]),
                _para(ink.text(summary.disclaimer["en"]), st["small"]),
                _para(ink.text(summary.disclaimer["zh"]), st["small"]),
            ]
        )
    )

    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_Y,
        bottomMargin=MARGIN_Y + 3 * mm,
        title=summary.title,
        author="casebridge",
        subject=summary.subtitle,
        lang="zh-CN" if summary.lang == "zh" else "en-GB",
    )
    footer = f"{summary.case_id} · {summary.footer} · casebridge"

    def on_page(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFillColor(GREY)
        x = MARGIN_X
        y = MARGIN_Y - 1 * mm
        for run, font in ink.runs(f"{footer} · {document.page}"):
            canvas.setFont(font, 6.3)
            canvas.drawString(x, y, run)
            x += canvas.stringWidth(run, font, 6.3)
        canvas.restoreState()

    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def _para(markup: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph; text with Chinese wraps between any two characters (reportlab's CJK
    wrapping, which is slower, so only where needed)."""
    if _CJK.search(markup):
        style = ParagraphStyle(style.name + "-cjk", style, wordWrap="CJK")
    return Paragraph(markup, style)


def _styles(fonts: PdfFonts) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "base", fontName=fonts.regular, fontSize=7.6, leading=9.2, alignment=TA_LEFT,
    )  # fmt: skip
    return {
        "base": base,
        "title": ParagraphStyle("title", base, fontSize=13, leading=15.5),
        "subtitle": ParagraphStyle("subtitle", base, textColor=GREY, spaceAfter=1),
        "meta": ParagraphStyle("meta", base, spaceAfter=2),
        "h2": ParagraphStyle(
            "h2", base, fontSize=8.8, leading=10.4, textColor=BLUE, spaceBefore=2.5
        ),
        "label": ParagraphStyle("label", base, textColor=colors.HexColor("#333333")),
        "value": base,
        "not_stated": ParagraphStyle("not_stated", base, textColor=colors.HexColor("#595959")),
        "source": ParagraphStyle("source", base, fontSize=6.3, leading=7.6),
        "small": ParagraphStyle("small", base, fontSize=6.6, leading=8),
        "urgent": ParagraphStyle("urgent", base, fontSize=8.3, leading=10.2, textColor=RED),
    }


def _chunks(line: Line, size: int = ROW_PARTS) -> list[Line]:
    """A line with many values split into rows, so that no table row is taller than a page
    (reportlab splits tables between rows only)."""
    if len(line.parts) <= size:
        return [line]
    out = []
    for i in range(0, len(line.parts), size):
        parts = [Part(p.spans, p.refs, p.sep) for p in line.parts[i : i + size]]
        parts[0].sep = ""
        if i == 0:
            out.append(Line(line.label, parts, line.status, line.note))
        else:
            out.append(Line([], parts, "continued"))
    return out


def _row(line: Line, ink: _Ink, st: dict[str, ParagraphStyle]) -> list[Paragraph]:
    style = st["not_stated"] if line.status == "not_stated" else st["value"]
    value = _parts(line.parts, ink)
    if line.note:
        value += f' <font color="#8a5a00">⚠ {ink.spans(line.note, bold=True)}</font>'
    if line.status == "continued":
        return [_para("", style), _para(value, style)]
    if not line.label:  # spans both columns (see the SPAN command)
        return [_para(value, style), _para("", style)]
    return [_para(ink.spans(line.label, bold=True), st["label"]), _para(value, style)]


def _parts(parts: list[Part], ink: _Ink) -> str:
    out = []
    for i, part in enumerate(parts):
        if i and part.sep:
            sep = ink.text(part.sep, bold="≠" in part.sep)
            out.append(f'<font color="#bb0000">{sep}</font>' if "≠" in part.sep else sep)
        out.append(ink.spans(part.spans))
        if part.refs:
            refs = ",".join(str(n) for n in part.refs)
            out.append(f'<super><font color="#1f4e79">[{refs}]</font></super>')
    return "".join(out)


def _source_group(items: list[SourceItem], ink: _Ink) -> list[str]:
    """One document's sources, a paragraph each: the file name before the first, then
    each numbered quotation."""
    out = []
    page = ""
    for i, item in enumerate(items):
        bits = f'<font color="#1f4e79"><b>{item.number}</b></font>'
        if item.page and item.page != page:
            bits += " " + ink.text(item.page)
            page = item.page
        if item.snippet:
            bits += f" “{ink.text(item.snippet)}”"
        if i == 0:
            bits = ink.text(items[0].file or items[0].where, bold=True) + " " + bits
        out.append(bits)
    return out


def _plain(parts: list[Part]) -> str:
    return "".join(s.text for p in parts for s in p.spans)


def _safety(summary: Summary, ink: _Ink, st: dict[str, ParagraphStyle]) -> Table:
    notice = summary.safety
    assert notice is not None
    first, second = ("zh", "en") if summary.lang == "zh" else ("en", "zh")
    cell: list[Flowable] = []
    for lang in (first, second):
        if lang in notice.urgent:
            cell.append(_para(ink.text(notice.urgent[lang], bold=True), st["urgent"]))
    if notice.paused:
        for lang in (first, second):
            cell.append(_para(ink.text(notice.paused[lang], bold=True), st["base"]))
    for line in notice.flags:
        cell.append(
            _para(f"• {ink.spans(line.label, bold=True)} {_parts(line.parts, ink)}", st["base"])
        )
    table = Table([[cell]], colWidths=[A4[0] - 2 * MARGIN_X])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, RED),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fdecec")),
                ("LEFTPADDING", (0, 0), (-1, -1), 5),
                ("RIGHTPADDING", (0, 0), (-1, -1), 5),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    table.spaceAfter = 4
    return table


class _Columns(Flowable):
    """Paragraphs in two balanced columns, read down the left then the right; splits
    between paragraphs when the page is full. (reportlab's BalancedColumns draws a split
    paragraph taller than it measured it, overlapping what follows.)"""

    def __init__(self, paras: list[Paragraph], gap: float) -> None:
        super().__init__()
        self.paras = paras
        self.gap = gap
        self.heights: list[float] = []
        self.cut = 0  # paragraphs [0, cut) on the left
        self.col = 0.0

    def _measure(self, width: float) -> None:
        self.col = (width - self.gap) / 2
        self.heights = [p.wrap(self.col, 10_000)[1] for p in self.paras]

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self._measure(avail_width)
        total = sum(self.heights)
        best = (total, len(self.paras))
        left = 0.0
        for i, h in enumerate(self.heights):
            left += h
            tallest = max(left, total - left)
            if tallest < best[0]:
                best = (tallest, i + 1)
        self.height_, self.cut = best
        self.width = avail_width
        return avail_width, self.height_

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        self._measure(avail_width)
        fitted, used = 0, [0.0, 0.0]
        column = 0
        for h in self.heights:
            if used[column] + h > avail_height:
                column += 1
                if column > 1 or h > avail_height:
                    break
            used[column] += h
            fitted += 1
        if fitted == 0 or fitted == len(self.paras):
            return []
        return [_Columns(self.paras[:fitted], self.gap), _Columns(self.paras[fitted:], self.gap)]

    def draw(self) -> None:
        y = self.height_
        for i, para in enumerate(self.paras):
            if i == self.cut:
                y = self.height_
            x = 0.0 if i < self.cut else self.col + self.gap
            y -= self.heights[i]
            para.drawOn(self.canv, x, y)


class _Ink:
    """Paragraph markup for text: escaped, with each run in a font that has its glyphs."""

    def __init__(self, fonts: PdfFonts) -> None:
        self.fonts = fonts

    def font_for(self, char: str, bold: bool) -> str:
        f = self.fonts
        if not f.embedded:
            return f.fallback
        code = ord(char)
        if bold and code in f.bold_chars:
            return f.bold
        if code in f.regular_chars or char in "\n\t":
            return f.regular
        return f.fallback

    def runs(self, text: str, bold: bool = False) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for char in text:
            font = self.font_for(char, bold)
            if out and out[-1][1] == font:
                out[-1] = (out[-1][0] + char, font)
            else:
                out.append((char, font))
        return out

    def text(self, text: str, bold: bool = False) -> str:
        return "".join(
            f'<font face="{font}">{escape(run)}</font>' for run, font in self.runs(text, bold)
        )

    def spans(self, spans: list[Span], bold: bool = False) -> str:
        out = []
        for span in spans:
            inner = self.text(span.text, bold)
            if span.untranslated:
                inner = (
                    f'<u color="#888888" width="0.4" offset="-1.6">{inner}</u>'
                    f'<super><font color="#666666">[EN]</font></super>'
                )
            out.append(inner)
        return "".join(out)
