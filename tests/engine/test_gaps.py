"""Gaps: the programme checklists and the gaps the records themselves show."""

from __future__ import annotations

import re

import pytest

from casebridge.engine.case import PROGRAMMES, Case, Document, Fact
from casebridge.engine.gaps import checklist_items, evaluate_checklist, find_gaps, gaps, infer_gaps
from tests.engine.factories import document, fact

TODAY = {"today": "2024-06-01"}


def _ids(case: Case) -> set[str]:
    return {g.id for g in find_gaps(case)}


def _breast(*more: Fact, docs: tuple[Document, ...] = ()) -> Case:
    path = document(
        "path1", "pathology", "Invasive ductal carcinoma, left breast. HER2 IHC 2+.", "2024-05-01"
    )
    facts = [
        fact(path, "primary_site", "breast"),
        fact(path, "histology", "invasive ductal carcinoma"),
        fact(path, "er_status", "positive"),
        fact(path, "pr_status", "positive"),
        fact(path, "her2_ihc", "2+"),
    ]
    return Case(documents=[path, *docs], facts=facts + list(more), intake=dict(TODAY))


def test_every_programme_has_a_checklist_whose_items_say_why_who_and_how():
    for programme in PROGRAMMES:
        items = checklist_items(programme)
        assert len(items) >= 5, programme
        for item in items:
            assert item["why"] and item["holder"] and item["request"], item["id"]
            assert item["severity"] in ("essential", "important", "helpful")
            assert item["satisfied_by"], item["id"]


def test_a_pathology_report_satisfies_its_item_but_staging_imaging_is_a_gap():
    ids = _ids(_breast())
    assert "pathology-report" not in ids
    assert {"staging-imaging", "mdt-outcome", "original-imaging", "oncology-letter"} <= ids


def test_each_gap_names_its_request_letter_numbered_with_essentials_first():
    found = find_gaps(_breast())
    assert [g.request_letter for g in found] == [
        f"requests/{n:02d}-{re.sub(r'[^a-z0-9]+', '-', g.id.lower()).strip('-')}.md"
        for n, g in enumerate(found, start=1)
    ]
    order = {"essential": 0, "important": 1, "helpful": 2}
    assert [order[g.severity] for g in found] == sorted(order[g.severity] for g in found)


def test_her2_ihc_2_plus_without_ish_is_an_inferred_gap():
    gap = next(g for g in find_gaps(_breast()) if g.id == "her2-ish-missing")
    assert gap.inferred and gap.severity == "essential"
    assert gap.evidence[0].snippet == "2+"


def test_her2_ish_pending_is_still_a_gap_and_says_so():
    case = _breast()
    case.facts.append(fact(case.documents[0], "her2_ish", "pending"))
    gap = next(g for g in find_gaps(case) if g.id == "her2-ish-missing")
    assert "pending" in gap.why


def test_an_ish_result_closes_the_her2_gap():
    case = _breast()
    case.facts.append(fact(case.documents[0], "her2_ish", "not amplified"))
    assert "her2-ish-missing" not in _ids(case)


def test_lung_adenocarcinoma_asks_for_egfr_alk_ros1_and_pdl1_each():
    path = document(
        "p", "pathology", "Adenocarcinoma of the right upper lobe of lung. EGFR mutation detected."
    )
    case = Case(
        documents=[path],
        facts=[
            fact(path, "primary_site", "lung, right upper lobe"),
            fact(path, "histology", "adenocarcinoma"),
            fact(path, "egfr", "exon 19 deletion"),
        ],
        intake=dict(TODAY),
    )
    marker_gaps = {i for i in _ids(case) if i.startswith("lung-adenocarcinoma-markers")}
    assert marker_gaps == {
        "lung-adenocarcinoma-markers:alk",
        "lung-adenocarcinoma-markers:ros1",
        "lung-adenocarcinoma-markers:pdl1",
    }


def test_a_stated_cancer_type_luad_is_enough_to_ask_for_lung_markers():
    path = document("p", "pathology", "TCGA LUAD")
    case = Case(documents=[path], facts=[fact(path, "cancer_type", "LUAD")], intake=dict(TODAY))
    assert "lung-adenocarcinoma-markers:egfr" in _ids(case)


def test_squamous_lung_cancer_is_not_asked_for_adenocarcinoma_markers():
    path = document("p", "pathology", "Squamous cell carcinoma of lung.")
    case = Case(
        documents=[path],
        facts=[
            fact(path, "primary_site", "lung"),
            fact(path, "histology", "squamous cell carcinoma"),
        ],
        intake=dict(TODAY),
    )
    assert not any(i.startswith("lung-adenocarcinoma-markers") for i in _ids(case))


