"""Document stage 'extract': every extractor module over one document.

Each module in EXTRACTORS exposes `extract(doc) -> list[Fact]`; identifiers
(for pseudonymisation) come from `identifiers.find_identifiers(doc)`.
Modules are plain functions over text: fast, no model loading.
"""

from __future__ import annotations

from casebridge.engine.case import Case, Document, Fact
from casebridge.engine.extract import biomarkers, course, identifiers, tnm, tumour
from casebridge.engine.registry import component

EXTRACTORS = (tumour, tnm, biomarkers, course)


def extract_document(doc: Document) -> list[Fact]:
    facts: list[Fact] = []
    seen: set[str] = set()
    for module in EXTRACTORS:
        for fact in module.extract(doc):
            if fact.id not in seen:
                seen.add(fact.id)
                facts.append(fact)
    return facts


@component(
    "extract",
    level="document",
    reads=("document.pages", "document.doc_type"),
    writes=("case.facts", "case.identifiers", "document.document_date"),
)
def extract(case: Case, doc: Document) -> None:
    # The date first: TNM reads it to tell which AJCC edition applied.
    if doc.document_date is None:
        doc.document_date = course.document_date(doc)
    case.facts.extend(extract_document(doc))
    case.identifiers.extend(identifiers.find_identifiers(doc))
