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


# -- status: planned, current, completed ---------------------------------------------------


def dated(text: str, date: str = "2026-09-08", doc_type: str = "clinic_letter") -> list[Fact]:
    doc = doc_of(text, doc_type)
    doc.document_date = date
    return course.extract(doc)


def status_of(text: str, value: str, date: str = "2026-09-08") -> str | None:
    found = [f for f in dated(text, date) if f.value == value]
    assert found, [(f.kind, f.value) for f in dated(text, date)]
    return found[-1].attributes.get("status")


def test_a_regimen_provisionally_from_a_later_date_is_planned() -> None:
    text = (
        "Second-line chemotherapy: carboplatin AUC 5 and pemetrexed 500 mg/m2 every 21 days "
        "for 4 cycles, then maintenance pemetrexed, provisionally from 21/09/2026."
    )
    assert status_of(text, "carboplatin") == "planned"
    assert status_of(text, "pemetrexed") == "planned"


def test_a_drug_to_start_after_chemotherapy_is_planned_and_one_continued_is_current() -> None:
    text = "Plan: letrozole to start after chemotherapy. Continue osimertinib 80 mg once daily."
    assert status_of(text, "letrozole") == "planned"
    assert status_of(text, "osimertinib") == "current"


def test_the_words_of_a_plan_section_make_its_treatments_planned_unless_they_say_otherwise() -> (
    None
):
    text = (
        "Plan\n• Adjuvant radiotherapy to the left breast after surgery.\n"
        "• Continue anastrozole 1 mg once daily.\n"
    )
    assert status_of(text, "radiotherapy") == "planned"
    assert status_of(text, "anastrozole") == "current"


def test_a_start_date_after_the_letter_is_planned_and_an_end_before_it_completed() -> None:
    text = "R-CHOP x6, 04/03/2024 to 17/06/2024. Pembrolizumab from 01/10/2026."
    assert status_of(text, "R-CHOP") == "completed"
    assert status_of(text, "pembrolizumab") == "planned"


def test_a_planned_word_does_not_make_a_treatment_dated_before_the_letter_planned() -> None:
    assert (
        status_of("The planned wide local excision was done on 03/03/2026.", "wide local excision")
        == "completed"
    )


def test_a_status_is_left_out_when_the_letter_does_not_say() -> None:
    assert status_of("She has had trastuzumab.", "trastuzumab") is None


def test_a_discharge_supply_ends_after_its_days_and_then_when_required_keeps_going() -> None:
    text = (
        "Medications on discharge\n"
        "• Co-amoxiclav 625 mg orally three times a day for 2 more days (complete 7-day course)\n"
        "• Ondansetron 8 mg orally twice daily for 3 days, then when required\n"
    )
    meds = {f.value: f for f in dated(text, "2025-10-16") if f.kind == "medication"}
    assert meds["co-amoxiclav"].attributes["end_date"] == "2025-10-18"
    assert meds["co-amoxiclav"].attributes["status"] == "current"
    assert "end_date" not in meds["ondansetron"].attributes
    assert meds["ondansetron"].attributes["schedule"] == "for 3 days, then when required"


def test_the_drugs_of_a_completed_regimen_share_its_status() -> None:
    text = "First-line: R-CHOP-21 x 6 cycles, 04/03/2024 to 17/06/2024 (rituximab 375 mg/m2, cyclophosphamide 750 mg/m2)."
    assert status_of(text, "rituximab", "2026-09-09") == "completed"


# -- dates of a course ---------------------------------------------------------------------------


def test_a_regimen_is_dated_by_its_first_given_cycle_not_a_planned_cycle() -> None:
    [f] = [
        f
        for f in dated("FOLFOX cycle 3 due 28/09/2026 (cycle 1 17/08/2026).")
        if f.kind == "regimen"
    ]
    assert f.attributes["start_date"] == "2026-08-17"
    assert f.attributes["next_cycle_date"] == "2026-09-28"
    assert f.attributes["status"] == "current"


def test_two_excisions_of_different_sides_and_years_keep_their_own_date_and_side() -> None:
    text = (
        "She had a right breast wide local excision on 03/03/2026 "
        "(previous left breast wide local excision in 2015)."
    )
    found = [
        (f.attributes.get("date"), f.attributes.get("side"))
        for f in dated(text)
        if f.kind == "surgery"
    ]
    assert found == [("2026-03-03", "right"), ("2015", "left")]