def test_a_scan_a_letter_mentions_without_its_report_is_a_gap_with_the_letter_as_evidence():
    letter = document(
        "l1",
        "clinic_letter",
        "MRI of the spine on 02/05/2024 showed no cord compression.",
        "2024-05-10",
    )
    case = _breast(docs=(letter,))
    gap = next(g for g in find_gaps(case) if g.id.startswith("scan-report-missing"))
    assert gap.id == "scan-report-missing:mri-2024-05-02"
    assert gap.evidence[0].document_id == "l1"
    assert gap.title == "MRI report of 2024-05-02"


def test_the_report_of_the_same_scan_and_day_closes_that_gap():
    letter = document("l1", "clinic_letter", "CT on 02/05/2024 showed no metastases.", "2024-05-10")
    report = document(
        "r1", "radiology", "CT chest, abdomen and pelvis. Date of scan 02/05/2024.", "2024-05-03"
    )
    assert not any(
        i.startswith("scan-report-missing") for i in _ids(_breast(docs=(letter, report)))
    )


def test_a_planned_or_negated_scan_is_not_a_missing_report():
    letter = document(
        "l1",
        "clinic_letter",
        "We will arrange a CT scan next week. She has not had an MRI.",
        "2024-05-10",
    )
    assert not any(i.startswith("scan-report-missing") for i in _ids(_breast(docs=(letter,))))


def test_treatments_without_dates_or_doses_are_gaps_and_with_them_are_not():
    letter = document(
        "l1", "clinic_letter", "She completed docetaxel and had a mastectomy.", "2024-05-10"
    )
    case = _breast(
        fact(letter, "drug", "docetaxel"),
        fact(letter, "surgery", "mastectomy"),
        docs=(letter,),
    )
    ids = _ids(case)
    assert {"treatment-dates-missing", "treatment-doses-missing"} <= ids
    dates_gap = next(g for g in find_gaps(case) if g.id == "treatment-dates-missing")
    assert "docetaxel" in dates_gap.why and "mastectomy" in dates_gap.why

    case.facts[-2].attributes.update(start_date="2024-01-01", dose="75 mg/m2")
    case.facts[-1].attributes.update(date="2023-11-20")
    ids = _ids(case)
    assert "treatment-dates-missing" not in ids and "treatment-doses-missing" not in ids


def test_an_oncology_letter_older_than_three_months_is_out_of_date():
    old = document("l1", "clinic_letter", "Oncology clinic letter.", "2024-01-15")
    ids = _ids(_breast(docs=(old,)))
    assert "oncology-letter-out-of-date" in ids and "oncology-letter" not in ids
    recent = document("l2", "clinic_letter", "Oncology clinic letter.", "2024-05-20")
    assert "oncology-letter-out-of-date" not in _ids(_breast(docs=(old, recent)))


def test_blood_results_must_be_from_the_last_four_weeks():
    old = document("b1", "laboratory", "Haemoglobin 121 g/L", "2024-03-01")
    gap = next(g for g in find_gaps(_breast(docs=(old,))) if g.id == "recent-bloods")
    assert "2024-03-01" in gap.why
    recent = document("b2", "laboratory", "Haemoglobin 121 g/L", "2024-05-25")
    assert "recent-bloods" not in _ids(_breast(docs=(old, recent)))


def test_slides_availability_and_dicom_files_can_be_satisfied():
    path = document("p2", "pathology", "Blocks and slides are retained and available on request.")
    study = document("d1", "imaging_study")
    ids = _ids(_breast(docs=(path, study)))
    assert "slides-blocks" not in ids and "original-imaging" not in ids
    assert {"slides-blocks", "original-imaging"} <= _ids(_breast())


def test_a_negated_mention_does_not_satisfy_a_checklist_item():
    letter = document(
        "l1", "clinic_letter", "No semen analysis has been done. AMH 12 pmol/L.", "2024-05-01"
    )
    case = Case(programme="fertility", documents=[letter], intake=dict(TODAY))
    ids = _ids(case)
    assert "semen-analysis" in ids and "amh" not in ids


