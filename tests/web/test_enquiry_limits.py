"""Anonymous enquiries cannot bury genuine urgent ones: a per-client rate, a cap
on open red-flag enquiries per client (the person is still told to call 999),
and the same enquiry sent twice merged into one. Counted in the shared cache
and the database, per client address."""

from __future__ import annotations

import pytest
from django.test import Client

from casebridge.web.cases.audit import RequestMeta
from casebridge.web.cases.models import AuditEvent, Enquiry
from casebridge.web.cases.throttle import Throttled
from casebridge.web.portal.actions.enquiry import (
    EnquiryAnswers,
    do_add_enquiry_contact,
    do_flag_enquiry,
    do_submit_enquiry,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

FLOOD_IP = "203.0.113.66"


def _answers(email: str = "mei@example.org", diagnosis: str = "Breast cancer, biopsy in March"):
    return EnquiryAnswers(
        full_name="Mei Lin",
        email=email,
        relationship="self",
        programme="oncology",
        diagnosis=diagnosis,
        current_status="Surgery done, chemotherapy planned",
        goals="Whether the plan is right",
        questions="Is radiotherapy needed?",
        country="GB",
        preferred_language="en",
        contact_consent=True,
    )


def _meta(ip: str = FLOOD_IP) -> RequestMeta:
    return RequestMeta(ip=ip, user_agent="test")


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def test_one_client_sends_ten_enquiries_an_hour_then_is_refused_in_plain_words(settings):
    assert settings.ENQUIRY_RATE == "10/h"
    for n in range(10):
        do_submit_enquiry(
            acting_user=_anonymous(), answers=_answers(f"p{n}@example.org"), meta=_meta()
        )
    with pytest.raises(Throttled, match="Many enquiries were sent from this connection"):
        do_submit_enquiry(
            acting_user=_anonymous(), answers=_answers("p10@example.org"), meta=_meta()
        )
    assert Enquiry.objects.count() == 10
    # another client is not slowed
    do_submit_enquiry(
        acting_user=_anonymous(), answers=_answers("other@example.org"), meta=_meta("192.0.2.1")
    )


def test_the_refused_enquiry_page_answers_429_and_keeps_what_was_typed(settings):
    settings.ENQUIRY_RATE = "1/h"
    for n in range(2):
        client = Client(REMOTE_ADDR=FLOOD_IP)  # a new browser: a new enquiry
        client.post("/enquiry/", {"none_apply": "on"})
        response = client.post(
            "/enquiry/details/",
            {
                "relationship": "self",
                "programme": "oncology",
                "diagnosis": f"Breast cancer number {n}",
                "country": "GB",
                "preferred_language": "en",
                "full_name": "Mei Lin",
                "email": f"mei{n}@example.org",
                "contact_consent": "on",
            },
        )
    assert response.status_code == 429
    page = response.content.decode()
    assert "Many enquiries were sent from this connection" in page
    assert "Breast cancer number 1" in page  # nothing typed is lost
    assert Enquiry.objects.count() == 1


def test_a_flood_of_red_flag_enquiries_stops_at_three_open_and_still_says_call_999(settings):
    assert settings.ENQUIRY_RED_FLAG_CAP == 3
    flags = ["mscc", "chest_pain", "bleeding", "breathing", "neuro"]
    answers = []
    for flag in flags:
        client = Client(REMOTE_ADDR=FLOOD_IP)  # a new browser each time
        answers.append(client.post("/enquiry/", {"red_flags": [flag]}))
    assert [r.status_code for r in answers] == [302, 302, 302, 429, 429]
    refused = answers[-1]
    assert "Seek local care now: call 999 or NHS 111" in refused.content.decode()
    assert 'href="tel:999"' in refused.content.decode()
    assert Enquiry.objects.filter(red_flag_state=Enquiry.RedFlag.FLAGGED).count() == 3
    # a genuine urgent enquiry from elsewhere still gets through
    assert (
        Client(REMOTE_ADDR="192.0.2.50").post("/enquiry/", {"red_flags": ["neutropenic_sepsis"]})[
            "Location"
        ]
        == "/enquiry/seek-care/"
    )


def test_a_red_flag_in_the_free_text_counts_against_the_cap_too(settings):
    settings.ENQUIRY_RED_FLAG_CAP = 1
    urgent = "I have new weakness in both legs and cannot pass urine since this morning"
    first = do_submit_enquiry(
        acting_user=_anonymous(), answers=_answers("a@example.org", urgent), meta=_meta()
    )
    assert first.red_flag_state == Enquiry.RedFlag.FLAGGED
    from casebridge.web.portal.actions.enquiry import RedFlagCapReached

    with pytest.raises(RedFlagCapReached, match="call 999"):
        do_submit_enquiry(
            acting_user=_anonymous(), answers=_answers("b@example.org", urgent), meta=_meta()
        )
    # an enquiry without a red flag from the same client is not capped
    do_submit_enquiry(acting_user=_anonymous(), answers=_answers("c@example.org"), meta=_meta())


def test_a_coordinator_clearing_a_red_flag_frees_the_clients_place(people, settings):
    from casebridge.web.console.actions import do_clear_red_flag

    settings.ENQUIRY_RED_FLAG_CAP = 1
    first = do_flag_enquiry(acting_user=_anonymous(), red_flags=["mscc"], meta=_meta())
    with pytest.raises(Throttled):
        do_flag_enquiry(acting_user=_anonymous(), red_flags=["bleeding"], meta=_meta())
    do_clear_red_flag(first, acting_user=people.coordinator, note="Spoke on the phone; at A&E.")
    do_flag_enquiry(acting_user=_anonymous(), red_flags=["bleeding"], meta=_meta())


def test_the_same_enquiry_sent_twice_is_merged_into_the_first():
    first = do_submit_enquiry(acting_user=_anonymous(), answers=_answers(), meta=_meta())
    again = do_submit_enquiry(
        acting_user=_anonymous(),
        answers=_answers("MEI@example.org", "Breast  cancer, biopsy in march"),
        meta=_meta("192.0.2.9"),  # another connection: same person, same words
    )
    assert again.pk == first.pk and Enquiry.objects.count() == 1
    merged = AuditEvent.objects.get(action="enquiry.duplicate_merged")
    assert merged.object_id == str(first.pk)


def test_other_words_or_an_enquiry_older_than_the_window_is_a_new_enquiry(settings):
    from datetime import timedelta

    from django.utils import timezone

    first = do_submit_enquiry(acting_user=_anonymous(), answers=_answers(), meta=_meta())
    other = do_submit_enquiry(
        acting_user=_anonymous(), answers=_answers(diagnosis="Lymphoma"), meta=_meta()
    )
    assert other.pk != first.pk
    Enquiry.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - timedelta(minutes=settings.ENQUIRY_DUPLICATE_MINUTES + 1)
    )
    later = do_submit_enquiry(acting_user=_anonymous(), answers=_answers(), meta=_meta())
    assert later.pk not in (first.pk, other.pk)


