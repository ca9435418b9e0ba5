"""Document stage 'extract': every extractor module over one document.

Each module in EXTRACTORS exposes `extract(doc) -> list[Fact]`; identifiers
(for pseudonymisation) come from `identifiers.find_identifiers(doc)`.
Modules are plain functions over text: fast, no model loading.
"""

from __future__ import annotations

from casebridge.engine.case import Case, Document, Fact
from casebridge.engine.extract import (
    biomarkers,
    course,
    haem,
    history,
    identifiers,
    mdt_results,
    metastases,
    serology,
    tnm,
    tumour,
)
from casebridge.engine.extract.patient import PATIENT, as_patient_statement
from casebridge.engine.registry import component

EXTRACTORS = (tumour, haem, metastases, tnm, biomarkers, serology, history, course, mdt_results)


def extract_document(doc: Document) -> list[Fact]:
    """Every extractor's facts for one document. Facts read from a note the patient or
    their family wrote (metadata author "patient", set by 'classify') carry
    attributes["reported_by"] = "patient" and are never a clinical fact: each becomes a
    `patient_statement` ("the patient writes: ...", attributes["about"] the kind it would
    have been), so a question such as "the clinic says grade 3 but I think the biopsy says
    grade 2" is never the source of a grade. What the patient says they take and react to
    (medicines, allergies) stays as it is, marked patient-reported: medicines
    reconciliation starts from the patient's own account (NICE NG5)."""
    facts: list[Fact] = []
    seen: set[str] = set()
    reported_by_patient = doc.metadata.get("author") == PATIENT
    for module in EXTRACTORS:
        for fact in module.extract(doc):
            if fact.id not in seen:
                seen.add(fact.id)
                if reported_by_patient:
                    fact.attributes["reported_by"] = PATIENT
                    fact = as_patient_statement(doc, fact)
                facts.append(fact)
    return serology.supersede(facts)


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
