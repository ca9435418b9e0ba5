from __future__ import annotations

from casebridge.engine.case import Document, Fact, Page
from casebridge.engine.extract import course


def doc_of(text: str, doc_type: str = "clinic_letter") -> Document:
    return Document(
        id="d1",
        file_name="letter.txt",
        sha256="0" * 64,
        size=len(text),
        pages=[Page(1, text, "plain")],
        doc_type=doc_type,
    )


def facts(text: str, kind: str) -> list[Fact]:
    return [f for f in course.extract(doc_of(text)) if f.kind == kind]


def one(text: str, kind: str) -> Fact:
    found = facts(text, kind)
    assert len(found) == 1, [(f.kind, f.value) for f in found]
    return found[0]


def test_it_reads_a_regimen_with_cycles_and_month_range() -> None:
    f = one("R-CHOP x6 from February to June 2022.", "regimen")
    assert f.value == "R-CHOP"
    assert f.attributes["cycles"] == "6"
    assert f.attributes["start_date"] == "2022-02"
    assert f.attributes["end_date"] == "2022-06"
    assert "rituximab" in f.attributes["components"]
    assert f.source is not None and f.source.snippet.startswith("R-CHOP")


def test_it_reads_regimen_spellings_and_second_line_regimens() -> None:
    text = "She received 6 cycles of FEC-T. At relapse she had R-GDP then R-ICE and pola-R-BR."
    assert [f.value for f in facts(text, "regimen")] == ["FEC-T", "R-GDP", "R-ICE", "pola-R-BR"]
    assert facts(text, "regimen")[0].attributes["cycles"] == "6"
    assert [f.value for f in facts("Carbo-pem was started.", "regimen")] == [
        "carboplatin-pemetrexed"
    ]


def test_two_letter_regimens_need_treatment_words_nearby() -> None:
    assert [f.value for f in facts("She completed 4 cycles of EC in May 2023.", "regimen")] == [
        "EC"
    ]
    assert facts("Sections AC and EC were examined.", "regimen") == []


def test_it_maps_brands_to_generics_and_classes() -> None:
    text = "Started Herceptin and Keytruda; letrozole continues; Yescarta (axi-cel) infused."
    kinds = {(f.kind, f.value) for f in course.extract(doc_of(text))}
    assert ("targeted_therapy", "trastuzumab") in kinds
    assert ("immunotherapy", "pembrolizumab") in kinds
    assert ("hormone_therapy", "letrozole") in kinds
    assert ("cellular_therapy", "axicabtagene ciloleucel") in kinds


def test_a_surgery_gets_the_date_written_before_it() -> None:
    f = one("On 12/03/2019 she underwent a left mastectomy.", "surgery")
    assert f.value == "mastectomy"
    assert f.attributes["date"] == "2019-03-12"


def test_radiotherapy_carries_dose_and_fractions() -> None:
    f = one("Adjuvant radiotherapy 40 Gy in 15 fractions to the chest wall.", "radiotherapy")
    assert f.attributes["dose_gy"] == "40"
    assert f.attributes["fractions"] == "15"
    assert f.attributes["dose"] == "40 Gy in 15 fractions"


def test_a_gy_dose_with_fractions_is_radiotherapy_even_unnamed() -> None:
    f = one("Chest wall 50Gy/25# completed.", "radiotherapy")
    assert f.attributes["fractions"] == "25"


def test_it_reads_transplants() -> None:
    assert (
        one("Consolidation with autologous stem cell transplant.", "transplant").value
        == "autologous SCT"
    )
    assert one("Referred for allo-SCT.", "transplant").value == "allogeneic SCT"


def test_a_response_carries_its_scan_and_date() -> None:
    f = one("Complete metabolic response on PET-CT 15/07/2022 (Deauville 2).", "response")
    assert f.value == "complete response"
    assert f.attributes["imaging"] == "PET-CT"
    assert f.attributes["date"] == "2022-07-15"
    assert f.attributes["deauville"] == "2"


