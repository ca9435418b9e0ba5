"""The queue and the messages carry their context: the patient by name (their
account's, which their enquiry gave), who wrote each message and in which
language, how many of the patient's side's messages wait for an answer, and an
e-mail to coordinators that says truly why they get it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from casebridge.web.accounts.models import Role, User
from casebridge.web.cases.actions import do_create_case, do_send_message
from casebridge.web.cases.messaging import do_post_message
from casebridge.web.cases.models import Enquiry

pytestmark = pytest.mark.django_db


@pytest.fixture
def wang(people):
    """A patient who writes Chinese, her case opened from her enquiry, which
    gave her account its name (do_link_enquiry)."""
    user = User.objects.create_user(
        "wang@example.org", role=Role.PATIENT, preferred_language="zh", full_name="Wang Fang"
    )
    case = do_create_case(acting_user=user, owner=user, programme="oncology")
    enquiry = Enquiry(
        full_name="Wang Fang", email=user.email, programme="oncology", user=user, case=case
    )
    enquiry.save()
    return case


def test_the_queue_names_the_patient_and_counts_the_unanswered_messages(client, people, wang):
    do_send_message(wang, acting_user=wang.owner, body="第一条")
    do_send_message(wang, acting_user=people.coordinator, body="We are on it.")
    do_send_message(wang, acting_user=wang.owner, body="第二条")
    do_send_message(wang, acting_user=wang.owner, body="第三条")
    client.force_login(people.coordinator)
    page = client.get("/console/", secure=True).content.decode()
    row = page[page.index(wang.pseudonym) :]
    row = row[: row.index("</tr>")]
    assert "Wang Fang" in row and "wang@example.org" not in row
    assert "2 unanswered" in row
    assert "Unanswered messages" in page


def test_the_queue_names_a_patient_without_any_name_by_their_address(client, people):
    user = User.objects.create_user("no.name@example.org", role=Role.PATIENT)
    case = do_create_case(acting_user=user, owner=user, programme="oncology")
    client.force_login(people.coordinator)
    page = client.get("/console/", secure=True).content.decode()
    row = page[page.index(case.pseudonym) :]
    assert "no.name@example.org" in row[: row.index("</tr>")]


def test_each_message_says_who_wrote_it_and_that_the_patient_writes_chinese(client, people, wang):
    do_send_message(wang, acting_user=wang.owner, body="请问进展如何？")
    do_send_message(wang, acting_user=people.coordinator, body="We are on it.")
    client.force_login(people.coordinator)
    url = reverse("console:case", args=[wang.pseudonym]) + "?section=messages"
    page = client.get(url, secure=True).content.decode()
    assert "<strong>Wang Fang</strong> (patient; writes Chinese)" in page
    assert "<strong>carol</strong> (coordinator)" in page
    assert "(writes Chinese)" in page  # in the case's header too


def test_the_e_mail_to_coordinators_says_no_one_is_assigned_when_no_one_is(
    people, wang, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        do_post_message(wang, acting_user=wang.owner, body="你好", link="https://x/")
    bodies = [m.body for m in mailoutbox]
    assert bodies and all("you coordinate the case" not in b for b in bodies)
    assert all("no coordinator is assigned to the case yet" in b for b in bodies)


def test_the_e_mail_to_the_assigned_coordinator_says_they_coordinate_it(
    people, wang, mailoutbox, django_capture_on_commit_callbacks
):
    wang.coordinator = people.coordinator
    wang.save(update_fields=["coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        do_post_message(wang, acting_user=wang.owner, body="你好", link="https://x/")
    assert [m.to for m in mailoutbox] == [[people.coordinator.email]]
    assert "you coordinate the case" in mailoutbox[0].body


def test_the_signed_opinion_e_mail_says_no_one_is_assigned_when_no_one_is(people, mailoutbox):
    from casebridge.web.cases.opinions import _send_signed

    _send_signed([people.coordinator], "CB-1", "https://x/", assigned=False)
    _send_signed([people.coordinator], "CB-2", "https://x/", assigned=True)
    first, second = (m.body for m in mailoutbox)
    assert "no coordinator is assigned" in first and "you coordinate the case" not in first
    assert "you coordinate the case" in second
