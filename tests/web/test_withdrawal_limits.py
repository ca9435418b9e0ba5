"""The patient's withdrawal of the consent to processing (UK GDPR art. 9) stops
processing and limits staff to what must be kept (cases/withdrawal.py); consent
given again restores both. The console and review cases are generated from
their URL lists, so a new view cannot slip through."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from casebridge.web.cases import storage, tasks, workflow
from casebridge.web.cases.access import can, case_for_system, get_case_for_user_or_404, require
from casebridge.web.cases.actions import (
    do_change_status,
    do_give_consent,
    do_upload_document,
    do_withdraw_consent,
)
from casebridge.web.cases.errors import IllegalTransition
from casebridge.web.cases.lib import engine_case, read_engine
from casebridge.web.cases.models import AuditEvent, Case, CasePack, Document
from casebridge.web.cases.packs import build_pack, do_prepare_pack
from casebridge.web.cases.reviews import Seat, do_assign_review
from casebridge.web.cases.tasks import process_document
from casebridge.web.cases.withdrawal import ClinicalWithheld, processing_withdrawn_at
from casebridge.web.console import urls as console_urls
from casebridge.web.console.actions import do_request_records
from casebridge.web.console.todo import SECTIONS
from casebridge.web.portal.lib.outputs import request_letters
from casebridge.web.review import urls as review_urls
from tests.web.records import PATHOLOGY, stored_pack
from tests.web.test_console_permissions import METHODS as CONSOLE_METHODS
from tests.web.test_portal_permissions import MATRIX as PORTAL_MATRIX
from tests.web.test_portal_permissions import PUBLIC

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

LINE = "withdrew consent to processing on"
# words of the record the engine reads: none of them may reach staff once withheld
CLINICAL_WORDS = ("Invasive ductal carcinoma", "Allred", "histology.txt")


def _consent(case, people) -> None:
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="1")


def _withdraw(case, people) -> None:
    do_withdraw_consent(case, acting_user=people.owner, kind="processing_art9")


def _upload(case, people, name="histology.txt", data=PATHOLOGY) -> Document:
    return do_upload_document(case, acting_user=people.owner, file_name=name, data=data.encode())


# -- the worker -----------------------------------------------------------------------


def test_a_document_waiting_to_be_read_is_held_and_kept_when_consent_is_withdrawn(people, case):
    _consent(case, people)
    doc = _upload(case, people)
    _withdraw(case, people)
    doc.refresh_from_db()
    assert doc.state == Document.State.HELD
    assert "withdrew consent to processing on" in doc.reasons[-1]
    assert process_document.call(doc.pk) == "held: the patient withdrew consent to processing"
    doc.refresh_from_db()
    assert doc.state == Document.State.HELD and doc.processed_at is None
    case.refresh_from_db()
    assert not case.engine.get("documents")  # nothing of it was read into the case
    # the original stays, encrypted, and opens
    assert storage.read_document(case_for_system(case.pk), doc) == PATHOLOGY.encode()


def test_the_worker_asks_for_consent_before_it_reads(people, case):
    """A document put back in the queue after the withdrawal (a dead worker's,
    re-queued) is held at its claim: nothing is decrypted or read."""
    _consent(case, people)
    doc = _upload(case, people)
    _withdraw(case, people)
    Document.objects.filter(pk=doc.pk).update(state=Document.State.QUEUED)
    assert process_document.call(doc.pk).startswith("held")
    doc.refresh_from_db()
    assert doc.state == Document.State.HELD
    held = AuditEvent.objects.filter(action="document.held", object_id=str(doc.pk)).last()
    assert held is not None and held.after["stopped"] == "before reading"


def test_the_worker_asks_again_before_it_saves_and_throws_the_read_away(people, case, monkeypatch):
    """Consent withdrawn while the file is being read: what was read is not
    saved into the case."""
    _consent(case, people)
    doc = _upload(case, people)
    real_read = tasks._read

    def read_then_withdraw(*args, **kwargs):
        outcome = real_read(*args, **kwargs)
        _withdraw(Case.objects.get(pk=case.pk), people)  # the patient, meanwhile
        return outcome

    monkeypatch.setattr(tasks, "_read", read_then_withdraw)
    assert process_document.call(doc.pk).startswith("held")
    doc.refresh_from_db()
    assert doc.state == Document.State.HELD
    case.refresh_from_db()
    assert not case.engine.get("documents") and not case.engine.get("facts")
    held = AuditEvent.objects.filter(action="document.held", object_id=str(doc.pk)).last()
    assert held.after["stopped"] == "before saving"


def test_an_upload_after_the_withdrawal_is_kept_but_not_queued(people, case):
    _consent(case, people)
    _withdraw(case, people)
    before = DBTaskResult.objects.count()
    doc = _upload(case, people)
    assert doc.state == Document.State.HELD
    assert DBTaskResult.objects.count() == before  # no task will read it
    assert storage.read_document(case_for_system(case.pk), doc) == PATHOLOGY.encode()


def test_consent_given_again_reads_the_held_documents(
    people, case, django_capture_on_commit_callbacks
):
    _consent(case, people)
    doc = _upload(case, people)
    _withdraw(case, people)
    later = _upload(case, people, "letter.txt", "Clinic letter. Weight 61 kg.")
    queued_before = DBTaskResult.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        _consent(case, people)
    doc.refresh_from_db()
    later.refresh_from_db()
    assert doc.state == later.state == Document.State.QUEUED
    assert not any("withdrew consent" in r for r in doc.reasons)
    assert DBTaskResult.objects.count() == queued_before + 2  # queued again, after the commit
    assert process_document.call(doc.pk) == "processed"
    assert process_document.call(later.pk) in {"processed", "needs_attention"}
    resumed = AuditEvent.objects.get(action="case.processing_resumed")
    assert sorted(resumed.after["documents_queued"]) == sorted([doc.pk, later.pk])


def test_the_withdrawal_and_its_effect_are_on_record(people, case):
    _consent(case, people)
    doc = _upload(case, people)
    _withdraw(case, people)
    stopped = AuditEvent.objects.get(action="case.processing_stopped")
    assert stopped.actor == people.owner
    assert stopped.after["documents_held"] == [doc.pk]
    assert stopped.after["staff_access"] == "limited to what must be kept"
    assert stopped.after["status_kept"] == case.status


def test_withdrawing_only_the_transfer_abroad_stops_nothing(people, case):
    _consent(case, people)
    do_give_consent(
        case,
        acting_user=people.owner,
        kind="transfer_abroad",
        text_version="1",
        country="CN",
        recipients=["fuscc-breast-surgery"],
    )
    doc = _upload(case, people)
    do_withdraw_consent(case, acting_user=people.owner, kind="transfer_abroad")
    assert processing_withdrawn_at(case) is None
    assert process_document.call(doc.pk) == "processed"


# -- the packs --------------------------------------------------------------------------


def test_no_pack_can_be_prepared_built_or_sent_after_the_withdrawal(people, case):
    _consent(case, people)
    pack = stored_pack(case, people.coordinator, state=CasePack.State.BUILDING)
    _withdraw(case, people)
    case.refresh_from_db()
    with pytest.raises(ClinicalWithheld):
        do_prepare_pack(case, acting_user=people.coordinator, expected_version=case.version)
    # a version asked for before the withdrawal is not built
    assert LINE in build_pack.call(pack.pk)
    pack.refresh_from_db()
    assert pack.state == CasePack.State.FAILED and LINE in pack.error


# -- the gate ---------------------------------------------------------------------------


def test_staff_lose_the_clinical_needs_and_keep_what_must_be_kept(people, case):
    _consent(case, people)
    _withdraw(case, people)
    for user in (people.coordinator, people.admin):
        assert can(user, case, "view") and can(user, case, "message") and can(user, case, "manage")
        assert not can(user, case, "process") and not can(user, case, "correct")
        with pytest.raises(ClinicalWithheld) as refused:
            require(user, case, "process")
        assert LINE in refused.value.line
        opened = get_case_for_user_or_404(user, case.pseudonym, "view")
        for read in (read_engine, engine_case):
            with pytest.raises(ClinicalWithheld):
                read(opened)
    _consent(case, people)
    assert can(people.coordinator, case, "process")
    read_engine(get_case_for_user_or_404(people.coordinator, case.pseudonym, "view"))


def test_the_patient_and_their_family_are_not_limited(people, case):
    _consent(case, people)
    _withdraw(case, people)
    for user in (people.owner, people.family):
        opened = get_case_for_user_or_404(user, case.pseudonym, "view")
        read_engine(opened)  # no refusal
        engine_case(opened)
    assert not can(people.outsider, case, "view")


# -- the workflow -----------------------------------------------------------------------


def test_a_held_case_does_not_move_on_but_can_be_closed_and_resumes_where_it_was(people, case):
    _consent(case, people)
    Case.objects.filter(pk=case.pk).update(status=workflow.READY_FOR_REVIEW)
    case.refresh_from_db()
    _withdraw(case, people)
    case.refresh_from_db()
    assert case.status == workflow.READY_FOR_REVIEW  # the withdrawal keeps its status
    with pytest.raises(IllegalTransition, match="withdrew consent to processing"):
        do_change_status(
            case,
            acting_user=people.coordinator,
            status=workflow.COLLECTING_RECORDS,
            expected_version=case.version,
        )
    # ready_for_review cannot normally be closed; a held case can, at any point
    assert workflow.CLOSED not in workflow.allowed_moves(workflow.READY_FOR_REVIEW)
    assert workflow.CLOSED in workflow.allowed_moves(workflow.READY_FOR_REVIEW, held=True)
    _consent(case, people)
    moved = do_change_status(
        case,
        acting_user=people.coordinator,
        status=workflow.COLLECTING_RECORDS,
        expected_version=case.version,
    )
    assert moved.status == workflow.COLLECTING_RECORDS


def test_a_held_case_is_closed_by_a_coordinator(people, case):
    _consent(case, people)
    Case.objects.filter(pk=case.pk).update(status=workflow.MATCHED)
    case.refresh_from_db()
    _withdraw(case, people)
    closed = do_change_status(
        case,
        acting_user=people.coordinator,
        status=workflow.CLOSED,
        expected_version=case.version,
        reason="the patient does not wish to go on",
    )
    assert closed.status == workflow.CLOSED


# -- the console, every case URL --------------------------------------------------------

# Every console URL of a case: what must be kept stays open after the withdrawal
# (KEPT), everything else answers 403 with the plain line (CLINICAL). A URL added
# to console/urls.py and not here fails the first test below.
KEPT = {
    "case",
    "change_status",
    "assign",
    "review_safety",
    "add_note",
    "send_message",  # the patient's messages can still be answered
    "close_record_request",
    "revoke_review",
}
CLINICAL = {
    "correct_fact",
    "restore_marked_wrong",
    "request_records",
    "choose_direction",
    "prepare_pack",
    "send_pack",
    "pack_file",
    "override_doc_type",
    "document_file",
    "case_output",
    "assign_review",
    "release_opinion",
}
CASE_SECTIONS_KEPT = {"overview", "messages", "history"}


def _case_urls() -> set[str]:
    return {
        p.name
        for p in console_urls.urlpatterns
        if isinstance(p, URLPattern) and "ref" in p.pattern.converters
    }


@pytest.fixture
def console_world(people, case):
    _consent(case, people)
    doc = _upload(case, people)
    assert process_document.call(doc.pk) == "processed"
    asked = do_request_records(case, acting_user=people.coordinator, title="CT report")
    stored_pack(case, people.coordinator)
    case.refresh_from_db()
    kwargs = {
        "ref": case.pseudonym,
        "doc": doc.pk,
        "name": "summary.en.html",
        "number": 1,
        "position": 0,
        "pk": asked.pk,
    }
    return case, kwargs


def _console_url(name: str, kwargs: dict) -> str:
    pattern = next(p for p in console_urls.urlpatterns if p.name == name)
    wanted = {k: v for k, v in kwargs.items() if k in pattern.pattern.converters}
    return reverse(f"console:{name}", kwargs=wanted)


def _open_answer(method: str) -> set[int]:
    # as in test_console_permissions: a GET shows the page; an empty POST is
    # refused as invalid input, not as access
    return {200} if method == "get" else {400}


def test_every_console_case_url_is_either_kept_or_clinical():
    assert KEPT.isdisjoint(CLINICAL)
    assert _case_urls() == KEPT | CLINICAL
    assert _case_urls() <= set(CONSOLE_METHODS)


@pytest.mark.parametrize("name", sorted(KEPT | CLINICAL))
def test_each_console_case_url_after_the_withdrawal_and_after_consent_again(
    client, people, console_world, name
):
    case, kwargs = console_world
    client.force_login(people.coordinator)
    method = CONSOLE_METHODS[name]
    url = _console_url(name, kwargs)
    _withdraw(case, people)
    response = getattr(client, method)(url)
    if name in KEPT:
        assert response.status_code in _open_answer(method), response.status_code
    else:
        assert response.status_code == 403
        text = response.content.decode()
        assert LINE in text and timezone.localdate().strftime("%Y") in text
        assert not any(word in text for word in CLINICAL_WORDS)
    _consent(case, people)
    response = getattr(client, method)(url)
    assert response.status_code in _open_answer(method), (name, response.status_code)


@pytest.mark.parametrize("section", [key for key, _heading in SECTIONS])
def test_each_section_of_the_console_case_page(client, people, console_world, section):
    case, _ = console_world
    client.force_login(people.coordinator)
    url = reverse("console:case", args=[case.pseudonym]) + f"?section={section}"
    if section in {"documents", "facts"}:  # the record is there before
        assert any(w in client.get(url).content.decode() for w in CLINICAL_WORDS)
    _withdraw(case, people)
    response = client.get(url)
    text = response.content.decode()
    assert response.status_code == (200 if section in CASE_SECTIONS_KEPT else 403)
    assert LINE in text
    assert not any(word in text for word in CLINICAL_WORDS)
    _consent(case, people)
    assert client.get(url).status_code == 200


def test_the_kept_case_page_shows_the_consents_messages_and_audit_trail(
    client, people, console_world
):
    case, _ = console_world
    from casebridge.web.cases.actions import do_send_message

    do_send_message(case, acting_user=people.owner, body="Please stop using my records.")
    _withdraw(case, people)
    client.force_login(people.coordinator)
    page = reverse("console:case", args=[case.pseudonym])
    overview = client.get(page).content.decode()
    assert (
        "Processing of health data" in overview
        and "in force" not in overview.split("Processing of health data")[1].split("</tr>")[0]
    )
    assert "Closed" in overview  # the case can be closed from where it is
    messages = client.get(page + "?section=messages").content.decode()
    assert "Please stop using my records." in messages
    history = client.get(page + "?section=history").content.decode()
    # in words, not the audit codes (case.processing_stopped, consent.withdrawn)
    assert "stopped all work on the case: consent to processing withdrawn" in history
    assert "withdrew consent" in history and "case.processing_stopped" not in history


# -- the patient's own pages ------------------------------------------------------------


def test_the_patient_still_sees_every_page_of_their_case(client, people, console_world):
    case, kwargs = console_world
    engine = engine_case(case_for_system(case.pk))
    pk = case.pseudonym
    letter = request_letters(engine)[0].slug
    args = {
        "document_text": [pk, kwargs["doc"]],
        "document_original": [pk, kwargs["doc"]],
        "fact_source": [pk, engine.facts[0].id],
        "summary": [pk, "en"],
        "summary_page": [pk, "en"],
        "download": [pk, "fhir.json"],
        "letter": [pk, letter],
        "letter_download": [pk, letter, "txt"],
        "pack_file": [pk, 1, 0],
    }
    _withdraw(case, people)
    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    pages = [
        name
        for name, (method, allowed) in PORTAL_MATRIX.items()
        if method == "get" and allowed != PUBLIC and "#" not in name
    ]
    assert len(pages) > 20
    for name in pages:
        response = client.get(reverse(f"portal:{name}", args=args.get(name, [pk])))
        assert response.status_code in (200, 302), (name, response.status_code)
    facts = client.get(reverse("portal:facts", args=[pk])).content.decode()
    assert "carcinoma" in facts.lower()
    original = client.get(reverse("portal:document_original", args=[pk, kwargs["doc"]]))
    assert original.status_code == 200


def test_the_patient_reads_why_a_held_document_was_not_read(client, people, case):
    _consent(case, people)
    _upload(case, people)
    _withdraw(case, people)
    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    text = client.get(reverse("portal:documents", args=[case.pseudonym])).content.decode()
    assert "Kept safely, not read" in text
    assert "It will be read if consent is given again." in text
    client.post(reverse("set_language"), {"language": "zh-hans"})
    text = client.get(reverse("portal:documents", args=[case.pseudonym])).content.decode()
    assert "已妥善保存，未读取" in text and "Kept safely" not in text


def test_the_portal_adds_no_record_after_the_withdrawal_as_the_consent_page_says(
    client, people, case
):
    """The consent page told the patient records can no longer be added once
    they withdraw: the portal refuses the upload (an upload reaching the action
    some other way is held, above)."""
    _consent(case, people)
    _withdraw(case, people)
    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    upload = SimpleUploadedFile("histology.txt", PATHOLOGY.encode())
    response = client.post(
        reverse("portal:documents", args=[case.pseudonym]),
        {"files": upload},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400 and "needs to give consent" in response.json()["error"]
    assert not Document.objects.filter(case=case).exists()


# -- the reviewers ----------------------------------------------------------------------


def _review_urls(case, assignment) -> list[str]:
    values = {"ref": case.pseudonym, "number": 1, "position": 0, "row": 1, "path": "x"}
    return [
        reverse(
            f"review:{p.name}",
            kwargs={k: v for k, v in values.items() if k in p.pattern.converters},
        )
        for p in review_urls.urlpatterns
        if isinstance(p, URLPattern) and "ref" in p.pattern.converters
    ]


def test_reviewers_lose_the_case_at_the_withdrawal_and_get_it_again_on_a_new_assignment(
    client, people, team
):
    case, best, assignment, lead, _onc, _idle = team
    client.force_login(lead)
    page = reverse("review:case", args=[case.pseudonym])
    assert client.get(page).status_code == 200
    _withdraw(case, people)
    urls = _review_urls(case, assignment)
    assert len(urls) >= 6
    for url in urls:  # every review URL of the case: as if it did not exist
        # 405 for the method a URL does not take; the one it takes answers 404
        answers = {client.get(url).status_code, client.post(url).status_code}
        assert answers in ({404}, {404, 405}), (url, answers)
    # consent given again (both: processing, and the transfer naming the team)
    _consent(case, people)
    do_give_consent(
        case,
        acting_user=people.owner,
        kind="transfer_abroad",
        text_version="1",
        country="CN",
        recipients=[best],
    )
    assert client.get(page).status_code == 404  # the old assignment was ended, on record
    case.refresh_from_db()
    do_assign_review(
        case,
        acting_user=people.coordinator,
        expected_version=case.version,
        seats=[Seat(lead.pk, "pathology", lead=True)],
        due_date=timezone.localdate() + dt.timedelta(days=10),
    )
    assert client.get(page).status_code == 200


def test_a_coordinator_cannot_open_the_case_to_reviewers_after_the_withdrawal(people, sent):
    case, _best = sent
    _withdraw(case, people)
    case.refresh_from_db()
    with pytest.raises(ClinicalWithheld):
        do_assign_review(
            case,
            acting_user=people.coordinator,
            expected_version=case.version,
            seats=[],
            due_date=timezone.localdate(),
        )