def test_a_medicine_since_a_date_is_current_and_its_next_dose_is_not_its_start() -> None:
    text = (
        "Medication list\nOsimertinib 80 mg - one tablet every morning (since 17/11/2025)\n"
        "Zoledronic acid 4 mg drip - every 12 weeks at the hospital (next 13/10/2026)\n"
    )
    meds = {
        f.value: f.attributes
        for f in dated(text, "2026-09-12", "medication_list")
        if f.kind == "medication"
    }
    assert meds["osimertinib"]["start_date"] == "2025-11-17"
    assert meds["osimertinib"]["status"] == "current"
    assert meds["zoledronic acid"]["next_date"] == "2026-10-13"
    assert "start_date" not in meds["zoledronic acid"]


# -- schedules stay in the value -------------------------------------------------------------------


def test_schedule_qualifiers_stay_with_the_medicine() -> None:
    text = (
        "Medications on discharge\n"
        "• Dexamethasone 40 mg orally once daily on days 2-4 (18-20/08/2026), with breakfast\n"
        "• Co-trimoxazole 480 mg orally twice daily on Mondays, Wednesdays and Fridays\n"
        "• Gliclazide 40 mg orally each morning on dexamethasone days only (new)\n"
        "• Loperamide 2 mg when needed\n"
    )
    meds = {f.value: f for f in dated(text, "2026-08-18") if f.kind == "medication"}
    assert meds["dexamethasone"].display == "dexamethasone 40 mg orally once daily days 2–4"
    assert meds["co-trimoxazole"].attributes["schedule"] == "Mon/Wed/Fri"
    assert meds["gliclazide"].attributes["schedule"] == "on dexamethasone days only"
    assert meds["loperamide"].attributes["frequency"] == "when needed"


def test_the_days_of_a_cycle_stay_with_a_drug_of_a_regimen() -> None:
    text = "Salvage R-GDP: gemcitabine 1000 mg/m2 days 1 and 8, cisplatin 75 mg/m2 day 1."
    drugs = {f.value: f.attributes.get("schedule") for f in dated(text) if f.kind == "drug"}
    assert drugs == {"gemcitabine": "days 1 and 8", "cisplatin": "day 1"}


def test_a_lab_value_is_not_dated_by_the_comparison_study_on_its_line() -> None:
    text = "Blood glucose 5.6 mmol/L. Comparison: CT 28/05/2026."
    [lab] = [f for f in dated(text, "2026-09-03", "radiology") if f.kind == "lab"]
    assert lab.attributes.get("date") != "2026-05-28"


def test_medicines_a_letter_says_to_continue_are_current_on_its_date_without_a_dose() -> None:
    text = "Dated 09/09/2026\nPlan:\n• Continue aciclovir, co-trimoxazole and allopurinol as prescribed"
    found = {f.value: f for f in facts(text, "medication")}
    assert set(found) == {"aciclovir", "co-trimoxazole", "allopurinol"}
    assert all(f.attributes.get("status") == "current" for f in found.values())


def test_continue_names_only_medicines_and_leaves_anticancer_drugs_to_the_treatments() -> None:
    assert facts("Continue the current plan and review in clinic", "medication") == []
    assert facts("Continue capecitabine at the same dose", "medication") == []


def test_a_fixed_dose_combination_product_names_both_of_its_medicines() -> None:
    phesgo = one("Phesgo given every 3 weeks from March 2026.", "regimen")
    assert phesgo.value == "Phesgo"
    assert {"pertuzumab", "trastuzumab"} <= set(str(phesgo.attributes["components"]).split(", "))
    opdualag = one("She started Opdualag in May 2026.", "regimen")
    assert "nivolumab" in opdualag.attributes["components"]
    assert "relatlimab" in opdualag.attributes["components"]


# -- status: declined, not given, given before, course lengths, durations from an event ----------


def test_a_treatment_offered_and_declined_or_not_given_is_neither_planned_nor_given() -> None:
    text = (
        "Surveillance only (adjuvant pembrolizumab offered and declined 2022).\n"
        "- Bevacizumab was not given (discussed and declined by the patient).\n"
        "Plan: she declined adjuvant capecitabine.\n"
    )
    found = {f.value: f for f in dated(text, "2026-11-26")}
    for name in ("pembrolizumab", "bevacizumab", "capecitabine"):
        assert found[name].context == "negated", name
        assert found[name].attributes.get("status") != "planned", name


def test_a_decline_in_function_does_not_negate_the_drug_before_it() -> None:
    text = "On nivolumab her performance status declined to ECOG 2."
    assert [f.context for f in dated(text) if f.value == "nivolumab"] == ["asserted"]


