from __future__ import annotations

import pytest
from django.urls import reverse

from casebridge.engine.case import Case as EngineCase
from casebridge.web.cases.access import get_case_for_user_or_404, get_case_object_or_404
from casebridge.web.cases.actions import do_assign, do_upload_document
from casebridge.web.cases.models import (
    AuditEvent,
    Document,
    FactCorrection,
    InternalNote,
    Message,
    RecordRequest,
)
from casebridge.web.cases.tasks import process_document

pytestmark = pytest.mark.django_db

PATHOLOGY = (
    "HISTOPATHOLOGY REPORT\n"
    "Date of report: 12/03/2024\n"
    "Specimen: Left breast core biopsy.\n"
    "Diagnosis: Invasive ductal carcinoma (NST), grade 2.\n"
    "ER positive (Allred 8/8). PR positive. HER2 IHC 2+ (equivocal).\n"
)
LETTER = (
    "Breast Clinic\n"
    "Dear Dr Smith,\n"
    "We saw your patient in clinic today to discuss the biopsy results.\n"
    "Plan: MDT discussion next week.\n"
)


def _processed(case, person, name: str, text: str) -> Document:
    doc = do_upload_document(case, acting_user=person, file_name=name, data=text.encode())
    process_document.call(doc.pk)
    doc.refresh_from_db()
    return doc


def _facts(case) -> dict[str, list]:
    case.refresh_from_db()
    out: dict[str, list] = {}
    for fact in EngineCase.from_dict(case.engine).facts:
        out.setdefault(fact.kind, []).append(fact)
    return out


def _post(client, name: str, case, data: dict, *extra):
    url = reverse(f"console:{name}", args=[case.pseudonym, *extra])
    return client.post(url, data, secure=True)


def test_the_case_page_shows_documents_facts_with_sources_and_outputs(client, people, case):
    _processed(case, people.owner, "histology.txt", PATHOLOGY)
    client.force_login(people.coordinator)
    url = reverse("console:case", args=[case.pseudonym])

    def section(name: str) -> str:
        response = client.get(f"{url}?section={name}", secure=True)
        assert response.status_code == 200
        return response.content.decode()

    documents = section("documents")
    assert "histology.txt" in documents and "Processed" in documents and "pathology" in documents
    facts = section("facts")
    assert "HER2 IHC 2+" in facts and "page 1" in facts  # the fact and its source
    overview = client.get(url, secure=True).content.decode()
    assert "summary.en.html" in overview and "checklist.md" in overview


def test_a_correction_made_in_the_console_survives_the_engine_reprocessing(client, people, case):
    _processed(case, people.owner, "histology.txt", PATHOLOGY)
    her2 = _facts(case)["her2_ihc"][0]
    client.force_login(people.coordinator)
    response = _post(
        client,
        "correct_fact",
        case,
        {
            "mode": "value",
            "fact_id": her2.id,
            "value": "3+",
            "reason": "Repeat IHC on the excision specimen, reported by phone.",
            "expected_version": case.version,
        },
    )
    assert response.status_code == 302
    assert _facts(case)["her2_ihc"][0].value == "3+"
    # The engine runs again when another document arrives: the correction stays.
    _processed(case, people.owner, "clinic letter.txt", LETTER)
    fact = _facts(case)["her2_ihc"][0]
    assert fact.value == "3+" and fact.corrected_by is not None
    assert fact.corrected_by.by == people.coordinator.display_name
    correction = FactCorrection.objects.get()
    assert correction.by == people.coordinator and "Repeat IHC" in correction.reason
    assert AuditEvent.objects.filter(action="fact.corrected", actor=people.coordinator).exists()


