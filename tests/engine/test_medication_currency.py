"""Medicines a letter lists are what the patient takes on its date (PRSB outpatient letter
sections), a medicine "not started" is not taken (FHIR MedicationStatement not-taken), and BNF
compound names ("co-trimoxazole") are medicines."""

from __future__ import annotations

from tests.engine.course_helpers import LETTER_DATE, drugs, read, summary_of
from tests.engine.test_render_summary import row


# -- what a letter lists is what the patient takes on its date ------------------------------
def test_medicines_under_an_other_medication_label_are_current_on_the_letters_date() -> None:
    text = (
        "Other medication: Amlodipine 5 mg once daily; Simvastatin 40 mg at night; "
        "Paracetamol 1 g four times a day when required.\n"
    )
    meds = drugs(text)
    for name in ("amlodipine", "simvastatin", "paracetamol"):
        assert meds[name].attributes.get("status") == "current", name
        assert meds[name].attributes["status_date"] == LETTER_DATE
    assert meds["paracetamol"].attributes["dose"] == "1 g"
    current = row(summary_of(text, "en"), "Current medications")
    assert "amlodipine 5 mg once daily" in current and "simvastatin 40 mg at night" in current


def test_indented_items_under_a_supportive_medication_heading_are_current() -> None:
    text = (
        "Supportive medication:\n"
        "  Aciclovir 400 mg twice daily.\n"
        "  Co-trimoxazole 480 mg twice daily on Mon/Wed/Fri.\n"
        "  Fluconazole 50 mg once daily - not started; ibrutinib dose would change if started.\n"
        "\n"
        "Plan: review in 4 weeks.\n"
    )
    found = read(text)
    meds = {f.value: f for f in found if f.kind == "medication"}
    assert meds["aciclovir"].attributes.get("status") == "current"
    assert meds["co-trimoxazole"].attributes["schedule"] == "Mon/Wed/Fri"
    assert meds["co-trimoxazole"].attributes.get("status") == "current"
    assert meds["fluconazole"].context == "negated"  # not started: never shown as taken
    ibrutinib = [f for f in found if f.value == "ibrutinib"]
    assert ibrutinib and all("status" not in f.attributes for f in ibrutinib)
    summary = summary_of(text, "en")
    assert "fluconazole" not in row(summary, "Current medications")
    assert all(
        "fluconazole" not in "".join(s.text for p in ln.parts for s in p.spans)
        for sec in summary.sections
        for ln in sec.lines
    )


def test_a_treatment_not_yet_started_is_still_planned() -> None:
    text = "Plan:\n  Radiotherapy 55 Gy in 20 fractions, planned to start 20/04/2026 (not yet started).\n"
    (rt,) = [f for f in read(text) if f.kind == "radiotherapy"]
    assert rt.context == "asserted" and rt.attributes["status"] == "planned"


def test_bnf_compound_names_with_a_short_prefix_are_read_in_running_text() -> None:
    meds = drugs("She takes co-codamol 30 mg four times a day when required.")
    assert meds["co-codamol"].attributes["dose"] == "30 mg"


def test_a_treatment_on_a_current_treatment_label_line_stays_current() -> None:
    text = (
        "Current treatment: Salvage R-GDP every 21 days: rituximab 375 mg/m2 day 1, "
        "gemcitabine 1000 mg/m2 days 1 and 8; cycle 1 given 17/08/2026.\n"
    )
    found = [f for f in read(text, "2026-09-09") if f.value in ("R-GDP", "gemcitabine")]
    assert {f.value for f in found} == {"R-GDP", "gemcitabine"}
    assert all(f.attributes.get("status") == "current" for f in found)