def test_the_drug_a_disease_relapsed_on_or_is_refractory_to_was_given_even_in_a_plan() -> None:
    text = (
        "Plan:\n"
        "1. Given early relapse on lenalidomide maintenance (lenalidomide-refractory), I have "
        "referred her to discuss CAR-T.\n"
    )
    statuses = [f.attributes.get("status") for f in dated(text) if f.value == "lenalidomide"]
    assert statuses == ["completed", "completed"]


def test_progression_on_a_scan_does_not_make_the_next_drug_given() -> None:
    text = "Plan: progression on CT 01/09/2026, so docetaxel to start on 20/09/2026."
    assert status_of(text, "docetaxel") == "planned"


def test_the_planned_number_of_cycles_of_a_given_course_does_not_make_it_planned() -> None:
    text = (
        "- Ipilimumab 3 mg/kg + nivolumab 1 mg/kg every 3 weeks, planned 4 cycles: cycle 1\n"
        "  15/07/2026, cycle 2 05/08/2026, cycle 3 26/08/2026. Cycle 4 not given.\n"
    )
    assert status_of(text, "ipilimumab", "2026-11-26") != "planned"
    assert status_of(text, "nivolumab", "2026-11-26") != "planned"


def test_a_plan_with_a_number_of_cycles_stays_planned() -> None:
    text = "Plan:\n1. Adjuvant CAPOX x 4 cycles planned, provisional start 02/12/2026.\n"
    assert status_of(text, "CAPOX", "2026-11-18") == "planned"


def test_a_duration_after_each_cycle_or_not_needed_gives_no_end_date() -> None:
    text = (
        "Medication: ondansetron 8 mg twice daily for 3 days after chemotherapy.\n"
        "- Loperamide 2 mg as required (not needed for 3 weeks)\n"
    )
    meds = {f.value: f for f in dated(text, "2026-12-01") if f.kind == "medication"}
    assert "end_date" not in meds["ondansetron"].attributes
    assert "end_date" not in meds["loperamide"].attributes


def test_the_listed_days_of_a_cycle_stay_whole_across_commas_and_a_wrapped_line() -> None:
    text = (
        "Current treatment:\nDVd - daratumumab (subcutaneous 1800 mg), bortezomib 1.3 mg/m2 "
        "subcutaneously on days 1, 4, 8\nand 11, dexamethasone 20 mg on days 1, 2, 4, 5.\n"
    )
    schedules = [f.attributes.get("schedule") for f in dated(text) if f.value == "bortezomib"]
    assert schedules == ["days 1, 4, 8, 11"]


def test_a_weekly_medicine_keeps_its_weekday_and_a_one_off_day_is_no_schedule() -> None:
    text = (
        "Current medication:\n"
        "- Alendronic acid 70 mg once weekly on Sundays\n"
        "- Methotrexate 15 mg every Monday\n"
        "- Co-amoxiclav 625 mg three times daily, started on Monday\n"
    )
    meds = {f.value: f.attributes.get("schedule") for f in dated(text) if f.kind == "medication"}
    assert meds["alendronic acid"] == "Sun"
    assert meds["methotrexate"] == "Mon"
    assert not meds["co-amoxiclav"]


def test_a_medicine_not_needed_for_weeks_has_no_duration_in_its_schedule() -> None:
    text = "Current medication:\n- Loperamide 2 mg as required, maximum 8 a day (not needed for 3 weeks)\n"
    meds = {f.value: f for f in dated(text, "2026-11-26") if f.kind == "medication"}
    assert "3 weeks" not in meds["loperamide"].display


def test_a_lab_value_with_a_thousands_separator_is_read_whole() -> None:
    text = (
        "Tumour markers: CA-125 1,842 kU/L (27/07/2026). Platelets 1,050 x10^9/L. Hb 121, WCC 4.2."
    )
    labs = {f.attributes["analyte"]: f for f in facts(text, "lab")}
    assert labs["CA-125"].attributes["value"] == "1842"
    assert labs["CA-125"].value == "CA-125 1842 kU/L"
    assert labs["haemoglobin"].attributes["value"] == "121"


def test_a_when_required_of_the_next_item_in_an_inline_list_stays_with_that_item() -> None:
    text = (
        "Medication: levothyroxine 100 micrograms daily; salbutamol inhaler 2 puffs as required.\n"
    )
    meds = {f.value: f for f in dated(text, "2026-12-01") if f.kind == "medication"}
    assert "required" not in meds["levothyroxine"].display
    assert "required" in meds["salbutamol inhaler"].display


def test_a_steroid_refractory_toxicity_is_not_the_cancers_response() -> None:
    text = (
        "Infliximab 5 mg/kg 11/10/2026 for steroid-refractory colitis. Colitis refractory to "
        "steroids. CT 18/11/2026: partial response. Platinum-refractory disease."
    )
    assert sorted(f.value for f in facts(text, "response")) == ["partial response", "refractory"]


