"""A patient's own writing is shown as what the patient writes, never as a clinical fact."""

from __future__ import annotations

from casebridge.engine.extract import extract_document
from casebridge.engine.extract.patient import PATIENT
from tests.engine.factories import document

QUESTION = (
    "My questions for the doctors\n"
    "7. The letter from the clinic says grade 3 but I think the biopsy report says grade 2.\n"
    "I take amlodipine 5 mg once daily. I am allergic to penicillin."
)


def _note():
    doc = document("q", "other", QUESTION, name="my questions for the doctors.txt")
    doc.metadata["author"] = PATIENT
    return extract_document(doc)


def test_a_grade_in_the_patients_question_is_not_a_grade_fact() -> None:
    facts = _note()
    assert not [f for f in facts if f.kind == "grade"]
    said = [f for f in facts if f.kind == "patient_statement" and f.attributes["about"] == "grade"]
    assert said and said[0].display.startswith("the patient writes: \u201cThe letter from")
    assert all(f.attributes["reported_by"] == "patient" for f in said)
    assert all(f.source is not None for f in said)


def test_what_the_patient_takes_and_reacts_to_stays_as_their_account() -> None:
    kinds = {f.kind for f in _note()}
    assert "medication" in kinds or "allergy" in kinds
    meds = [f for f in _note() if f.kind in ("medication", "allergy")]
    assert all(f.attributes["reported_by"] == "patient" for f in meds)


def test_a_clinicians_letter_is_unchanged() -> None:
    facts = extract_document(
        document("l", "clinic_letter", "Diagnosis: invasive ductal carcinoma, grade 3.")
    )
    assert [f.value for f in facts if f.kind == "grade"] == ["grade 3"]
    assert not [f for f in facts if f.kind == "patient_statement"]
