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


PATIENT = "patient"  # Document.metadata["author"] of a note the patient or family wrote


def extract_document(doc: Document) -> list[Fact]:
    """Every extractor's facts for one document. Facts read from a note the patient or
    their family wrote (metadata author "patient", set by 'classify') keep their source
    and carry attributes["reported_by"] = "patient": the patient's account, which later
    stages keep out of conflicts and show as patient-reported."""
    facts: list[Fact] = []
    seen: set[str] = set()
    reported_by_patient = doc.metadata.get("author") == PATIENT
    for module in EXTRACTORS:
        for fact in module.extract(doc):
            if fact.id not in seen:
                seen.add(fact.id)
                if reported_by_patient:
                    fact.attributes["reported_by"] = PATIENT
                facts.append(fact)
    return facts


@component(
    "extract",
    level="document",
    reads=("document.pages", "document.doc_type", "document.metadata"),
    writes=("case.facts", "case.identifiers", "document.document_date"),
)
def extract(case: Case, doc: Document) -> None:
    # The date first: TNM reads it to tell which AJCC edition applied.
    if doc.document_date is None:
        doc.document_date = course.document_date(doc)
    case.facts.extend(extract_document(doc))
    case.identifiers.extend(identifiers.find_identifiers(doc))
