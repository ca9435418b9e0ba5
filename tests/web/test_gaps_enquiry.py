"""Gaps closed in the enquiry: the goals get their own field, and a red-flag
enquirer continues from an e-mailed link in any browser once a coordinator has
cleared the flag."""

from __future__ import annotations

import importlib
import re

import pytest
from django.core import mail, signing
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from casebridge.web.cases.errors import NotAllowed
from casebridge.web.cases.models import AuditEvent, Enquiry
from casebridge.web.cases.notify import enquiry_from_resume_token, enquiry_resume_token
from casebridge.web.console.actions import do_clear_red_flag
from casebridge.web.portal.actions.enquiry_link import enquiry_intake

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

migration = importlib.import_module("casebridge.web.cases.migrations.0002_enquiry_goals")


def _details(**extra: str) -> dict[str, str]:
    data = {
        "relationship": "self",
        "programme": "oncology",
        "diagnosis": "A lump found in March, biopsy done",
        "current_status": "Surgery done",
        "goals": "To know whether the plan is the right one",
        "questions": "Is radiotherapy needed?",
        "country": "GB",
        "preferred_language": "en",
        "full_name": "Sam Example",
        "email": "sam@example.org",
        "contact_consent": "on",
    }
    data.update(extra)
    return data


# -- goals ------------------------------------------------------------------------


def test_the_enquiry_stores_goals_apart_from_the_questions(client):
    client.post("/enquiry/", {"none_apply": "on"})
    assert client.post("/enquiry/details/", _details())["Location"] == "/enquiry/sent/"
    enquiry = Enquiry.objects.get()
    assert enquiry.goals == "To know whether the plan is the right one"
    assert enquiry.question == "Is radiotherapy needed?"
    assert enquiry_intake(enquiry)["goals"] == enquiry.goals


def test_the_coordinator_sees_the_goals_on_the_enquiry_page(client, people):
    enquiry = Enquiry.objects.create(
        full_name="Sam", email="sam@example.org", goals="A plan we trust", question="Why?"
    )
    client.force_login(people.coordinator)
    page = client.get(reverse("console:enquiry", args=[enquiry.pk]), secure=True).content.decode()
    assert "Their goals" in page and "A plan we trust" in page
    assert "Their questions" in page and "Why?" in page


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_goals_out_of_the_question_and_back():
    assert migration.split_goals("Goals: cure\n\nIs it spread?") == ("cure", "Is it spread?")
    assert migration.split_goals("Goals: cure") == ("cure", "")
    assert migration.split_goals("Just a question") == ("", "Just a question")
    # run on the schema of its time: later migrations seal these columns
    target = [("cases", "0002_enquiry_goals")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("cases")
    try:
        executor.migrate(target)
        apps = MigrationExecutor(connection).loader.project_state(target).apps
        Old = apps.get_model("cases", "Enquiry")
        old = Old.objects.create(full_name="A", email="a@example.org", question="Goals: g\n\nq?")
        plain = Old.objects.create(full_name="B", email="b@example.org", question="only q")
        migration.forwards(apps, None)
        old.refresh_from_db()
        plain.refresh_from_db()
        assert (old.goals, old.question) == ("g", "q?")
        assert (plain.goals, plain.question) == ("", "only q")
        migration.backwards(apps, None)
        old.refresh_from_db()
        assert old.question == "Goals: g\n\nq?"
    finally:
        MigrationExecutor(connection).migrate(latest)


# -- resuming a cleared red-flag enquiry --------------------------------------------


def _flag_and_leave_email(client) -> Enquiry:
    client.post("/enquiry/", {"red_flags": ["chest_pain"]})
    client.post("/enquiry/seek-care/", {"full_name": "Sam Example", "email": "sam@example.org"})
    return Enquiry.objects.get()


def _link_from_last_mail() -> str:
    return re.search(r"https?://\S+", mail.outbox[-1].body).group(0)


def test_clearing_a_red_flag_e_mails_a_resume_link_without_health_data(
    client, people, django_capture_on_commit_callbacks
):
    enquiry = _flag_and_leave_email(client)
    with django_capture_on_commit_callbacks(execute=True):
        do_clear_red_flag(
            enquiry,
            acting_user=people.coordinator,
            note="Called; seen locally.",
            site_url="https://casebridge.example/",
        )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sam@example.org"]
    assert message.body.count("https://casebridge.example/enquiry/details/?resume=") == 1
    for health_word in ("chest", "pain", "Called", "seen locally", "Sam"):
        assert health_word not in message.body and health_word not in message.subject
    event = AuditEvent.objects.get(action="enquiry.red_flag_cleared")
    assert event.after["resume_link_sent"] is True


def test_the_resume_link_continues_the_enquiry_in_another_browser(
    client, people, django_capture_on_commit_callbacks
):
    enquiry = _flag_and_leave_email(client)
    with django_capture_on_commit_callbacks(execute=True):
        do_clear_red_flag(enquiry, acting_user=people.coordinator, note="Called.")
    path = "/" + _link_from_last_mail().split("://", 1)[1].split("/", 1)[1]

    other = Client()  # a fresh browser: no session of the first one
    response = other.get(path)
    assert response.status_code == 302 and response["Location"] == "/enquiry/details/"
    page = other.get("/enquiry/details/").content.decode()
    assert "sam@example.org" in page  # what they left is kept
    assert other.post("/enquiry/details/", _details())["Location"] == "/enquiry/sent/"
    enquiry.refresh_from_db()
    assert enquiry.diagnosis and enquiry.goals and Enquiry.objects.count() == 1

    again = Client().get(path)  # the link is used up once the enquiry is sent
    assert again.status_code == 400 and "already sent" in again.content.decode()


def test_a_resume_link_is_refused_while_flagged_when_tampered_or_expired(client, people):
    enquiry = _flag_and_leave_email(client)
    token = enquiry_resume_token(enquiry)
    with pytest.raises(NotAllowed):  # not cleared yet
        enquiry_from_resume_token(token)
    Enquiry.objects.filter(pk=enquiry.pk).update(red_flag_state=Enquiry.RedFlag.CLEARED)
    assert enquiry_from_resume_token(token).pk == enquiry.pk
    with pytest.raises(NotAllowed, match="expired"):
        enquiry_from_resume_token(token, max_age=-1)
    forged = signing.dumps({"enquiry": enquiry.pk}, salt="another purpose")
    for bad in (token[:-2] + "xx", forged, "", "not-a-token"):
        with pytest.raises(NotAllowed, match="not valid"):
            enquiry_from_resume_token(bad)
    response = client.get("/enquiry/details/", {"resume": token[:-2] + "xx"})
    assert response.status_code == 400 and "not valid" in response.content.decode()


def test_no_mail_is_sent_when_the_enquirer_left_only_a_phone_number(
    client, people, django_capture_on_commit_callbacks
):
    client.post("/enquiry/", {"red_flags": ["bleeding"]})
    client.post("/enquiry/seek-care/", {"phone": "07700 900123"})
    with django_capture_on_commit_callbacks(execute=True):
        do_clear_red_flag(Enquiry.objects.get(), acting_user=people.coordinator, note="Rang.")
    assert mail.outbox == []
