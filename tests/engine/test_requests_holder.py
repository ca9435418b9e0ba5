"""Request letters name the holder, the reference and the date when the records give them."""

from __future__ import annotations

from casebridge.engine.case import Case, Gap
from casebridge.engine.render.requests import render_requests
from tests.engine.factories import document, fact

PATHOLOGY = (
    "Northbrook Hospitals NHS Foundation Trust\n"
    "Northbrook General Hospital, Ashby Road, Northbrook NB1 4HS\n"
    "Department of Cellular Pathology\n"
    "HISTOPATHOLOGY REPORT\n"
    "Lab number: H26-31874\n"
    "HER2 IHC 2+ (equivocal): ISH pending."
)


def _letter(case: Case, gap: Gap) -> str:
    case.gaps = [gap]
    return next(iter(render_requests(case).values()))


def test_a_letter_is_addressed_to_the_department_that_wrote_the_report_with_its_reference():
    doc = document("p1", "pathology", PATHOLOGY, "2026-09-08")
    ihc = fact(doc, "her2_ihc", "2+", "HER2 IHC 2+")
    gap = Gap(
        id="her2-ish-missing",
        title="HER2 ISH result",
        why="",
        holder="Hospital pathology department",
        evidence=[ihc.source] if ihc.source else [],
        request_letter="requests/01-her2-ish-missing.md",
    )
    letter = _letter(Case(programme="oncology", documents=[doc], facts=[ihc]), gap)
    assert (
        "To: Department of Cellular Pathology, Northbrook Hospitals NHS Foundation Trust" in letter
    )
    assert "dated 08/09/2026 (lab number H26-31874)" in letter


def test_without_a_letterhead_the_letter_keeps_the_generic_holder_and_placeholders():
    doc = document("n1", "clinic_letter", "Plan: staging scans.", "2026-09-08")
    gap = Gap(
        id="latest-imaging",
        title="Latest imaging report",
        why="",
        holder="Hospital radiology department",
        request_letter="requests/01-latest-imaging.md",
    )
    letter = _letter(Case(programme="oncology", documents=[doc]), gap)
    assert "To: Hospital radiology department\n" in letter
    assert "[approximate date, hospital or clinic, if you know them]" in letter
