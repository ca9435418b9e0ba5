"""Invitations make a membership of one case, never a role that would stop the
person enquiring as a patient; the form answers the same for every address
(no disclosure of staff accounts); invitation e-mails are rate-limited."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from casebridge.web.accounts.models import Role, User
from casebridge.web.cases.actions import do_invite_member
from casebridge.web.cases.models import AuditEvent, CaseMember
from casebridge.web.cases.throttle import Throttled
from casebridge.web.portal.actions.enquiry import EnquiryAnswers, do_submit_enquiry
from casebridge.web.portal.actions.enquiry_link import do_link_enquiry, do_open_case_from_enquiry
from casebridge.web.portal.actions.family import do_invite_family, do_revoke_member

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


def _enquire_and_verify(user: User):
    enquiry = do_submit_enquiry(
        acting_user=user,
        answers=EnquiryAnswers(
            full_name="Gran",
            email=user.email,
            relationship="self",
            programme="oncology",
            diagnosis="My own bowel cancer, found last month",
            current_status="Waiting for surgery",
            goals="A second view",
            questions="Is surgery first right?",
            country="GB",
            preferred_language="en",
            contact_consent=True,
        ),
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    linked = do_link_enquiry(enquiry, acting_user=user)
    return do_open_case_from_enquiry(linked, acting_user=user)


def test_an_invited_person_can_still_enquire_and_own_a_case_as_a_patient(people, case):
    member = do_invite_member(case, acting_user=people.owner, email="gran@example.org")
    gran = member.user
    assert gran.role == Role.PATIENT  # an ordinary account; the membership gives access
    own = _enquire_and_verify(gran)
    assert own is not None and own.owner == gran
    assert CaseMember.objects.filter(case=case, user=gran).exists()  # still follows Alice's


def test_an_older_family_role_account_can_still_open_a_case_of_its_own(people):
    assert people.family.role == Role.FAMILY
    own = _enquire_and_verify(people.family)
    assert own is not None and own.owner == people.family


def _invite(client, case, email: str):
    return client.post(
        f"/cases/{case.pseudonym}/family/", {"email": email, "relationship": "family"}, follow=True
    )


def test_the_invitation_form_answers_the_same_for_staff_patients_and_new_addresses(
    client, people, case, django_capture_on_commit_callbacks
):
    client.force_login(people.owner)
    pages = {}
    for email in (people.coordinator.email, people.outsider.email, "new@example.org"):
        with django_capture_on_commit_callbacks(execute=True):
            response = _invite(client, case, email)
        assert response.status_code == 200
        pages[email] = response.content.decode()
        assert "Invitation sent." in pages[email], email
        assert "staff" not in pages[email].lower(), email
    assert not CaseMember.objects.filter(case=case, user=people.coordinator).exists()
    assert [m.to for m in mail.outbox] == [[people.outsider.email], ["new@example.org"]]
    refused = AuditEvent.objects.get(action="member.invite_refused")
    assert refused.after == {"email": people.coordinator.email, "reason": "staff account"}


def test_one_patient_sends_at_most_ten_invitations_an_hour(people, case, settings):
    assert settings.INVITE_RATE == "10/h"
    for n in range(10):
        do_invite_family(
            case,
            acting_user=people.owner,
            email=f"p{n}@example.org",
            relationship="family",
            can_upload=False,
            can_message=False,
            site_url="https://casebridge.test/",
        )
    with pytest.raises(Throttled, match="many invitations"):
        do_invite_family(
            case,
            acting_user=people.owner,
            email="p10@example.org",
            relationship="family",
            can_upload=False,
            can_message=False,
            site_url="https://casebridge.test/",
        )


def test_one_address_gets_at_most_three_invitation_emails_a_day_however_often_reinvited(
    people, case, django_capture_on_commit_callbacks
):
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            member = do_invite_family(
                case,
                acting_user=people.owner,
                email="gran@example.org",
                relationship="family",
                can_upload=False,
                can_message=False,
                site_url="https://casebridge.test/",
            )
        do_revoke_member(case, acting_user=people.owner, member=member)
    assert len([m for m in mail.outbox if m.to == ["gran@example.org"]]) == 3
    assert AuditEvent.objects.filter(action="member.invite_mail_limited").count() == 2
