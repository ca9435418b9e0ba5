"""The engine's words as people read them, shared by the apps (apps never
import one another): what is missing, as the summary words it (its terminology
table), in "en" or "zh", English the table does not cover marked the way the
summary marks it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from casebridge.engine.case import Case as EngineCase
from casebridge.engine.render.summary import Wording
from casebridge.engine.terminology import Span
from casebridge.engine.terminology import label as term_label


def spans_html(spans: Iterable[Span], lang: str) -> SafeString:
    """Words in the page's language, escaped; English the terminology table does not
    cover marked as the summary marks it (lang="en", "[EN]", "not translated: the
    original is in English")."""
    note = term_label("heading.untranslated", lang)
    out = []
    for span in spans:
        if span.untranslated:
            out.append(
                f'<span class="untranslated" lang="en" title="{escape(note)}">'
                f'{escape(span.text)}<sup class="en-mark">[EN]</sup></span>'
            )
        else:
            out.append(str(escape(span.text)))
    return mark_safe("".join(out))  # noqa: S308  # nosec B308 B703 - escaped above


def whole(spans: list[Span], english: str) -> list[Span]:
    """Free text translated whole or shown whole in English, marked: never half
    translated (the summary's rule for a value)."""
    if len(spans) > 1 and any(s.untranslated for s in spans):
        return [Span(" ".join(english.split()), untranslated=True)]
    return spans


@dataclass
class PatientGap:
    """A missing record as the patient reads it, in the page's language."""

    id: str
    title: list[Span]
    severity: str
    why: list[Span]
    holder: list[Span]


def patient_gaps(engine: EngineCase, lang: str) -> list[PatientGap]:
    """The engine's gaps: the title as the summary words it (knowledge/
    terminology_zh.yaml gap_id), the severity from the same table, the reason and
    who holds the record in their curated Chinese (gap_why, gap_note, gap_holder),
    and English the table does not cover marked untranslated (the summary's way)."""
    code = "zh" if lang == "zh" else "en"
    words = Wording(engine, code)
    return [
        PatientGap(
            id=gap.id,
            title=words.gap_title(gap),
            severity=term_label(f"severity.{gap.severity}", code),
            why=whole(words.gap_why(gap), gap.why),
            holder=whole(words.gap_holder(gap), gap.holder),
        )
        for gap in engine.gaps
    ]
