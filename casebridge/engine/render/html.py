"""The clinical summary as one self-contained HTML page (inline CSS, no scripts).

Everything from the records is escaped; untranslated English in the Chinese page is shown
with a dotted underline and an [EN] marker, explained in a footnote.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from string import Template

from casebridge.engine.case import Case
from casebridge.engine.render.summary import (
    Line,
    Part,
    SourceItem,
    Summary,
    build_summary,
    source_groups,
)
from casebridge.engine.terminology import Span

TEMPLATE = Path(__file__).parent / "templates" / "summary.html"


def render_html(case: Case, lang: str) -> str:
    """The summary of `case` in "en" or "zh" as an HTML document."""
    return summary_html(build_summary(case, lang))


def summary_html(summary: Summary) -> str:
    body: list[str] = []
    if summary.safety is not None:
        body.append(_safety(summary))
    body.append(
        f"<header><h1>{escape(summary.title)}</h1>"
        f'<p class="subtitle">{escape(summary.subtitle)}</p>'
        f'<dl class="meta">{"".join(_meta(line) for line in summary.meta)}</dl></header>'
    )
    for section in summary.sections:
        rows = "".join(_row(line) for line in section.lines)
        body.append(
            f'<section class="s-{escape(section.key)}"><h2>{escape(section.heading)}</h2>'
            f'<table class="lines">{rows}</table></section>'
        )
    if summary.sources:
        groups = "".join(_source_group(group) for group in source_groups(summary))
        body.append(
            f'<section class="sources"><h2>{escape(summary.sources_heading)}</h2>'
            f'<div class="cols">{groups}</div></section>'
        )
    if summary.has_untranslated:
        body.append(
            f'<p class="footnote"><span class="en-mark">[EN]</span> {escape(summary.untranslated_note)}</p>'
        )
    body.append(
        f'<footer class="disclaimer"><h2>{escape(summary.disclaimer_heading)}</h2>'
        f'<p lang="en">{escape(summary.disclaimer["en"])}</p>'
        f'<p lang="zh-Hans">{escape(summary.disclaimer["zh"])}</p>'
        f'<p class="version">Terminology {escape(summary.terminology_version)}</p></footer>'
    )
    return Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        lang="zh-Hans" if summary.lang == "zh" else "en",
        title=escape(summary.title),
        body="\n".join(body),
    )


def _safety(summary: Summary) -> str:
    notice = summary.safety
    assert notice is not None
    out = ['<aside class="safety" role="alert">']
    first, second = ("zh", "en") if summary.lang == "zh" else ("en", "zh")
    for lang in (first, second):
        if lang in notice.urgent:
            out.append(f'<p class="urgent" lang="{_lang(lang)}">{escape(notice.urgent[lang])}</p>')
    if notice.paused:
        for lang in (first, second):
            out.append(f'<p class="paused" lang="{_lang(lang)}">{escape(notice.paused[lang])}</p>')
    if notice.flags:
        out.append('<ul class="flags">')
        for line in notice.flags:
            out.append(f"<li><strong>{_spans(line.label)}</strong> {_parts(line.parts)}</li>")
        out.append("</ul>")
    out.append("</aside>")
    return "".join(out)


def _source_group(items: list[SourceItem]) -> str:
    """One document's sources: the file name once, then each numbered quotation."""
    out = [f'<p class="src"><span class="where">{escape(items[0].file or items[0].where)}</span>']
    page = ""
    for item in items:
        out.append(f' <span id="src-{item.number}" class="n">{item.number}</span>')
        if item.page and item.page != page:
            out.append(f' <span class="page">{escape(item.page)}</span>')
            page = item.page
        if item.snippet:
            out.append(f' <q lang="und">{escape(item.snippet)}</q>')
    out.append("</p>")
    return "".join(out)


def _lang(code: str) -> str:
    return "zh-Hans" if code == "zh" else "en"


def _meta(line: Line) -> str:
    return f"<div><dt>{_spans(line.label)}</dt><dd>{_parts(line.parts)}</dd></div>"


def _row(line: Line) -> str:
    note = f' <span class="flag">{_spans(line.note)}</span>' if line.note else ""
    if not line.label:  # a line of its own (the timeline): the whole width
        return f'<tr class="{escape(line.status)}"><td colspan="2">{_parts(line.parts)}{note}</td></tr>'
    label = f"<th>{_spans(line.label)}</th>"
    return f'<tr class="{escape(line.status)}">{label}<td>{_parts(line.parts)}{note}</td></tr>'


def _parts(parts: list[Part]) -> str:
    out = []
    for i, part in enumerate(parts):
        if i and part.sep:
            cls = "neq" if "≠" in part.sep else "sep"
            out.append(f'<span class="{cls}">{escape(part.sep)}</span>')
        out.append(_spans(part.spans) + _refs(part.refs))
    return "".join(out)


def _refs(refs: list[int]) -> str:
    if not refs:
        return ""
    links = ",".join(f'<a href="#src-{n}">{n}</a>' for n in refs)
    return f'<sup class="ref">[{links}]</sup>'


def _spans(spans: list[Span]) -> str:
    out = []
    for span in spans:
        if span.untranslated:
            out.append(
                f'<span class="untranslated" lang="en" title="未翻译：原文为英文">{escape(span.text)}'
                '<sup class="en-mark">[EN]</sup></span>'
            )
        else:
            out.append(escape(span.text))
    return "".join(out)