def test_the_same_red_flag_ticks_twice_from_one_client_are_one_enquiry():
    first = do_flag_enquiry(acting_user=_anonymous(), red_flags=["mscc", "bleeding"], meta=_meta())
    again = do_flag_enquiry(acting_user=_anonymous(), red_flags=["bleeding", "mscc"], meta=_meta())
    assert again.pk == first.pk and Enquiry.objects.count() == 1


def test_a_flagged_enquiry_that_left_an_email_is_not_merged_with_new_ticks():
    first = do_flag_enquiry(acting_user=_anonymous(), red_flags=["mscc"], meta=_meta())
    do_add_enquiry_contact(
        first, acting_user=_anonymous(), full_name="Mei", email="mei@example.org"
    )
    again = do_flag_enquiry(acting_user=_anonymous(), red_flags=["mscc"], meta=_meta())
    assert again.pk != first.pk  # the sealed address is compared opened, not in the query


def test_another_persons_address_with_the_same_words_is_a_new_enquiry():
    first = do_submit_enquiry(acting_user=_anonymous(), answers=_answers(), meta=_meta())
    other = do_submit_enquiry(
        acting_user=_anonymous(), answers=_answers("lin@example.org"), meta=_meta()
    )
    assert other.pk != first.pk and other.answers_hash != first.answers_hash


def test_a_duplicate_sent_while_the_master_key_rotates_is_still_merged(settings):
    import secrets

    first = do_submit_enquiry(acting_user=_anonymous(), answers=_answers(), meta=_meta())
    old = settings.CASEBRIDGE_MASTER_KEY
    # step 2 of a rotation: a new current key, the old one still accepted
    settings.CASEBRIDGE_MASTER_KEY = secrets.token_bytes(32)
    settings.CASEBRIDGE_MASTER_KEYS_ACCEPTED = [old]
    again = do_submit_enquiry(acting_user=_anonymous(), answers=_answers(), meta=_meta())
    assert again.pk == first.pk  # its digest under the old key is asked for too
    # once the old key is dropped, a digest made with it matches nothing
    settings.CASEBRIDGE_MASTER_KEYS_ACCEPTED = []
    later = do_submit_enquiry(acting_user=_anonymous(), answers=_answers(), meta=_meta())
    assert later.pk != first.pk