@pytest.mark.parametrize(
    ("programme", "text", "satisfied"),
    [
        ("eye", "OCT macula: subretinal fluid. VA 6/12 right eye.", {"oct", "visual-acuity"}),
        (
            "rare-disease",
            "Seen in the clinical genetics clinic. Family history of similar.",
            {"clinical-genetics-letter", "family-history"},
        ),
        (
            "rehabilitation",
            "Physiotherapy assessment: Barthel index 12/20.",
            {"therapy-assessments", "functional-scores"},
        ),
    ],
)
def test_the_other_programmes_check_their_core_records(
    programme: str, text: str, satisfied: set[str]
):
    case = Case(
        programme=programme, documents=[document("l1", "clinic_letter", text)], intake=dict(TODAY)
    )
    results = {r.id: r.satisfied for r in evaluate_checklist(case)}
    assert {k for k, v in results.items() if v} >= satisfied
    assert not any(g.startswith("her2") for g in _ids(case))


def test_an_unknown_programme_gives_no_checklist_rather_than_crashing():
    assert find_gaps(Case(programme="nonexistent")) == []


def test_the_stage_replaces_its_gaps_when_run_again():
    case = _breast()
    gaps(case)
    first = [g.id for g in case.gaps]
    gaps(case)
    assert [g.id for g in case.gaps] == first


def test_a_treatment_dated_in_the_same_sentence_as_its_partner_has_its_date():
    letter = document(
        "l1",
        "clinic_letter",
        "Plan: carboplatin AUC 5 and pemetrexed 500 mg/m2 every 21 days from 21/09/2026.",
        "2026-09-08",
    )
    carbo = fact(letter, "drug", "carboplatin", dose="AUC 5")
    pem = fact(letter, "drug", "pemetrexed", dose="500 mg/m2", start_date="2026-09-21")
    case = Case(documents=[letter], facts=[carbo, pem], intake={"today": "2026-09-14"})
    assert "treatment-dates-missing" not in _ids(case)


def test_a_treatment_dated_in_another_document_is_not_missing_its_date():
    a = document(
        "a1", "clinic_letter", "Osimertinib 80 mg once daily from 17/11/2025.", "2026-02-13"
    )
    b = document("b1", "radiology", "On osimertinib. CT shows progression.", "2026-09-03")
    facts = [
        fact(a, "targeted_therapy", "osimertinib", start_date="2025-11-17", dose="80 mg"),
        fact(b, "targeted_therapy", "osimertinib"),
    ]
    case = Case(documents=[a, b], facts=facts, intake={"today": "2026-09-14"})
    assert not {"treatment-dates-missing", "treatment-doses-missing"} & _ids(case)


def test_a_test_recorded_as_not_done_is_a_gap():
    path = document(
        "p1", "pathology", "ROS1: Not assessed: insufficient tumour material.", "2025-11-07"
    )
    case = Case(documents=[path], facts=[], intake=TODAY)
    gap = next(g for g in find_gaps(case) if g.id == "test-not-done:ros1")
    assert gap.evidence and "ROS1" in gap.evidence[0].snippet


def test_a_test_sent_but_without_a_result_in_the_records_is_a_gap_until_its_report_arrives():
    letter = document(
        "l1", "clinic_letter", "MRI brain with contrast requested. Plasma ctDNA sent today.",
        "2026-09-08",
    )  # fmt: skip
    case = Case(documents=[letter], facts=[], intake={"today": "2026-09-14"})
    assert {"result-pending:brain-imaging", "result-pending:ctdna"} <= _ids(case)
    mri = document("m1", "radiology", "MRI brain: no intracranial metastases.", "2026-09-12")
    case.documents.append(mri)
    assert "result-pending:brain-imaging" not in _ids(case)


def test_t_and_n_without_m_or_stage_is_a_distant_staging_gap():
    case = _breast(fact(document("x", "clinic_letter", "cT2 N1"), "t_category", "cT2"))
    assert "staging-incomplete" in _ids(case)


def test_only_treatments_under_discussion_need_no_treatment_summary():
    case = _breast(
        fact(
            document("x", "clinic_letter", "If amplified: trastuzumab"),
            "targeted_therapy",
            "trastuzumab",
            context="possible",
        )
    )
    assert "treatment-summary" not in _ids(case)


def test_dates_and_doses_of_treatments_given_are_not_asked_for_a_planned_only_drug():
    letter = document("l1", "clinic_letter", "Letrozole to start after chemotherapy.", "2024-05-10")
    case = _breast(fact(letter, "hormone_therapy", "letrozole", status="planned"), docs=(letter,))
    assert not {"treatment-dates-missing", "treatment-doses-missing"} & _ids(case)