def test_a_negated_progression_is_negated() -> None:
    assert one("No evidence of disease progression on CT.", "response").context == "negated"


def test_response_abbreviations_need_response_words_and_pd_l1_is_not_pd() -> None:
    assert one("She achieved CR after axi-cel.", "response").value == "complete response"
    assert facts("PD-L1 TPS 50%. ER and PR positive.", "response") == []


def test_it_reads_medication_lists_with_dose_and_frequency() -> None:
    text = "Current medications:\n- Ramipril 5 mg od\n- Paracetamol 1 g qds prn\n\nPlan: review."
    meds = facts(text, "medication")
    assert [(m.value, m.attributes["dose"], m.attributes["frequency"]) for m in meds] == [
        ("ramipril", "5 mg", "od"),
        ("paracetamol", "1 g", "qds prn"),
    ]


def test_it_reads_a_medication_in_running_text() -> None:
    f = one("She takes amlodipine 10 mg once daily.", "medication")
    assert f.display == "amlodipine 10 mg once daily"


def test_it_reads_allergies_and_nkda() -> None:
    found = facts("Allergies: penicillin (rash), codeine - nausea", "allergy")
    assert [(f.value, f.attributes.get("reaction")) for f in found] == [
        ("penicillin", "rash"),
        ("codeine", "nausea"),
    ]
    f = one("Allergies: NKDA", "no_known_allergies")
    assert f.context == "asserted"
    assert facts("Allergies: NKDA", "allergy") == []


def test_it_reads_labs_with_units_ranges_and_flags() -> None:
    text = "Bloods 10/03/2024: Hb 98 g/L (115-165), LDH 450 U/L (H), CA 15-3: 45 kU/L (<30)."
    labs = {f.attributes["analyte"]: f for f in facts(text, "lab")}
    assert labs["haemoglobin"].attributes["flag"] == "low"
    assert labs["haemoglobin"].attributes["reference_range"] == "115-165"
    assert labs["haemoglobin"].attributes["date"] == "2024-03-10"
    assert labs["LDH"].attributes["flag"] == "high"
    assert labs["CA 15-3"].value == "CA 15-3 45 kU/L"
    assert labs["CA 15-3"].attributes["flag"] == "high"


def test_a_stain_name_without_a_value_is_not_a_lab() -> None:
    assert facts("CEA positive, PSA negative in tumour cells.", "lab") == []
    assert facts("Potassium chloride 600 mg", "lab") == []


def test_it_reads_performance_status() -> None:
    assert one("ECOG performance status 1.", "performance_status").value == "ECOG 1"
    assert one("WHO PS 0-1", "performance_status").attributes["score"] == "0-1"
    assert one("Karnofsky 80%", "performance_status").value == "Karnofsky 80%"
    assert facts("PS3-LYMPH NODE, RIGHT", "performance_status") == []


def test_it_reads_comorbidities_with_context() -> None:
    text = "PMH: Hypertension, type 2 diabetes, AF. No history of COPD."
    found = {f.value: f.context for f in facts(text, "comorbidity")}
    assert found == {
        "hypertension": "asserted",
        "type 2 diabetes": "asserted",
        "atrial fibrillation": "asserted",
        "COPD": "negated",
    }
    assert facts("The AF was repaired.", "comorbidity") == []


def test_a_past_treatment_stays_asserted_and_is_marked_historical() -> None:
    f = one("Previously treated with pola-R-BR.", "regimen")
    assert f.context == "asserted"
    assert f.attributes["historical"] == "yes"


def test_a_form_field_answered_no_is_negated_and_not_answered_gives_nothing() -> None:
    assert one("CHEMORADIATION THERAPY: No.", "radiotherapy").context == "negated"
    assert facts("CHEMORADIATION THERAPY: Not given.", "radiotherapy") == []


