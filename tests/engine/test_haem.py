"""Haematolymphoid diagnoses as WHO-HAEM5 names them: each letter gives a cancer diagnosis."""

from __future__ import annotations

import pytest

from casebridge.engine.case import Fact
from casebridge.engine.extract import extract_document, haem, tumour
from tests.engine.factories import document

FL_LETTER = (
    "Diagnosis: Follicular lymphoma, grade 1-2 (WHO 2016), stage IIIA, FLIPI 2.\n"
    "Hepatitis B core antibody positive, surface antigen negative; HBV DNA not detected.\n"
    "Plan: R-bendamustine with entecavir prophylaxis."
)


def _facts(text: str) -> list[Fact]:
    return extract_document(document("d1", "clinic_letter", text))


def _histology(text: str) -> list[tuple[str, str]]:
    doc = document("d1", "clinic_letter", text)
    return [(f.value, f.context) for f in haem.extract(doc) + tumour.extract(doc)
            if f.kind == "histology"]  # fmt: skip


def test_a_follicular_lymphoma_letter_gives_a_cancer_diagnosis_with_its_icdo3_code() -> None:
    histology = [f for f in _facts(FL_LETTER) if f.kind == "histology"]
    assert [f.value for f in histology] == ["follicular lymphoma"]
    assert histology[0].code is not None and histology[0].code.code == "9690/3"
    assert histology[0].display == "follicular lymphoma, grade 1-2"


def test_the_follicular_lymphoma_grade_is_kept_as_written_not_cut_to_its_first_number() -> None:
    grades = [f.value for f in _facts(FL_LETTER) if f.kind == "grade"]
    assert grades == ["grade 1-2"]
    graded = _facts("Follicular lymphoma grade 3A, bulky disease.")
    assert [f.value for f in graded if f.kind == "grade"] == ["grade 3A"]


def test_hepatitis_b_serology_in_a_lymphoma_letter_is_not_the_only_problem() -> None:
    facts = _facts(FL_LETTER)
    assert not [f for f in facts if f.kind == "comorbidity" and "hepatitis" in f.value.lower()]
    assert [f.kind for f in facts if f.kind in ("histology", "serology")] == [
        "histology",
        "serology",
    ]


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("Extranodal marginal zone lymphoma of MALT type, stomach.",
         "extranodal marginal zone lymphoma of mucosa-associated lymphoid tissue"),
        ("Splenic marginal zone lymphoma.", "splenic marginal zone lymphoma"),
        ("Mantle cell lymphoma, blastoid variant, Ki-67 60%.", "mantle cell lymphoma"),
        ("Classical Hodgkin lymphoma, nodular sclerosis, stage IIA.",
         "classic Hodgkin lymphoma, nodular sclerosis"),
        ("Nodular lymphocyte predominant Hodgkin lymphoma.",
         "nodular lymphocyte predominant Hodgkin lymphoma"),
        ("IgG kappa multiple myeloma, R-ISS II.", "multiple myeloma"),
        ("CLL diagnosed 2018, Binet stage A.",
         "chronic lymphocytic leukaemia / small lymphocytic lymphoma"),
        ("Philadelphia-positive acute lymphoblastic leukaemia in first remission.",
         "B-lymphoblastic leukaemia/lymphoma"),
        ("Chronic myeloid leukaemia in chronic phase on imatinib.", "chronic myeloid leukaemia"),
        ("Burkitt lymphoma with MYC rearrangement.", "Burkitt lymphoma"),
        ("Diffuse large B-cell lymphoma, GCB type.", "diffuse large B-cell lymphoma"),
        ("Acute myeloid leukaemia with NPM1 mutation.", "acute myeloid leukaemia"),
    ],
)  # fmt: skip
def test_each_who_haematolymphoid_entity_the_programmes_meet_is_a_diagnosis(
    text: str, entity: str
) -> None:
    assert (entity, "asserted") in _histology(text)


def test_the_lymphoma_another_one_transformed_from_is_historical() -> None:
    found = _histology("DLBCL transformed from follicular lymphoma (2019).")
    assert ("follicular lymphoma", "historical") in found
    assert ("diffuse large B-cell lymphoma", "asserted") in found


def test_a_relatives_or_an_excluded_lymphoma_is_not_the_patients_diagnosis() -> None:
    assert _histology("Family history: his brother had non-Hodgkin lymphoma.") == []
    assert _histology("No evidence of mantle cell lymphoma in the marrow.") == []


def test_short_forms_count_only_in_capitals_and_common_words_are_not_entities() -> None:
    assert _histology("ALL MARGINS ARE CLEAR. Tumour 24 MM.") == []
    assert _histology("The patient is on cll medication.") == []


def test_high_grade_in_an_entity_name_is_not_a_tumour_grade() -> None:
    facts = _facts("Biopsy: high-grade B-cell lymphoma with MYC and BCL2 rearrangements.")
    assert [f.value for f in facts if f.kind == "histology"] == ["high-grade B-cell lymphoma"]
    assert not [f for f in facts if f.kind == "grade"]
