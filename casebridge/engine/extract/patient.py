"""The patient's own writing: what a note the patient or their family wrote says is shown
as "the patient writes", never as a clinical fact.

A patient's questions ("the clinic says grade 3 but I think the biopsy says grade 2") and
a family member's timeline are the patient's account, not a record: a fact read from them
becomes a `patient_statement` whose value is what the extractor read, whose display quotes
the sentence it came from, and whose attributes["about"] names the kind it would have been.
Summary rows, conflicts, gaps and FHIR read the clinical kinds, so the patient's words close
no gap and source no row. Medicines and allergies are the exception: a medicines
reconciliation starts from what the patient says they take and react to (NICE NG5,
Medicines optimisation, 2015), so those stay as they are, marked reported_by "patient".
"""

from __future__ import annotations

from casebridge.engine.case import Document, Fact, fact_id
from casebridge.engine.extract.context import sentence_bounds

PATIENT = "patient"  # Document.metadata["author"] of a note the patient or family wrote
STATEMENT = "patient_statement"
KEPT_KINDS = frozenset({"medication", "allergy", "no_known_allergies"})
_QUOTE_MAX = 200  # characters of the patient's sentence quoted in the display


def _sentence(doc: Document, fact: Fact) -> str:
    source = fact.source
    if source is None:
        return ""
    page = next((p for p in doc.pages if p.number == source.page), None)
    if page is None:
        return source.snippet
    lo, hi = sentence_bounds(page.text, source.start, source.end)
    while 0 < lo < source.start and page.text[lo - 1].isalnum():
        lo += 1  # a sentence cut by the search window starts at its next word
    words = " ".join(page.text[lo:hi].split()).strip(" -*•")
    if len(words) > _QUOTE_MAX:
        words = words[: _QUOTE_MAX - 1].rsplit(" ", 1)[0] + "…"
    return words


def as_patient_statement(doc: Document, fact: Fact) -> Fact:
    """The fact as the patient's statement (see the module docstring); kept kinds as they
    are."""
    fact.attributes["reported_by"] = PATIENT
    if fact.kind in KEPT_KINDS or fact.kind == STATEMENT:
        return fact
    quote = _sentence(doc, fact)
    attributes = dict(fact.attributes)
    attributes["about"] = fact.kind
    attributes["read_as"] = fact.display
    if quote:
        attributes["quote"] = quote
    return Fact(
        kind=STATEMENT,
        value=fact.value,
        source=fact.source,
        context=fact.context,
        display=f"the patient writes: \u201c{quote}\u201d" if quote else "the patient writes",
        attributes=attributes,
        code=None,
        found_by=fact.found_by,
        id=fact_id(f"{STATEMENT}:{fact.kind}", fact.value, fact.source),
    )
