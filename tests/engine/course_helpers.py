"""One letter read by the course extractor, and its summary: shared by the tests of dose
steps and of medicine currency, which read letters the same way."""

from __future__ import annotations

from casebridge.engine.case import Case, Fact
from casebridge.engine.extract import course
from casebridge.engine.render.summary import build_summary
from tests.engine import factories

LETTER_DATE = "2026-03-16"


def read(text: str, date: str = LETTER_DATE) -> list[Fact]:
    doc = factories.document("d1", "clinic_letter", text, date=date)
    doc.document_date = date
    return course.extract(doc)


def drugs(text: str) -> dict[str, Fact]:
    return {f.value: f for f in read(text) if f.kind != "event_date"}


def summary_of(text: str, lang: str):  # type: ignore[no-untyped-def]
    doc = factories.document("d1", "clinic_letter", text, date=LETTER_DATE)
    doc.document_date = LETTER_DATE
    case = Case(case_id="CB-STEPS", documents=[doc], facts=course.extract(doc))
    return build_summary(case, lang)