def test_dated_events_say_what_happened() -> None:
    text = (
        "Diagnosed on 12 January 2022. CT 01/02/2024 showed stable disease. "
        "MDT discussion 05/03/2024. Relapse on 03/03/2023."
    )
    events = {f.attributes["event"]: f.value for f in facts(text, "event_date")}
    assert events == {
        "diagnosis": "2022-01-12",
        "imaging": "2024-02-01",
        "mdt": "2024-03-05",
        "relapse": "2023-03-03",
    }


def test_a_date_without_a_cue_is_no_event() -> None:
    assert facts("Reference 12/03/2024 only.", "event_date") == []


def test_a_date_of_birth_is_not_an_event() -> None:
    assert facts("DOB: 03/07/1961. Diagnosed 2019.", "event_date")[0].value == "2019"
    assert len(facts("DOB: 03/07/1961. Diagnosed 2019.", "event_date")) == 1


def test_document_date_prefers_report_labels() -> None:
    text = "Date received: 01/03/2024\nDate reported: 05/03/2024\nDiagnosis: carcinoma"
    assert course.document_date(doc_of(text, "pathology")) == "2024-03-05"


def test_document_date_reads_a_letter_date_above_dear() -> None:
    text = "Oncology Clinic\n14 March 2024\n\nDear Dr Patel,\nThank you."
    assert course.document_date(doc_of(text)) == "2024-03-14"


def test_document_date_is_none_when_not_stated() -> None:
    assert course.document_date(doc_of("No dates here at all.")) is None


def test_the_letter_date_is_an_event() -> None:
    text = "Date of letter: 14/03/2024\n\nDear Dr Patel,"
    f = one(text, "event_date")
    assert f.attributes["event"] == "letter"


def test_empty_and_odd_pages_give_no_facts_and_no_crash() -> None:
    assert course.extract(doc_of("")) == []
    assert course.extract(doc_of("\x00\x01 ???? 99/99/9999 ::: -- Gy Gy")) == []


def test_an_inline_medication_list_ends_with_its_line() -> None:
    text = (
        "Medication: Amlodipine 5 mg once daily; atorvastatin 20 mg at night\n"
        "I saw her with our breast care nurse, Sister Amy Dobson. Plan\n"
        "Yours sincerely,\nMiss Rebecca Lyle"
    )
    assert [f.value for f in facts(text, "medication")] == ["amlodipine", "atorvastatin"]


def test_a_list_ends_at_the_first_line_of_prose() -> None:
    text = "Medications:\n- Ramipril 5 mg od\nThe MDT will meet on Friday to discuss the plan."
    assert [f.value for f in facts(text, "medication")] == ["ramipril"]


def test_a_medication_table_and_a_two_word_name_are_read_whole() -> None:
    text = "Current repeat medication\nDrug | Dose\nAmlodipine 5 mg tablets | One daily\n"
    f = one(text, "medication")
    assert (f.value, f.attributes["dose"]) == ("amlodipine", "5 mg")
    g = one("Zoledronic acid 4 mg IV every 12 weeks from 01/2026.", "medication")
    assert g.value == "zoledronic acid" and g.attributes["frequency"] == "every 12 weeks"


def test_a_heading_naming_a_treatment_is_not_a_treatment() -> None:
    assert facts("CAR-T therapy\nHe asked whether he could have it.", "cellular_therapy") == []


def test_a_date_of_birth_after_a_bar_is_not_the_document_date() -> None:
    doc = doc_of("Patient | Mr A Example\nDOB | 19/05/1968\nProduced 10/09/2026 at request.")
    assert course.document_date(doc) == "2026-09-10"


def test_a_dated_table_row_takes_its_event_from_its_own_row() -> None:
    text = "12 Oct 2025 | Admitted with pneumonia; CT found a mass\n22 Oct 2025 | EBUS biopsy\n"
    events = {f.attributes["date"]: f.attributes["event"] for f in facts(text, "event_date")}
    assert events == {"2025-10-12": "admission", "2025-10-22": "biopsy"}


def test_stopping_smoking_is_no_treatment_end() -> None:
    assert facts("He stopped smoking in 2010.", "event_date") == []
