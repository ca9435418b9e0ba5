"""Record requests have a life cycle: a coordinator asks the patient for a
record, the patient (and family) see it on a to-do list, and a coordinator
closes it, received or no longer needed, which takes it off the list."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.http import Http404
from django.urls import reverse

from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.models import AuditEvent, Message, RecordRequest
from casebridge.web.console.actions import do_close_record_request, do_request_records
from tests.web.conftest import switch_language

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


def _login(client, user) -> None:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


def _ask(
    case, people, title: str = "CT scan report, March 2024", detail: str = ""
) -> RecordRequest:
    return do_request_records(case, acting_user=people.coordinator, title=title, detail=detail)


def _close_url(case, record_request) -> str:
    return reverse("console:close_record_request", args=[case.pseudonym, record_request.pk])


def _fresh(record_request) -> RecordRequest:
    return RecordRequest.objects.get(pk=record_request.pk)


# -- the action ---------------------------------------------------------------------


def test_a_coordinator_marks_a_request_received_and_it_is_audited(people, case):
    asked = _ask(case, people)
    closed = do_close_record_request(
        asked, acting_user=people.coordinator, state="done", note="Came by post."
    )
    row = _fresh(asked)
    assert closed.state == row.state == RecordRequest.State.DONE
    assert row.closed_by == people.coordinator and row.closed_at is not None
    assert row.close_note == "Came by post."
    event = AuditEvent.objects.get(action="records.request_closed")
    assert event.case == case and event.object_id == str(asked.pk)
    assert event.actor == people.coordinator
    assert event.before == {"state": "open", "closed_at": None, "closed_by": None}
    assert event.after["state"] == "done"
    assert event.after["closed_by"] == people.coordinator.pk
    assert event.after["closed_at"] == row.closed_at.isoformat()
    assert event.after["note"] == "Came by post."


def test_closing_a_request_tells_the_patient_in_a_message_without_the_staff_note(people, case):
    asked = _ask(case, people)
    do_close_record_request(asked, acting_user=people.coordinator, state="done", note="internal")
    last = Message.objects.filter(case=case).order_by("-pk").first()
    assert last.sender == people.coordinator
    assert last.body == "We have received: CT scan report, March 2024. Thank you."
    other = _ask(case, people, title="Blood tests")
    do_close_record_request(other, acting_user=people.admin, state="cancelled", note="internal")
    last = Message.objects.filter(case=case).order_by("-pk").first()
    assert "We no longer need: Blood tests." in last.body
    assert "internal" not in last.body


def test_closing_a_request_twice_is_refused_with_a_clear_message_and_changes_nothing(people, case):
    asked = _ask(case, people)
    do_close_record_request(asked, acting_user=people.coordinator, state="done")
    first = _fresh(asked)
    events = AuditEvent.objects.count()
    messages = Message.objects.count()
    # A second coordinator with the page open from before (a stale, open copy).
    with pytest.raises(ActionError) as refused:
        do_close_record_request(asked, acting_user=people.admin, state="cancelled")
    assert "already closed ('Received')" in str(refused.value)
    assert people.coordinator.display_name in str(refused.value)
    assert "nothing was changed" in str(refused.value)
    again = _fresh(asked)
    assert (again.state, again.closed_by, again.closed_at) == (
        first.state,
        first.closed_by,
        first.closed_at,
    )
    assert AuditEvent.objects.count() == events and Message.objects.count() == messages


def test_a_state_other_than_received_or_no_longer_needed_is_refused(people, case):
    asked = _ask(case, people)
    for state in ("open", "lost", ""):
        with pytest.raises(ActionError, match="received or as no longer needed"):
            do_close_record_request(asked, acting_user=people.coordinator, state=state)
    assert _fresh(asked).state == RecordRequest.State.OPEN
    assert not AuditEvent.objects.filter(action="records.request_closed").exists()


def test_only_staff_who_manage_the_case_may_close_a_request(people, case):
    asked = _ask(case, people)
    for person in (people.owner, people.family, people.reviewer, people.outsider):
        with pytest.raises(Http404):
            do_close_record_request(asked, acting_user=person, state="done")
    assert _fresh(asked).state == RecordRequest.State.OPEN


def test_the_second_of_two_closings_that_both_read_an_open_request_is_refused(
    people, case, monkeypatch
):
    """The conditional UPDATE is the guard where the row lock locks nothing
    (SQLite): the request is closed between the locked read and the update."""
    asked = _ask(case, people)
    real_get = type(RecordRequest.objects.all()).get

    def get_then_someone_else_closes(self, *args, **kwargs):
        found = real_get(self, *args, **kwargs)
        RecordRequest.objects.filter(pk=found.pk).update(state="cancelled", closed_by=people.admin)
        return found

    messages = Message.objects.count()
    monkeypatch.setattr(type(RecordRequest.objects.all()), "get", get_then_someone_else_closes)
    with pytest.raises(ActionError, match="already closed \\('No longer needed'\\) by ada"):
        do_close_record_request(asked, acting_user=people.coordinator, state="done")
    monkeypatch.undo()
    # Nothing of the refused closing was written (the simulated other closing
    # ran inside the same transaction here, so it was rolled back with it).
    assert not AuditEvent.objects.filter(action="records.request_closed").exists()
    assert Message.objects.count() == messages
    assert _fresh(asked).closed_by is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks: PostgreSQL only")
def test_two_coordinators_closing_at_once_do_not_both_succeed(people, case):
    asked = _ask(case, people)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def close(person, state: str) -> None:
        try:
            barrier.wait()
            do_close_record_request(asked, acting_user=person, state=state)
            outcomes.append("closed")
        except ActionError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=close, args=(people.coordinator, "done")),
        threading.Thread(target=close, args=(people.admin, "cancelled")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["closed", "refused"]
    assert AuditEvent.objects.filter(action="records.request_closed").count() == 1


# -- the console --------------------------------------------------------------------


def test_a_coordinator_closes_a_request_from_the_case_page(client, people, case):
    asked = _ask(case, people)
    _login(client, people.coordinator)
    page = client.get(
        reverse("console:case", args=[case.pseudonym]) + "?section=missing"
    ).content.decode()
    assert _close_url(case, asked) in page
    assert "Received" in page and "No longer needed" in page
    response = client.post(_close_url(case, asked), {"state": "done", "note": "By post"})
    assert response.status_code == 302
    assert response["Location"].endswith("#requests")
    assert _fresh(asked).state == RecordRequest.State.DONE
    page = client.get(response["Location"]).content.decode()
    assert "is closed (received)" in page
    assert "closed by carol" in page and "Note: By post" in page
    assert _close_url(case, asked) not in page  # no buttons on a closed request


def test_the_case_page_lists_open_requests_before_closed_ones(client, people, case):
    first = _ask(case, people, title="Older request, now closed")
    _ask(case, people, title="Newer request, still open")
    do_close_record_request(first, acting_user=people.coordinator, state="cancelled")
    _login(client, people.coordinator)
    page = client.get(
        reverse("console:case", args=[case.pseudonym]) + "?section=missing"
    ).content.decode()
    section = page[page.index('id="requests"') :]
    assert section.index("Newer request, still open") < section.index("Older request, now closed")
    assert "Waiting for the patient" in section and "Closed" in section


def test_closing_twice_from_the_console_answers_400_with_the_message(client, people, case):
    asked = _ask(case, people)
    _login(client, people.coordinator)
    client.post(_close_url(case, asked), {"state": "done"})
    events = AuditEvent.objects.filter(action="records.request_closed").count()
    response = client.post(_close_url(case, asked), {"state": "cancelled"})
    assert response.status_code == 400
    assert "This request was already closed" in response.content.decode()
    assert _fresh(asked).state == RecordRequest.State.DONE
    assert AuditEvent.objects.filter(action="records.request_closed").count() == events


def test_a_close_without_a_state_is_refused_plainly(client, people, case):
    asked = _ask(case, people)
    _login(client, people.coordinator)
    for data in ({}, {"state": "open"}):
        response = client.post(_close_url(case, asked), data)
        assert response.status_code == 400
        assert "Choose whether the record was received" in response.content.decode()
    assert _fresh(asked).state == RecordRequest.State.OPEN


@pytest.mark.parametrize("role", ["owner", "family", "reviewer", "outsider"])
def test_people_who_are_not_coordinators_cannot_close_a_request(client, people, case, role):
    asked = _ask(case, people)
    _login(client, getattr(people, role))
    response = client.post(_close_url(case, asked), {"state": "done"})
    assert response.status_code == 404
    assert _fresh(asked).state == RecordRequest.State.OPEN


def test_a_request_of_another_case_answers_404(client, people, case, other_case):
    theirs = _ask(other_case, people)
    _login(client, people.coordinator)
    response = client.post(_close_url(case, theirs), {"state": "done"})
    assert response.status_code == 404
    assert _fresh(theirs).state == RecordRequest.State.OPEN


def test_closing_needs_a_post(client, people, case):
    asked = _ask(case, people)
    _login(client, people.coordinator)
    assert client.get(_close_url(case, asked)).status_code == 405


# -- the patient's to-do list ---------------------------------------------------------


def test_the_patient_sees_open_requests_on_the_workspace_and_the_records_page(client, people, case):
    _ask(case, people, detail="The report, not the images.")
    _login(client, people.owner)
    for url in (f"/cases/{case.pseudonym}/", f"/cases/{case.pseudonym}/documents/"):
        page = client.get(url).content.decode()
        assert "What we have asked you for" in page, url
        assert "CT scan report, March 2024" in page
        assert "The report, not the images." in page
        assert "Asked on" in page
        assert f'href="/cases/{case.pseudonym}/documents/#upload-form">Upload it' in page
        assert "medical records department" in page
        assert 'href="/guidance/#subject_access_request"' in page


def test_it_hides_closed_requests_from_the_patient(client, people, case):
    received = _ask(case, people, title="Pathology report")
    cancelled = _ask(case, people, title="Old MRI report")
    still_open = _ask(case, people, title="Discharge summary")
    _login(client, people.owner)
    home = client.get(f"/cases/{case.pseudonym}/").content.decode()
    assert "Pathology report" in home and "Old MRI report" in home  # on the list first
    do_close_record_request(received, acting_user=people.coordinator, state="done")
    do_close_record_request(cancelled, acting_user=people.coordinator, state="cancelled")
    for url in (f"/cases/{case.pseudonym}/", f"/cases/{case.pseudonym}/documents/"):
        page = client.get(url).content.decode()
        section = page[page.index("What we have asked you for") :]
        section = section[: section.index("</section>")]
        assert still_open.title in section, url
        assert "Pathology report" not in section and "Old MRI report" not in section


def test_the_list_disappears_when_every_request_is_closed(client, people, case):
    asked = _ask(case, people)
    _login(client, people.owner)
    assert "What we have asked you for" in client.get(f"/cases/{case.pseudonym}/").content.decode()
    do_close_record_request(asked, acting_user=people.coordinator, state="done")
    for url in (f"/cases/{case.pseudonym}/", f"/cases/{case.pseudonym}/documents/"):
        assert "What we have asked you for" not in client.get(url).content.decode()


def test_nothing_is_shown_when_nothing_was_asked(client, people, case):
    _login(client, people.owner)
    for url in (f"/cases/{case.pseudonym}/", f"/cases/{case.pseudonym}/documents/"):
        assert "What we have asked you for" not in client.get(url).content.decode()


def test_a_family_member_with_view_access_sees_the_requests(client, people, case):
    _ask(case, people)
    member = case.members.get(user=people.family)
    member.can_upload = False
    member.save()
    _login(client, people.family)
    for url in (f"/cases/{case.pseudonym}/", f"/cases/{case.pseudonym}/documents/"):
        page = client.get(url).content.decode()
        assert "What we have asked for" in page and "CT scan report, March 2024" in page
        assert ">Upload it<" not in page  # they may not upload: no link to do it


def test_the_outsider_never_sees_the_requests(client, people, case, other_case):
    _ask(case, people)
    _login(client, people.outsider)
    for url in (f"/cases/{case.pseudonym}/", f"/cases/{case.pseudonym}/documents/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "CT scan report" not in response.content.decode()
    own = client.get(f"/cases/{other_case.pseudonym}/").content.decode()
    assert "What we have asked you for" not in own and "CT scan report" not in own


def test_the_to_do_list_is_in_chinese_for_a_chinese_page(client, people, case):
    _ask(case, people)
    _login(client, people.owner)
    switch_language(client, "zh-hans")
    page = client.get(f"/cases/{case.pseudonym}/").content.decode()
    assert "我们请您提供的病历" in page and "如何索取您的病历" in page and ">上传<" in page
    assert "CT scan report, March 2024" in page  # the coordinator's own words, as written


def test_the_patients_activity_log_names_the_request_and_its_closing(client, people, case):
    asked = _ask(case, people)
    do_close_record_request(asked, acting_user=people.coordinator, state="done")
    _login(client, people.owner)
    page = client.get(f"/cases/{case.pseudonym}/activity/").content.decode()
    assert "asked for a record" in page and "closed a request for a record" in page