def test_a_course_stopped_for_toxicity_is_stopped_not_completed() -> None:
    text = (
        "Ipilimumab and nivolumab stopped 08/10/2026 because of grade 3 colitis.\n"
        "Capecitabine completed 01/06/2026.\n"
    )
    assert status_of(text, "ipilimumab-nivolumab", "2026-11-26") == "stopped"
    assert status_of(text, "capecitabine", "2026-11-26") == "completed"


def test_the_steps_of_a_steroid_taper_are_not_medicines_of_their_own() -> None:
    text = (
        "Current medication:\n"
        "- Prednisolone 20 mg once daily, reducing by 5 mg every week (20 mg from 23/11/2026, "
        "then 15 mg, 10 mg, 5 mg, then stop)\n"
        "- Omeprazole 20 mg once daily\n"
    )
    meds = [f.value for f in dated(text, "2026-11-26") if f.kind == "medication"]
    assert meds == ["prednisolone", "omeprazole"]


def test_a_refusal_by_pronoun_after_a_semicolon_reaches_the_treatment_it_stands_for() -> None:
    text = (
        "Plan:\n"
        "3. No further autograft planned (first remission after autograft was 5 years; we "
        "discussed a second autograft as an option; she does not wish to have one).\n"
    )
    found = [f for f in dated(text, "2026-11-24") if f.value == "autologous SCT"]
    assert found, [(f.kind, f.value) for f in dated(text, "2026-11-24")]
    assert all(f.attributes.get("status") != "planned" for f in found)
    assert found[-1].context == "negated"


def test_a_refusal_by_pronoun_in_the_next_sentence_reaches_the_nearest_treatment_only() -> None:
    text = "Plan: docetaxel to start on 20/09/2026. Radiotherapy was offered. He declined it."
    assert status_of(text, "docetaxel") == "planned"
    radio = [f for f in dated(text) if f.kind == "radiotherapy"]
    assert radio and radio[-1].context == "negated"
    assert radio[-1].attributes.get("status") != "planned"


def test_a_pronoun_the_patient_accepts_leaves_the_plan_as_planned() -> None:
    text = "Plan: we discussed a second autograft as an option; she would like to have one."
    assert status_of(text, "autologous SCT", "2026-11-24") == "planned"


def test_a_referral_to_discuss_a_treatment_is_an_option_under_discussion_not_a_plan() -> None:
    text = (
        "Plan:\n"
        "2. I have referred her to the myeloma CAR-T service to discuss a BCMA-directed CAR-T "
        "(ciltacabtagene autoleucel) at a later line - referral sent 24/11/2026, not yet seen.\n"
        "3. Continue DVd, cycle 4 today.\n"
    )
    found = [f for f in dated(text, "2026-11-24") if f.value == "ciltacabtagene autoleucel"]
    assert found and found[-1].attributes.get("status") == "planned"  # still not given
    assert found[-1].attributes.get("intent") == "proposal"


def test_a_decided_plan_in_the_same_list_is_not_made_a_proposal_by_a_referral_before_it() -> None:
    text = "Plan:\n1. Referred to dietitian.\n2. Docetaxel to start on 20/09/2026.\n"
    found = [f for f in dated(text) if f.value == "docetaxel"]
    assert found and found[-1].attributes.get("status") == "planned"
    assert "intent" not in found[-1].attributes


def test_a_drug_named_in_a_regimen_s_sentence_belongs_to_that_regimen_s_course() -> None:
    text = (
        "Treatment history:\n"
        "- VTD (bortezomib, thalidomide, dexamethasone) x 4 cycles, 04/2020 - 08/2020: VGPR\n"
        "\n"
        "Current treatment:\n"
        "DVd - daratumumab (subcutaneous 1800 mg), bortezomib 1.3 mg/m2 subcutaneously on days "
        "1, 4, 8 and 11, of a 21-day cycle.\n"
    )
    found = dated(text, "2026-11-24")
    regimens = {f.value: f.attributes.get("status") for f in found if f.kind == "regimen"}
    assert regimens == {"VTD": "completed", "DVd": "current"}
    bortezomib = [
        (f.attributes.get("regimen"), f.attributes.get("status"))
        for f in found
        if f.value == "bortezomib"
    ]
    assert bortezomib == [("VTD", "completed"), ("DVd", "current")]


def test_a_label_alone_on_its_line_heads_the_paragraph_below_it() -> None:
    text = "Current treatment:\nDaratumumab 1800 mg subcutaneously every 3 weeks.\n"
    assert status_of(text, "daratumumab") == "current"
