"""End to end on the three fictional example patients in examples/ (see examples/README.md):
the key facts with their source file, the planted conflict, the key gaps, no safety
flag, the pseudonymisation identifiers, and adding a document to a built case.

Each example is built once per session (OCR makes a build take about 10 s). "Today" is
fixed to the week of the latest letters so that recency checks do not depend on the
day the tests run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from casebridge.engine.case import Case, Correction, Fact
from casebridge.engine.pipeline import add_document, build_case, refresh

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TODAY = {"today": "2026-09-14"}


@pytest.fixture(scope="module")
def breast() -> Case:
    return build_case(EXAMPLES / "breast-her2", intake=TODAY)


@pytest.fixture(scope="module")
def lung() -> Case:
    return build_case(EXAMPLES / "lung-egfr", intake=TODAY)


@pytest.fixture(scope="module")
def dlbcl() -> Case:
    return build_case(EXAMPLES / "dlbcl-cart", intake=TODAY)


# -- helpers -------------------------------------------------------------------------


def stated(case: Case, kind: str) -> list[Fact]:
    return case.facts_of(kind)


def has(case: Case, kind: str, text: str, file_part: str = "") -> bool:
    """An asserted fact of the kind whose value or display holds `text`, read from a
    file whose name holds `file_part`."""
    text = text.lower()
    return any(
        (text in f.value.lower() or text in f.display.lower())
        and f.source is not None
        and file_part in f.source.file_name
        for f in stated(case, kind)
    )


def gap_ids(case: Case) -> set[str]:
    return {g.id for g in case.gaps}


def identifier_values(case: Case, kind: str) -> set[str]:
    return {" ".join(i.value.split()) for i in case.identifiers if i.kind == kind}


def assert_clean(case: Case) -> None:
    assert case.safety_flags == [], [(s.category, s.label) for s in case.safety_flags]
    assert not case.paused
    assert case.attention == [], [(d.file_name, d.problems) for d in case.attention]
    assert len(case.documents) == 8
    assert case.warnings == []


# -- breast-her2 ----------------------------------------------------------------------


def test_breast_example_reads_the_tumour_and_its_receptors_with_their_sources(breast):
    assert has(breast, "histology", "ductal", "Histopathology")
    assert has(breast, "laterality", "left", "Histopathology")
    assert has(breast, "grade", "2", "Histopathology")
    assert has(breast, "er_status", "positive", "Histopathology")
    assert has(breast, "pr_status", "positive", "Histopathology")
    assert has(breast, "her2_ihc", "2+", "Histopathology")
    assert has(breast, "ki67", "20%", "Histopathology")
    assert has(breast, "t_category", "T2", "Breast clinic letter")
    assert has(breast, "performance_status", "0", "Breast clinic letter")
    assert has(breast, "allergy", "penicillin", "Breast clinic letter")


def test_breast_example_reads_the_medication_list_and_nothing_past_it(breast):
    meds = {f.value for f in stated(breast, "medication")}
    assert {"amlodipine", "atorvastatin", "paracetamol"} <= meds
    assert has(breast, "medication", "amlodipine 5 mg once daily", "Breast clinic letter")
    for wrong in ("sister amy", "the mdt", "yours sincerely", "plan", "miss rebecca"):
        assert wrong not in meds


def test_breast_example_shows_the_planted_grade_conflict_and_no_other(breast):
    assert [(c.kind, c.values) for c in breast.conflicts] == [("grade", ["grade 2", "grade 3"])]


def test_breast_example_conditional_plans_are_not_results_or_treatments(breast):
    # "If HER2 amplified: ... trastuzumab and pertuzumab" is an option, not a result
    assert not any(f.value != "pending" for f in stated(breast, "her2_ish"))
    assert stated(breast, "targeted_therapy") == []
    assert stated(breast, "surgery") == []
    # a father's heart disease is family history; "if you have diabetes" is not a diagnosis
    comorbidities = {f.value for f in stated(breast, "comorbidity")}
    assert comorbidities == {"hypertension", "hypercholesterolaemia"}


def test_breast_example_gaps_are_her2_ish_and_distant_staging(breast):
    ids = gap_ids(breast)
    assert {"her2-ish-missing", "staging-incomplete"} <= ids
    # the clinic letter records the genetics criteria assessment: testing was considered
    assert "breast-germline:brca" not in ids
    assert not {"treatment-dates-missing", "treatment-doses-missing", "treatment-summary"} & ids


def test_breast_example_raises_no_safety_flag_for_a_resolved_haematoma(breast):
    assert_clean(breast)


def test_breast_example_finds_the_identifiers_to_pseudonymise(breast):
    assert "Eleanor Jane Whitcombe" in identifier_values(breast, "person_name")
    assert "14/03/1971" in identifier_values(breast, "date_of_birth")
    assert "LS29 8QJ" in identifier_values(breast, "postcode")
    nhs = [i for i in breast.identifiers if i.kind == "nhs_number"]
    assert nhs and all(i.valid for i in nhs)
    assert {" ".join(i.value.split()) for i in nhs} == {"999 047 1320"}


# -- lung-egfr ------------------------------------------------------------------------


def test_lung_example_reads_histology_stage_and_driver_with_sources(lung):
    assert has(lung, "histology", "adenocarcinoma", "Oncology letter")
    assert has(lung, "laterality", "right", "Oncology letter")
    assert has(lung, "stage_group", "IVA", "Oncology letter")
    assert has(lung, "m_category", "M1b", "Oncology letter")
    assert has(lung, "egfr", "exon 19", "EBUS histology")
    assert has(lung, "pdl1", "5%", "Oncology letter")
    assert has(lung, "response", "progressive disease", "CT TAP")
    assert has(lung, "no_known_allergies", "no known", "Oncology letter")


def test_lung_example_reads_treatment_with_dates_and_doses(lung):
    osi = [f for f in stated(lung, "targeted_therapy") if f.value == "osimertinib"]
    assert any(f.attributes.get("start_date") == "2025-11-17" for f in osi)
    assert any(f.attributes.get("dose") == "80 mg" for f in osi)
    rt = [f for f in stated(lung, "radiotherapy") if "Oncology letter" in f.source.file_name]
    assert any(f.attributes.get("dose_gy") == "8" for f in rt)


def test_lung_example_reads_the_family_medication_list(lung):
    meds = {f.value for f in stated(lung, "medication") if "medication list" in f.source.file_name}
    assert {"osimertinib", "ramipril", "omeprazole", "zoledronic acid", "loperamide"} <= meds
    assert "acid" not in {f.value for f in stated(lung, "medication")}


def test_lung_example_has_no_conflict_between_broad_and_specific_histology(lung):
    assert lung.conflicts == []


def test_lung_example_gaps_are_ros1_ctdna_and_brain_imaging(lung):
    ids = gap_ids(lung)
    assert {"test-not-done:ros1", "result-pending:ctdna", "result-pending:brain-imaging"} <= ids
    assert not {"treatment-dates-missing", "treatment-doses-missing"} & ids


def test_lung_example_raises_no_safety_flag(lung):
    assert_clean(lung)


def test_lung_example_finds_the_identifiers_to_pseudonymise(lung):
    assert "Rhys Gethin Pritchard" in identifier_values(lung, "person_name")
    assert "02/11/1962" in identifier_values(lung, "date_of_birth")
    assert "BS16 9XT" in identifier_values(lung, "postcode")
    nhs = [i for i in lung.identifiers if i.kind == "nhs_number"]
    assert nhs and all(i.valid for i in nhs)


# -- dlbcl-cart -----------------------------------------------------------------------


def test_dlbcl_example_reads_lymphoma_stage_and_treatments_with_sources(dlbcl):
    assert has(dlbcl, "histology", "diffuse large B-cell lymphoma", "Lymph node biopsy")
    assert has(dlbcl, "stage_group", "IIIA", "Haematology letter")
    assert has(dlbcl, "stage_group", "IIA", "Haematology letter")
    rchop = [f for f in stated(dlbcl, "regimen") if f.value == "R-CHOP"]
    assert any(f.attributes.get("start_date") == "2024-03-04" for f in rchop)
    assert has(dlbcl, "regimen", "R-GDP", "Discharge summary")
    assert has(dlbcl, "response", "complete response", "20260911_203317.jpg")
    assert has(dlbcl, "performance_status", "1", "Haematology letter")


def test_dlbcl_example_car_t_discussed_is_not_a_treatment_received(dlbcl):
    assert stated(dlbcl, "cellular_therapy") == []
    assert stated(dlbcl, "transplant") == []


def test_dlbcl_example_stage_at_relapse_is_not_a_conflict_with_stage_at_diagnosis(dlbcl):
    assert dlbcl.conflicts == []
    relapse = [
        f for f in stated(dlbcl, "stage_group") if f.value.removeprefix("Stage ") in ("II", "IIA")
    ]
    assert relapse and all(f.attributes.get("time_point") == "relapse" for f in relapse)


def test_dlbcl_example_reads_every_discharge_medication(dlbcl):
    meds = {f.value for f in stated(dlbcl, "medication")}
    for drug in ("aciclovir", "co-trimoxazole", "allopurinol", "lansoprazole", "metformin"):
        assert drug in meds


def test_dlbcl_example_gaps_are_fish_echo_and_interim_pet(dlbcl):
    ids = gap_ids(dlbcl)
    assert {
        "test-not-done:bcl2-fish",
        "test-not-done:bcl6-fish",
        "result-pending:echocardiogram",
        "result-pending:pet-ct",
    } <= ids
    assert not any(i.startswith("scan-report-missing") for i in ids)
    assert not {"treatment-dates-missing", "treatment-doses-missing"} & ids


def test_dlbcl_example_raises_no_safety_flag(dlbcl):
    assert_clean(dlbcl)


def test_dlbcl_example_dates_no_document_by_the_date_of_birth(dlbcl):
    assert all(d.document_date != "1968-05-19" for d in dlbcl.documents)


def test_dlbcl_example_finds_the_identifiers_to_pseudonymise(dlbcl):
    assert "Kwame Asante Mensah" in identifier_values(dlbcl, "person_name")
    assert "19/05/1968" in identifier_values(dlbcl, "date_of_birth")
    assert "SO51 7RW" in identifier_values(dlbcl, "postcode")
    nhs = [i for i in dlbcl.identifiers if i.kind == "nhs_number"]
    assert nhs and all(i.valid for i in nhs)


# -- adding a document to a built case ----------------------------------------------------


def test_adding_a_document_reads_only_it_and_keeps_a_persons_correction(tmp_path):
    records = tmp_path / "records"
    shutil.copytree(EXAMPLES / "breast-her2", records)
    new_file = records / "my questions for the doctors.txt"
    held_back = tmp_path / new_file.name
    new_file.rename(held_back)
    case = build_case(records, intake=TODAY)

    grade3 = next(f for f in case.facts_of("grade") if f.value == "grade 3")
    case.corrections.append(
        Correction(
            fact_id=grade3.id,
            by="reviewer",
            at="2026-09-15T10:00:00Z",
            reason="typo",
            value="grade 2",
        )
    )
    refresh(case)
    assert not case.conflicts

    before = {d.id: [p.text for p in d.pages] for d in case.documents}
    count = len(case.facts)
    docs = add_document(case, held_back.read_bytes(), held_back.name)

    assert [d.file_name for d in docs] == [held_back.name]
    assert {d.id: [p.text for p in d.pages] for d in case.documents if d.id in before} == before
    new_facts = [f for f in case.facts if f.source and f.source.document_id == docs[0].id]
    assert new_facts and len(case.facts) >= count + len(new_facts)
    corrected = next(f for f in case.facts if f.id == grade3.id)
    assert corrected.value == "grade 2" and corrected.original_value == "grade 3"
    assert corrected.corrected_by is not None


def test_each_examples_bundle_is_what_fhir_resources_reads_and_writes_back(breast, lung, dlbcl):
    """The bundle is built from validated resources without a second pass
    through the models: it must be their fixed point (nothing they would add,
    drop or rewrite)."""
    import json

    from fhir.resources.R4B.bundle import Bundle

    from casebridge.engine.render.fhir import to_ips_bundle

    for case in (breast, lung, dlbcl):
        bundle = to_ips_bundle(case, timestamp="2026-09-14T10:00:00+01:00")
        again = Bundle.model_validate(json.loads(json.dumps(bundle)))
        assert again.model_dump(mode="json", exclude_none=True) == bundle


def test_no_gap_of_an_example_reads_in_english_on_the_chinese_pages(breast, lung, dlbcl):
    """Each missing record's title, reason and holder, as the Chinese summary and the
    patient's pages word them (render.summary.Wording), on the day of the letters and
    three months on (when the checklist adds that the latest scan is too old)."""
    import copy

    from casebridge.engine.render.summary import Wording

    untranslated = []
    for example in (breast, lung, dlbcl):
        later = copy.deepcopy(example)
        later.intake = {**later.intake, "today": "2026-12-14"}
        refresh(later)
        assert len(later.gaps) > len(example.gaps)  # the scans and bloods are now too old
        for case in (example, later):
            words = Wording(case, "zh")
            for gap in case.gaps:
                for spans in (words.gap_title(gap), words.gap_why(gap), words.gap_holder(gap)):
                    if not spans or any(s.untranslated for s in spans):
                        untranslated.append(f"{gap.id}: {''.join(s.text for s in spans)}")
    assert not untranslated, "\n".join(untranslated)