def test_a_staging_ct_with_no_evidence_of_metastatic_disease_closes_the_distant_staging_gap():
    from casebridge.engine.extract import extract_document

    text = (
        "Diagnosis: Adenocarcinoma of the sigmoid colon, pT3 N1b.\n"
        "Staging CT chest, abdomen and pelvis (10/08/2026): no evidence of metastatic disease."
    )
    doc = document("m1", "mdt_outcome", text, "2026-08-15")
    case = Case(programme="oncology", documents=[doc], facts=extract_document(doc))
    assert "staging-incomplete" not in {g.id for g in infer_gaps(case)}
    awaited = document(
        "m2", "mdt_outcome", "Clinical stage: cT2 N1; staging awaited.", "2026-08-15"
    )
    case = Case(programme="oncology", documents=[awaited], facts=extract_document(awaited))
    assert "staging-incomplete" in {g.id for g in infer_gaps(case)}


def test_a_recorded_genetics_criteria_assessment_closes_the_germline_gap():
    from casebridge.engine.extract import extract_document

    base = "Diagnosis: Left breast invasive ductal carcinoma (NST), grade 3. ER positive."
    assessed = base + (
        "\nGenetic testing: she does not currently meet the national testing criteria."
    )
    for text, gap in ((base, True), (assessed, False)):
        doc = document("b1", "clinic_letter", text, "2026-09-11")
        case = Case(programme="oncology", documents=[doc], facts=extract_document(doc))
        assert ("breast-germline:brca" in {g.id for g in infer_gaps(case)}) is gap


def test_the_patients_own_question_does_not_close_the_germline_gap():
    from casebridge.engine.extract import extract_document

    letter = document("b1", "clinic_letter", "Diagnosis: left breast invasive ductal carcinoma.")
    note = document("q1", "other", "Do I meet the criteria for genetic testing? My mother had it.")
    note.metadata["author"] = "patient"
    facts = extract_document(letter) + extract_document(note)
    case = Case(programme="oncology", documents=[letter, note], facts=facts)
    assert "breast-germline:brca" in {g.id for g in infer_gaps(case)}


def test_a_treatment_dated_in_its_own_sentence_is_not_missing_its_date():
    from casebridge.engine.extract import extract_document

    text = "Treatment to date: Palliative radiotherapy to T9, 8 Gy in 1 fraction, 05/12/2025."
    doc = document("o1", "clinic_letter", text, "2026-09-08")
    case = Case(programme="oncology", documents=[doc], facts=extract_document(doc))
    assert "treatment-dates-missing" not in {g.id for g in infer_gaps(case)}


def test_a_scan_booked_after_a_semicolon_is_not_asked_for_as_the_report_of_an_earlier_date():
    # the MDT's date ends the sentence before; the booking follows the semicolon
    letter = document(
        "l1",
        "clinic_letter",
        "Her case was discussed at the Breast MDT on 10/09/2026. Because the node is "
        "involved, the MDT recommended staging with a CT scan of the chest, abdomen and "
        "pelvis and an isotope bone scan; these are booked for 22/09/2026 and 23/09/2026.",
        "2026-09-11",
    )
    outcome = document(
        "m1", "mdt_outcome", "Staging: CT chest/abdomen/pelvis and isotope bone scan.", "2026-09-10"
    )
    ids = _ids(_breast(docs=(letter, outcome)))
    assert not any(i.startswith("scan-report-missing") for i in ids), ids


def test_a_date_that_ends_the_sentence_before_does_not_date_the_next_sentences_scan():
    letter = document(
        "l1",
        "clinic_letter",
        "She was seen in clinic on 10/09/2026. A CT scan showed no metastases.",
        "2026-09-11",
    )
    gap = next(g for g in find_gaps(_breast(docs=(letter,))) if g.id.startswith("scan-report"))
    assert gap.id == "scan-report-missing:ct"


def test_an_image_guided_biopsy_is_not_a_scan_whose_report_is_missing():
    letter = document(
        "l1",
        "clinic_letter",
        "Diagnosed on CT-guided omental biopsy (28/02/2024).\n"
        "Ultrasound-guided core biopsy of the axilla (02/03/2024).\n"
        "Restaging CT CAP 04/04/2024: partial response.",
        "2024-05-10",
    )
    ids = [i for i in _ids(_breast(docs=(letter,))) if i.startswith("scan-report-missing")]
    assert ids == ["scan-report-missing:ct-2024-04-04"]
