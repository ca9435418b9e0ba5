"""The timeline: dated events from facts, treatments, documents and DICOM studies."""

from __future__ import annotations

from casebridge.engine.case import Case
from casebridge.engine.timeline import build_timeline, parse_date, timeline
from tests.engine.factories import document, fact


def test_it_reads_uk_day_first_and_dicom_dates():
    assert parse_date("12/03/2024") == ("2024-03-12", "day")
    assert parse_date("20240312") == ("2024-03-12", "day")
    assert parse_date("March 2024") == ("2024-03", "month")
    assert parse_date("2024-03") == ("2024-03", "month")
    assert parse_date("not stated") is None
    assert parse_date(None) is None


def test_it_places_event_date_facts_with_their_precision_and_source():
    doc = document("path1", "pathology", "Core biopsy taken 5 March 2024.")
    found = fact(doc, "event_date", "5 March 2024", date="2024-03-05", event="biopsy")
    case = Case(documents=[doc], facts=[found])
    events = build_timeline(case)
    assert [(e.date, e.precision, e.kind) for e in events] == [("2024-03-05", "day", "biopsy")]
    assert events[0].sources[0].snippet == "5 March 2024"


def test_a_month_precision_event_is_not_made_more_precise():
    doc = document("l1", "clinic_letter", "Diagnosed in March 2023.")
    found = fact(
        doc, "event_date", "March 2023", date="2023-03", precision="month", event="diagnosis"
    )
    events = build_timeline(Case(documents=[doc], facts=[found]))
    assert (events[0].date, events[0].precision) == ("2023-03", "month")


def test_treatments_with_start_and_end_dates_give_two_events():
    doc = document("l1", "clinic_letter", "Docetaxel from 01/02/2024 to 30/04/2024.")
    found = fact(doc, "drug", "docetaxel", start_date="2024-02-01", end_date="2024-04-30")
    events = build_timeline(Case(documents=[doc], facts=[found]))
    assert [(e.date, e.kind) for e in events] == [
        ("2024-02-01", "treatment_start"),
        ("2024-04-30", "treatment_end"),
    ]
    assert "docetaxel" in events[0].label


def test_undated_treatments_and_documents_are_not_given_invented_dates():
    doc = document("l1", "clinic_letter", "She had a mastectomy.")
    found = fact(doc, "surgery", "mastectomy")
    assert build_timeline(Case(documents=[doc], facts=[found])) == []


def test_negated_and_family_events_are_left_out():
    doc = document("l1", "clinic_letter", "Her mother had surgery in 2001.")
    found = fact(doc, "surgery", "surgery", date="2001")
    found.context = "family"
    assert build_timeline(Case(documents=[doc], facts=[found])) == []


def test_each_dated_document_is_a_letter_or_report_event_found_in_its_text():
    letter = document(
        "l1", "clinic_letter", "Dear Dr Smith,\nClinic date: 14 May 2024\n", "2024-05-14"
    )
    report = document("r1", "radiology", "CT chest.", "2024-05-02")
    events = build_timeline(Case(documents=[letter, report]))
    assert [(e.date, e.kind, e.label) for e in events] == [
        ("2024-05-02", "report", "Imaging report"),
        ("2024-05-14", "letter", "Clinic letter"),
    ]
    assert "14 May 2024" in events[1].sources[0].snippet


def test_a_dicom_study_gives_an_imaging_event_with_its_modality():
    study = document("d1", "imaging_study")
    study.metadata = {"study_date": "20240502", "modality": "CT"}
    events = build_timeline(Case(documents=[study]))
    assert [(e.date, e.kind, e.label) for e in events] == [
        ("2024-05-02", "imaging", "CT imaging study")
    ]


def test_the_same_day_and_kind_merge_into_one_event_with_several_sources():
    a = document("l1", "clinic_letter", "Letter one.", "2024-05-14")
    b = document("l2", "discharge_summary", "Letter two.", "2024-05-14")
    events = build_timeline(Case(documents=[a, b]))
    assert len(events) == 1
    assert {s.document_id for s in events[0].sources} == {"l1", "l2"}
    assert events[0].label == "Clinic letter; Discharge summary"


def test_duplicates_are_not_counted_twice():
    a = document("l1", "clinic_letter", "Letter.", "2024-05-14")
    b = document("l1-2", "clinic_letter", "Letter.", "2024-05-14")
    b.duplicate_of = "l1"
    events = build_timeline(Case(documents=[a, b]))
    assert len(events[0].sources) == 1


def test_the_stage_replaces_its_output_when_run_again():
    case = Case(documents=[document("l1", "clinic_letter", "Letter.", "2024-05-14")])
    timeline(case)
    timeline(case)
    assert len(case.timeline) == 1
    assert [e.date for e in case.timeline] == sorted(e.date for e in case.timeline)


def test_a_planned_treatment_is_on_the_timeline_as_planned_not_as_started():
    doc = document(
        "l1",
        "clinic_letter",
        "Carboplatin and pemetrexed provisionally from 21/09/2026.",
        "2026-09-08",
    )
    found = fact(doc, "drug", "pemetrexed", start_date="2026-09-21", status="planned")
    events = [e for e in build_timeline(Case(documents=[doc], facts=[found])) if e.kind != "letter"]
    assert [(e.date, e.kind, e.label) for e in events] == [
        ("2026-09-21", "planned", "Planned: pemetrexed")
    ]


def test_a_scan_dated_after_its_letter_is_booked_not_done():
    doc = document("l1", "clinic_letter", "Interim PET-CT booked 24/09/2026.", "2026-09-09")
    found = fact(
        doc, "event_date", "24/09/2026", date="2026-09-24", event="imaging", status="planned"
    )
    [event] = [
        e for e in build_timeline(Case(documents=[doc], facts=[found])) if e.kind != "letter"
    ]
    assert (event.kind, event.label) == ("booked", "Booked: imaging")


def test_a_discharge_supply_that_ran_out_before_the_latest_record_is_completed():
    old = document("d1", "discharge_summary", "Co-amoxiclav for 2 more days.", "2025-10-16")
    new = document("l1", "clinic_letter", "Seen in clinic.", "2026-09-08")
    supply = fact(old, "medication", "co-amoxiclav", status="current", end_date="2025-10-18")
    case = Case(documents=[old, new], facts=[supply])
    timeline(case)
    assert supply.attributes["status"] == "completed"


def test_a_booked_biopsy_another_record_shows_was_done_is_the_biopsy():
    discharge = document("d1", "discharge_summary", "Follow-up: EBUS 22/10/2025.", "2025-10-16")
    report = document("p1", "pathology", "Collected: 22/10/2025", "2025-11-07")
    booked = fact(
        discharge, "event_date", "22/10/2025", date="2025-10-22", event="biopsy", status="planned"
    )
    done = fact(report, "event_date", "22/10/2025", date="2025-10-22", event="biopsy")
    events = build_timeline(Case(documents=[discharge, report], facts=[booked, done]))
    assert [e.kind for e in events if e.date == "2025-10-22"] == ["biopsy"]
