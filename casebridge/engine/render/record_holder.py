"""Who holds a missing record, and how to find it, as the records themselves say: the
organisation and department in the letterhead of the document a gap's evidence comes from,
that document's own reference (our ref, lab number, accession) and its date.

A request letter that names "Department of Cellular Pathology, Northbrook Hospitals NHS
Foundation Trust" and "lab number H26-31874, reported 08/09/2026" is answered; one addressed
to "the hospital pathology department" is passed around. Nothing is guessed: what the
letterhead does not give stays the gap's generic holder, and a missing reference or date
stays a placeholder. The patient's own notes are never used as the letterhead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from casebridge.engine.case import Case, Document, Gap

_HEAD_LINES = 8  # lines of the first page searched for the letterhead
_ORGANISATION = re.compile(
    r"^[ \t]*([A-Z][\w'&.\- ]{2,80}?(?:NHS (?:Foundation )?Trust|NHS Trust|Health Board|"
    r"University Hospitals?|Hospital|Surgery|Medical Centre|Health Centre|Medical Practice|"
    r"Cancer Centre))[ \t]*$",
    re.MULTILINE,
)
_DEPARTMENT = re.compile(
    r"^[ \t:]*((?:Department of [A-Z][\w &]{2,40}|[A-Z][\w &\-]{2,40}"
    r"(?:Department|Unit|Service|Centre|Clinic|Pathology|Radiology|Imaging|Haematology|"
    r"Oncology|Medicine))(?:\s*[-,(][^\n]{0,40})?)[ \t]*$",
    re.MULTILINE,
)
_REFERENCE = re.compile(
    r"\b(Our ref(?:erence)?|Lab(?:oratory)? (?:no|number)|Specimen (?:no|number)|"
    r"Accession(?: no| number)?|Report (?:no|number)|Ref)\s*[.:]\s*([A-Z0-9][A-Z0-9/\-]{3,30})",
    re.IGNORECASE,
)
_DOC_WORDS = {
    "pathology": "pathology report",
    "radiology": "imaging report",
    "clinic_letter": "clinic letter",
    "discharge_summary": "discharge summary",
    "mdt_outcome": "MDT outcome",
    "genetic_report": "genetic test report",
    "laboratory": "laboratory report",
    "referral_letter": "referral letter",
    "operative_note": "operation note",
    "medication_list": "medication list",
}


@dataclass(frozen=True)
class RecordHolder:
    organisation: str = ""
    department: str = ""
    reference: str = ""  # "lab number H26-31874"
    date: str = ""  # ISO date of the document the gap was seen in
    document: str = ""  # "pathology report"
    seen_in: bool = False  # the gap was seen in this document (else: the holder's earlier one)

    @property
    def addressee(self) -> str:
        return ", ".join(p for p in (self.department, self.organisation) if p)

    def finding_aid(self) -> str:
        """'the pathology report of 2026-09-08 (lab number H26-31874)' or ''."""
        if not (self.document and (self.date or self.reference)):
            return ""
        words = f"the {self.document}"
        if self.organisation:
            words += f" from {self.organisation}"
        if self.date:
            words += f" dated {_uk_date(self.date)}"
        if self.reference:
            words += f" ({self.reference})"
        return words


def _uk_date(iso: str) -> str:
    parts = iso.split("-")
    return "/".join(reversed(parts)) if len(parts) == 3 else iso


def _letterhead(doc: Document) -> tuple[str, str]:
    if not doc.pages:
        return "", ""
    head = "\n".join(doc.pages[0].text.splitlines()[:_HEAD_LINES])
    org = _ORGANISATION.search(head)
    organisation = " ".join(org.group(1).split()) if org else ""
    department = ""
    for m in _DEPARTMENT.finditer(head):
        words = " ".join(m.group(1).split()).strip(" :")
        if words and words != organisation and not re.search(r"\d", words):
            department = words
            break
    return organisation, department


def _reference(doc: Document) -> str:
    for page in doc.pages[:1]:
        m = _REFERENCE.search(page.text)
        if m:
            label = " ".join(m.group(1).split()).lower()
            label = {"ref": "reference", "our ref": "reference", "our reference": "reference"}.get(
                label, label
            )
            return f"{label} {m.group(2)}"
    return ""


# The document types a holder keeps, by the words of the gap's generic holder.
_HOLDER_TYPES = (
    ("gp ", ("medication_list", "referral_letter")),
    ("genetic", ("genetic_report",)),
    ("patholog", ("pathology", "genetic_report")),
    ("radiolog", ("radiology",)),
    ("oncology", ("clinic_letter", "mdt_outcome")),
    ("haematology", ("clinic_letter", "mdt_outcome")),
    ("mdt", ("mdt_outcome", "clinic_letter")),
)


def _kept_by(holder: str) -> tuple[str, ...]:
    low = f"{holder.lower()} "
    for word, types in _HOLDER_TYPES:
        if word in low:
            return types
    return ()


def _clinical(doc: Document | None) -> bool:
    return doc is not None and doc.metadata.get("author") != "patient"


def holder_of(case: Case, gap: Gap) -> RecordHolder:
    """The holder, reference and date the records give for the gap's record, or an empty
    RecordHolder. The document is the first of the gap's evidence that the holder keeps
    (a pathology gap: the pathology report), else the first clinical one of its evidence
    (`seen_in`: the record is referred to there), else, for a gap with no evidence, the
    latest record of the holder's own kind (the department's earlier record). The
    letterhead's department is used only when the document is of the holder's kind."""
    kept = _kept_by(gap.holder or "")
    docs = [case.document(s.document_id) for s in gap.evidence]
    evidence = [d for d in docs if d is not None and _clinical(d)]
    own = [d for d in evidence if d.doc_type in kept]
    found = own or evidence
    doc: Document | None = found[0] if found else None
    seen_in = doc is not None
    if doc is None and kept:
        # only a document whose letterhead names its organisation
        same = [
            d for d in case.documents if _clinical(d) and d.doc_type in kept and _letterhead(d)[0]
        ]
        same.sort(key=lambda d: d.document_date or "")
        doc = same[-1] if same else None
    if doc is None:
        return RecordHolder()
    organisation, department = _letterhead(doc)
    if doc.doc_type not in kept:
        department = ""
    return RecordHolder(
        organisation=organisation,
        department=department,
        reference=_reference(doc),
        date=doc.document_date or "",
        document=_DOC_WORDS.get(doc.doc_type or "", "record"),
        seen_in=seen_in,
    )
