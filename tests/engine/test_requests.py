"""The checklist Markdown and the draft subject access request letters."""

from __future__ import annotations

import re

from casebridge.engine.case import Case, Document, Fact, Page, Source
from casebridge.engine.gaps import gaps
from casebridge.engine.render.checklist import render_checklist
from casebridge.engine.render.requests import render_requests

PATHOLOGY = (
    "Invasive ductal carcinoma of the left breast, grade 3. HER2 IHC 2+. Patient: Jane Example."
)


def _case(programme: str = "oncology") -> Case:
    path = Document(
        id="p1",
        file_name="histology.pdf",
        sha256="p1" * 8,
        size=len(PATHOLOGY),
        pages=[Page(1, PATHOLOGY, "plain")],
        doc_type="pathology",
        document_date="2024-05-01",
    )
    start = PATHOLOGY.find("2+")
    src = Source("p1", "histology.pdf", 1, start, start + 2, "HER2 IHC 2+")
    facts = [
        Fact(kind="her2_ihc", value="2+", source=src),
        Fact(kind="primary_site", value="breast", source=src),
        Fact(kind="histology", value="invasive ductal carcinoma", source=src),
    ]
    case = Case(programme=programme, documents=[path], facts=facts, intake={"today": "2024-06-01"})
    gaps(case)
    return case


def test_there_is_one_letter_per_gap_under_the_name_the_gap_gives():
    case = _case()
    letters = render_requests(case)
    assert set(letters) == {g.request_letter for g in case.gaps}
    assert all(re.fullmatch(r"requests/\d\d-[a-z0-9-]+\.md", name) for name in letters)


def test_a_letter_is_a_polite_subject_access_request_from_the_patient_to_the_holder():
    case = _case()
    gap = next(g for g in case.gaps if g.id == "her2-ish-missing")
    letter = render_requests(case)[gap.request_letter]
    assert "[Your name]" in letter and "UK General Data Protection Regulation" in letter
    assert "Article 15" in letter and "one month" in letter
    assert f"To: {gap.holder}" in letter
    assert "HER2 in situ hybridisation" in letter
    assert "Dear Sir or Madam" in letter and "Yours faithfully" in letter


def test_a_letter_carries_no_health_detail_beyond_the_record_requested():
    case = _case()
    for name, letter in render_requests(case).items():
        for detail in ("ductal", "grade 3", "2+", "Jane Example", "equivocal", "breast"):
            assert detail not in letter, (name, detail)


def test_a_scan_letter_names_the_scan_and_its_date():
    case = _case()
    letter_doc = Document(
        id="l1",
        file_name="letter.pdf",
        sha256="l1" * 8,
        size=10,
        pages=[Page(1, "PET-CT on 03/04/2024 was reviewed.", "plain")],
        doc_type="clinic_letter",
        document_date="2024-05-20",
    )
    case.documents.append(letter_doc)
    gaps(case)
    gap = next(g for g in case.gaps if g.id.startswith("scan-report-missing"))
    assert "my PET-CT scan of 2024-04-03" in render_requests(case)[gap.request_letter]


def test_the_checklist_ticks_what_is_found_and_crosses_what_is_missing_with_why_and_holder():
    case = _case()
    md = render_checklist(case)
    assert md.startswith("# Records checklist — Oncology")
    assert (
        "- ✓ **Diagnostic pathology (histology) report** (essential) — found in: `histology.pdf`"
        in md
    )
    assert "- ✗ **Original imaging files (DICOM)**" in md
    assert "Usually held by: Hospital radiology department (PACS / image transfer)" in md
    assert "## Gaps the records themselves show" in md
    assert "HER2 ISH (in situ hybridisation) result" in md
    for gap in case.gaps:
        assert f"]({gap.request_letter})" in md, gap.id


def test_the_checklist_of_another_programme_and_a_paused_case_render():
    case = _case("eye")
    case.paused = True
    md = render_checklist(case)
    assert md.startswith("# Records checklist — Eye")
    assert "Paused for safety" in md and "999" in md
    assert "Visual acuity" in md
