"""A relative is invited in the language the patient chose for them, and the
patient is named by the name their enquiry gave their account, never by their
e-mail address while they have a name (issue 12: an invitation naming "wang.xiuying@example.com" looks like phishing)."""

from __future__ import annotations

import html
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from casebridge.web.accounts.models import Role, User
from casebridge.web.cases.actions import do_create_case
from casebridge.web.portal.actions.enquiry import EnquiryAnswers, do_submit_enquiry
from casebridge.web.portal.actions.enquiry_link import do_link_enquiry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


def _enquire(user: User, name: str) -> None:
    enquiry = do_submit_enquiry(
        acting_user=user,
        answers=EnquiryAnswers(
            full_name=name,
            email=user.email,
            relationship="self",
            programme="oncology",
            diagnosis="Breast cancer",
            current_status="Chemotherapy",
            goals="A second view",
            questions="Is surgery first right?",
            country="GB",
            preferred_language="zh",
            contact_consent=True,
        ),
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    do_link_enquiry(enquiry, acting_user=user)


def test_the_name_an_enquiry_gives_becomes_the_accounts_name(db):
    user = User.objects.create_user("wang.xiuying@example.com", "x" * 16, role=Role.PATIENT)
    _enquire(user, "王秀英")
    user.refresh_from_db()
    assert user.full_name == "王秀英" and user.preferred_language == "zh"


def test_an_account_that_has_a_name_keeps_it_when_its_enquiry_is_linked(db):
    user = User.objects.create_user(
        "wang.xiuying@example.com", "x" * 16, role=Role.PATIENT, full_name="Xiuying Wang"
    )
    _enquire(user, "王秀英")
    user.refresh_from_db()
    assert user.full_name == "Xiuying Wang"


def test_a_name_left_after_the_enquiry_was_linked_becomes_the_accounts_name(db):
    """A red-flagged enquiry may reach its account with an address only; the name
    its author leaves afterwards (the seek-care page) is the account's too."""
    from django.contrib.auth.models import AnonymousUser

    from casebridge.web.portal.actions.enquiry import do_add_enquiry_contact, do_flag_enquiry

    user = User.objects.create_user("mei@example.org", "x" * 16, role=Role.PATIENT)
    enquiry = do_flag_enquiry(acting_user=AnonymousUser(), red_flags=["mscc"])
    enquiry = do_add_enquiry_contact(
        enquiry, acting_user=AnonymousUser(), full_name="", email=user.email
    )
    do_link_enquiry(enquiry, acting_user=user)
    user.refresh_from_db()
    assert user.full_name == ""
    do_add_enquiry_contact(enquiry, acting_user=user, full_name=" Mei Lin ", email=user.email)
    user.refresh_from_db()
    assert user.full_name == "Mei Lin"
    do_add_enquiry_contact(enquiry, acting_user=user, full_name="Someone Else", email=user.email)
    user.refresh_from_db()
    assert user.full_name == "Mei Lin"  # an account's name is never replaced


def test_the_audit_row_of_a_link_says_which_account_took_the_enquirys_name_and_whence(db):
    from casebridge.web.cases.audit import RequestMeta
    from casebridge.web.cases.models import AuditEvent

    named = User.objects.create_user("li.na@example.com", "x" * 16, role=Role.PATIENT)
    kept = User.objects.create_user(
        "zhao.lei@example.com", "x" * 16, role=Role.PATIENT, full_name="Zhao Lei"
    )
    meta = RequestMeta(ip="203.0.113.7", user_agent="Firefox")
    for user in (named, kept):
        enquiry = do_submit_enquiry(
            acting_user=user,
            answers=EnquiryAnswers(
                full_name="Li Na",
                email=user.email,
                relationship="self",
                programme="oncology",
                diagnosis="Lung cancer",
                current_status="Surgery done",
                goals="A second view",
                questions="",
                country="GB",
                preferred_language="en",
                contact_consent=True,
            ),
        )
        do_link_enquiry(enquiry, acting_user=user, meta=meta)
    rows = {e.actor_id: e for e in AuditEvent.objects.filter(action="enquiry.linked")}
    assert rows[named.pk].after == {"user": named.pk, "named_account": named.pk}
    assert rows[kept.pk].after == {"user": kept.pk}  # its own name stands: nothing taken
    assert rows[named.pk].ip == "203.0.113.7" and rows[named.pk].user_agent == "Firefox"


def test_the_audit_row_of_a_name_left_after_linking_says_the_account_took_it(db):
    from django.contrib.auth.models import AnonymousUser

    from casebridge.web.cases.models import AuditEvent
    from casebridge.web.portal.actions.enquiry import do_add_enquiry_contact, do_flag_enquiry

    user = User.objects.create_user("mei@example.org", "x" * 16, role=Role.PATIENT)
    enquiry = do_flag_enquiry(acting_user=AnonymousUser(), red_flags=["mscc"])
    enquiry = do_add_enquiry_contact(
        enquiry, acting_user=AnonymousUser(), full_name="", email=user.email
    )
    do_link_enquiry(enquiry, acting_user=user)
    for name in ("Mei Lin", "Someone Else"):
        do_add_enquiry_contact(enquiry, acting_user=user, full_name=name, email=user.email)
    rows = AuditEvent.objects.filter(action="enquiry.contact_added").order_by("seq")
    assert [e.after for e in rows] == [
        {"email": user.email},
        {"email": user.email, "named_account": user.pk},
        {"email": user.email},  # the account has its name: not replaced, not recorded
    ]


def _invite(client, case, **fields):
    return client.post(
        f"/cases/{case.pseudonym}/family/",
        {"email": "david.wang@example.com", "relationship": "family", **fields},
        follow=True,
    )


@pytest.fixture
def wang(db):
    user = User.objects.create_user(
        "wang.xiuying@example.com",
        "x" * 16,
        role=Role.PATIENT,
        full_name="王秀英",
        preferred_language="zh",
    )
    return user, do_create_case(acting_user=user, owner=user, programme="oncology")


def test_the_family_page_offers_the_invitees_language_and_an_optional_name(client, wang):
    user, case = wang
    client.force_login(user)
    page = html.unescape(client.get(f"/cases/{case.pseudonym}/family/").content.decode())
    assert "对方的姓名（可选）" in page and "对方收到的邀请使用的语言" in page
    assert re.search(r'value="zh"[^>]*checked', page)  # the page's language, chosen
    assert "English" in page and "简体中文" in page


def test_a_chinese_speaking_patient_invites_her_son_in_english_by_her_own_name(
    client, wang, django_capture_on_commit_callbacks
):
    user, case = wang
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client, case, language="en", name="David Wang")
    assert response.status_code == 200
    david = User.objects.get(email="david.wang@example.com")
    assert david.preferred_language == "en" and david.full_name == "David Wang"
    (sent,) = mail.outbox
    assert sent.subject == "casebridge: 王秀英 invited you to follow their case"
    assert "王秀英 invited you, as family" in sent.body
    assert "wang.xiuying@example.com" not in sent.subject + sent.body
    link = re.search(r"https?://\S+/invitation/\S+/", sent.body).group(0)
    client.logout()
    page = html.unescape(client.get(link.split("testserver")[-1]).content.decode())
    assert "王秀英 has invited you, as family" in page
    assert "wang.xiuying@example.com" not in page and "邀请您" not in page


def test_without_a_choice_the_invitation_is_in_the_language_of_the_page(
    client, wang, django_capture_on_commit_callbacks
):
    user, case = wang
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, case, HTTP_ACCEPT_LANGUAGE="zh-hans")
    (sent,) = mail.outbox
    assert "王秀英 邀请您" in sent.subject


def test_an_account_with_no_name_at_all_is_named_by_its_address_in_the_invitation(
    db, django_capture_on_commit_callbacks
):
    """An account is named only by its own name (an enquiry's is copied into it:
    do_link_enquiry, and cases 0026 for accounts linked before); with none, the
    invitation falls back to the e-mail address."""
    from casebridge.web.portal.actions.family import do_invite_family

    user = User.objects.create_user("wang.xiuying@example.com", "x" * 16, role=Role.PATIENT)
    case = do_create_case(acting_user=user, owner=user, programme="oncology")
    with django_capture_on_commit_callbacks(execute=True):
        do_invite_family(
            case,
            acting_user=user,
            email="david.wang@example.com",
            relationship="family",
            can_upload=False,
            can_message=False,
            language="en",
            site_url="https://casebridge.test/",
        )
    (sent,) = mail.outbox
    assert sent.subject == "casebridge: wang.xiuying@example.com invited you to follow their case"