def test_a_coordinator_rejects_a_fact_and_adds_one_no_document_states(client, people, case):
    _processed(case, people.owner, "histology.txt", PATHOLOGY)
    grade = _facts(case)["grade"][0]
    client.force_login(people.coordinator)
    reject = {
        "mode": "reject",
        "fact_id": grade.id,
        "reason": "Misread.",
        "expected_version": case.version,
    }
    assert _post(client, "correct_fact", case, reject).status_code == 302
    case.refresh_from_db()
    add = {
        "mode": "add",
        "kind": "allergy",
        "value": "penicillin",
        "reason": "Told by the patient on the phone.",
        "expected_version": case.version,
    }
    response = _post(client, "correct_fact", case, add)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert FactCorrection.objects.filter(rejected=True, fact_id=grade.id).exists()
    assert FactCorrection.objects.filter(kind="allergy").exists()


def test_a_correction_without_a_reason_is_refused_and_nothing_is_saved(client, people, case):
    _processed(case, people.owner, "histology.txt", PATHOLOGY)
    her2 = _facts(case)["her2_ihc"][0]
    client.force_login(people.coordinator)
    data = {"mode": "value", "fact_id": her2.id, "value": "3+", "expected_version": case.version}
    response = _post(client, "correct_fact", case, data)
    assert response.status_code == 400
    assert not FactCorrection.objects.exists()


def test_only_the_legal_moves_are_offered(client, people, case):
    client.force_login(people.coordinator)
    page = client.get(reverse("console:case", args=[case.pseudonym]), secure=True)
    html = page.content.decode()
    assert 'name="status" value="triage"' in html
    assert 'name="status" value="closed"' in html
    assert 'name="status" value="matched"' not in html
    assert 'name="status" value="opinion_ready"' not in html


def test_an_illegal_workflow_move_is_refused_with_a_clear_message(client, people, case):
    client.force_login(people.coordinator)
    data = {"status": "opinion_ready", "expected_version": case.version, "reason": ""}
    response = _post(client, "change_status", case, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "cannot move from" in page and "triage" in page
    case.refresh_from_db()
    assert case.status == "enquiry"


def test_a_legal_move_is_saved_and_audited(client, people, case):
    client.force_login(people.coordinator)
    data = {"status": "triage", "expected_version": case.version, "reason": "Records arriving."}
    assert _post(client, "change_status", case, data).status_code == 302
    case.refresh_from_db()
    assert case.status == "triage"
    event = AuditEvent.objects.get(action="case.status_changed")
    assert event.after["reason"] == "Records arriving."


def test_two_coordinators_at_once_the_second_gets_a_conflict_message_and_keeps_input(
    client, people, case
):
    seen = case.version
    # The admin assigns the case while Carol has the page open.
    do_assign(case, acting_user=people.admin, coordinator=people.admin, expected_version=seen)
    client.force_login(people.coordinator)
    data = {"status": "triage", "expected_version": seen, "reason": "My carefully typed reason"}
    response = _post(client, "change_status", case, data)
    assert response.status_code == 409
    page = response.content.decode()
    assert "changed by someone else" in page
    assert "My carefully typed reason" in page  # nothing typed is lost
    case.refresh_from_db()
    assert case.status == "enquiry" and case.coordinator == people.admin
    # Sending it again from the conflict page (now against the current version) works.
    assert f'value="{case.version}"' in page
    data["expected_version"] = case.version
    assert _post(client, "change_status", case, data).status_code == 302


def test_a_stale_fact_correction_is_refused_and_the_value_comes_back(client, people, case):
    _processed(case, people.owner, "histology.txt", PATHOLOGY)
    her2 = _facts(case)["her2_ihc"][0]
    seen = case.version
    do_assign(case, acting_user=people.admin, coordinator=people.admin, expected_version=seen)
    client.force_login(people.coordinator)
    data = {
        "mode": "value",
        "fact_id": her2.id,
        "value": "1+",
        "reason": "Second opinion pathology says 1+",
        "expected_version": seen,
    }
    response = _post(client, "correct_fact", case, data)
    assert response.status_code == 409
    assert "Second opinion pathology says 1+" in response.content.decode()
    assert not FactCorrection.objects.exists()


def test_internal_notes_are_never_shown_to_the_patient(client, people, case):
    client.force_login(people.coordinator)
    data = {"body": "Patient sounded anxious; call back Friday."}
    assert _post(client, "add_note", case, data).status_code == 302
    note = InternalNote.objects.get()
    assert (
        "anxious"
        in client.get(
            reverse("console:case", args=[case.pseudonym]) + "?section=messages", secure=True
        ).content.decode()
    )
    # Not a message of the conversation the patient reads...
    assert not Message.objects.filter(body__contains="anxious").exists()
    # ...not reachable through the patient's or the family's gate...
    for person in (people.owner, people.family):
        own = get_case_for_user_or_404(person, case.pk)
        with pytest.raises(Exception) as refused:
            get_case_object_or_404(own, InternalNote, note.pk)
        assert refused.type.__name__ == "Http404"
    # ...and the console page itself answers 404 to them.
    client.force_login(people.owner)
    response = client.get(reverse("console:case", args=[case.pseudonym]), secure=True)
    assert response.status_code == 404 and b"anxious" not in response.content


def test_requesting_records_makes_a_request_item_and_a_message_the_patient_sees(
    client, people, case
):
    client.force_login(people.coordinator)
    data = {
        "title": "Your HER2 test result",
        "detail": "Usually held by the hospital's pathology department.",
        "gap_id": "her2",
    }
    assert _post(client, "request_records", case, data).status_code == 302
    request = RecordRequest.objects.get()
    assert request.state == RecordRequest.State.OPEN and request.gap_id == "her2"
    assert request.message.case == case and "HER2 test result" in request.message.body
    assert request.message.sender == people.coordinator
    assert AuditEvent.objects.filter(action="records.requested").exists()


def test_a_coordinator_overrides_a_document_type_and_the_case_is_read_again(client, people, case):
    doc = _processed(case, people.owner, "clinic letter.txt", LETTER)
    client.force_login(people.coordinator)
    data = {"doc_type": "pathology", "expected_version": case.version}
    assert _post(client, "override_doc_type", case, data, doc.pk).status_code == 302
    doc.refresh_from_db()
    assert doc.doc_type_override == "pathology" and doc.effective_doc_type == "pathology"
    case.refresh_from_db()
    engine_doc = EngineCase.from_dict(case.engine).document(doc.engine_doc_id)
    assert engine_doc is not None and engine_doc.doc_type == "pathology"
    assert AuditEvent.objects.filter(action="document.type_overridden").exists()


def test_an_unknown_document_type_is_refused(client, people, case):
    doc = _processed(case, people.owner, "clinic letter.txt", LETTER)
    client.force_login(people.coordinator)
    data = {"doc_type": "horoscope", "expected_version": case.version}
    assert _post(client, "override_doc_type", case, data, doc.pk).status_code == 400
    doc.refresh_from_db()
    assert doc.doc_type_override == ""


def test_the_summary_preview_and_downloads_come_from_the_engine(client, people, case):
    _processed(case, people.owner, "histology.txt", PATHOLOGY)
    client.force_login(people.coordinator)

    def get(name):
        return client.get(reverse("console:case_output", args=[case.pseudonym, name]), secure=True)

    html = get("summary.en.html")
    assert html.status_code == 200 and b"<html" in html.content.lower()
    assert "script-src" not in html["Content-Security-Policy"]
    assert html["Content-Security-Policy"].startswith("default-src 'none'")
    assert get("checklist.md").content.decode().startswith("# Records checklist")
    assert get("fhir.json")["Content-Type"] == "application/fhir+json"
    assert get("summary.en.pdf").content.startswith(b"%PDF")
    assert get("nonsense.exe").status_code == 404
    assert get("requests/../../etc/passwd").status_code == 404


def test_the_original_file_is_downloaded_and_the_read_audited(client, people, case):
    doc = do_upload_document(case, acting_user=people.owner, file_name="a.txt", data=b"Letter.")
    client.force_login(people.coordinator)
    url = reverse("console:document_file", args=[case.pseudonym, doc.pk])
    response = client.get(url, secure=True)
    assert response.content == b"Letter."
    assert "attachment" in response["Content-Disposition"]
    assert AuditEvent.objects.filter(action="document.read", actor=people.coordinator).exists()
