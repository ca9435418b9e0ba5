"""Consent (versioned, withdrawn in one step), family invitations, messages with
link-only e-mails, and the patient's view of who opened the case."""

from __future__ import annotations

import pytest
from django.core import mail

from casebridge.web.cases import workflow
from casebridge.web.cases.lib import can_share_abroad
from casebridge.web.cases.models import Case, CaseMember, Consent, DirectionChoice, Message
from casebridge.web.portal import content

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


def _login(client, user) -> None:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


def test_consent_to_processing_records_the_version_language_and_time(client, people, case):
    _login(client, people.owner)
    page = client.get(f"/cases/{case.pseudonym}/consent/").content.decode()
    # the wording is named in plain words; the version id is stored, never shown
    assert "This is the current wording, of 7 December 2026." in page
    assert content.consent_text("processing_art9", "en").version not in page
    response = client.post(
        f"/cases/{case.pseudonym}/consent/", {"action": "give_processing", "p-agree": "on"}
    )
    assert response["Location"] == f"/cases/{case.pseudonym}/documents/"
    consent = Consent.objects.get(case=case)
    assert consent.kind == "processing_art9" and consent.language == "en"
    assert consent.text_version == "processing-2026.1" and consent.given_at is not None


def test_consent_is_not_given_without_ticking_i_agree(client, people, case):
    _login(client, people.owner)
    client.post(f"/cases/{case.pseudonym}/consent/", {"action": "give_processing"})
    assert not Consent.objects.exists()


def test_the_chinese_page_records_chinese_consent_wording(client, people, case):
    _login(client, people.owner)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = client.get(f"/cases/{case.pseudonym}/consent/").content.decode()
    assert "同意使用您的健康信息" in page
    client.post(f"/cases/{case.pseudonym}/consent/", {"action": "give_processing", "p-agree": "on"})
    assert Consent.objects.get().language == "zh"


def test_a_transfer_consent_names_the_country_and_recipient_and_withdrawal_is_one_step(
    client, people, case
):
    Case.objects.filter(pk=case.pk).update(status=workflow.MATCHED)
    choice = DirectionChoice(case=case, chosen_by=people.coordinator)
    choice.direction_id = "fuscc-breast-surgery"
    choice.names = {
        "hospital": {"en": "Fudan University Shanghai Cancer Center", "zh": "复旦大学附属肿瘤医院"},
        "department": {"en": "Department of Breast Surgery", "zh": "乳腺外科"},
        "city": {"en": "Shanghai", "zh": "上海"},
    }
    choice.save()
    _login(client, people.owner)
    url = f"/cases/{case.pseudonym}/consent/"
    client.post(url, {"action": "give_processing", "p-agree": "on"})
    page = client.get(url).content.decode()
    assert "Department of Breast Surgery, Fudan University Shanghai Cancer Center" in page
    client.post(
        url, {"action": "give_transfer", "t-agree": "on", "t-recipient": "fuscc-breast-surgery"}
    )
    transfer = Consent.objects.get(kind="transfer_abroad")
    assert transfer.country == "CN" and transfer.recipients == ["fuscc-breast-surgery"]
    assert can_share_abroad(case, "fuscc-breast-surgery")
    assert "You gave this consent" in client.get(url).content.decode()

    client.post(url, {"action": "withdraw_processing"})
    assert not Consent.objects.filter(withdrawn_at__isnull=True).exists()
    assert not can_share_abroad(case, "fuscc-breast-surgery")


def test_a_family_member_is_invited_with_chosen_permissions_by_a_link_only_email(
    client, people, case, django_capture_on_commit_callbacks
):
    _login(client, people.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/cases/{case.pseudonym}/family/",
            {"email": "gran@example.org", "relationship": "caregiver", "can_message": "on"},
        )
    assert response.status_code == 302
    member = CaseMember.objects.get(user__email="gran@example.org")
    assert member.can_view and member.can_message and not member.can_upload
    assert member.relationship == "caregiver"
    (email,) = [m for m in mail.outbox if m.to == ["gran@example.org"]]
    assert "http://testserver/invitation/" in email.body
    assert email.subject == "casebridge: alice invited you to follow their case"
    assert "alice invited you, as their caregiver" in email.body  # who invited: a name only
    assert case.pseudonym not in email.body and "oncology" not in email.body
    assert "this e-mail contains no health information" in email.body


def test_inviting_oneself_is_refused_in_plain_words(client, people, case):
    _login(client, people.owner)
    page = client.post(
        f"/cases/{case.pseudonym}/family/", {"email": people.owner.email, "relationship": "family"}
    ).content.decode()
    assert "You cannot invite yourself" in page


def test_a_patients_message_tells_the_coordinator_by_email_without_its_text(
    client, people, case, django_capture_on_commit_callbacks
):
    case.coordinator = people.coordinator
    case.save()
    _login(client, people.owner)
    body = "My scan showed a new lesion in the liver"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/cases/{case.pseudonym}/messages/", {"body": body})
    assert response.status_code == 302
    assert Message.objects.get().body == body
    (email,) = mail.outbox
    assert email.to == [people.coordinator.email]
    assert f"/console/cases/{case.pseudonym}/" in email.body  # the console's page of the case
    assert f"/cases/{case.pseudonym}/messages/" not in email.body
    assert "the patient of case" in email.body
    assert "liver" not in email.body and "liver" not in email.subject
    assert body in client.get(f"/cases/{case.pseudonym}/messages/").content.decode()


def test_a_coordinators_message_tells_the_patient_and_the_family_who_may_read_messages(
    people, case, django_capture_on_commit_callbacks
):
    from casebridge.web.cases.messaging import do_post_message

    with django_capture_on_commit_callbacks(execute=True):
        do_post_message(case, acting_user=people.coordinator, body="Please add the scan", link="x")
    # Bob may not message, so he is not told of a message he could not read
    assert [m.to[0] for m in mail.outbox] == [people.owner.email]
    mail.outbox.clear()
    case.members.filter(user=people.family).update(can_message=True)
    with django_capture_on_commit_callbacks(execute=True):
        do_post_message(case, acting_user=people.coordinator, body="Thank you", link="x")
    assert sorted(m.to[0] for m in mail.outbox) == [people.owner.email, people.family.email]


def test_a_family_member_without_message_permission_can_neither_read_nor_send(client, people, case):
    Message.objects.create(case=case, sender=people.owner, body="Bob must not read this")
    _login(client, people.family)
    response = client.get(f"/cases/{case.pseudonym}/messages/")
    assert response.status_code == 404
    assert "Bob must not read this" not in response.content.decode()
    response = client.post(f"/cases/{case.pseudonym}/messages/", {"body": "hello"})
    assert response.status_code == 404 and Message.objects.count() == 1


def test_the_case_menu_offers_messages_only_to_those_who_may_message(client, people, case):
    messages_link = f'href="/cases/{case.pseudonym}/messages/"'
    _login(client, people.family)
    assert messages_link not in client.get(f"/cases/{case.pseudonym}/").content.decode()
    case.members.filter(user=people.family).update(can_message=True)
    assert messages_link in client.get(f"/cases/{case.pseudonym}/").content.decode()
    _login(client, people.owner)
    assert messages_link in client.get(f"/cases/{case.pseudonym}/").content.decode()


def test_an_empty_message_is_refused(client, people, case):
    _login(client, people.owner)
    response = client.post(f"/cases/{case.pseudonym}/messages/", {"body": "   "})
    assert response.status_code == 200 and not Message.objects.exists()


def test_the_patient_sees_who_opened_the_case(client, people, case):
    _login(client, people.coordinator)
    client.get(f"/cases/{case.pseudonym}/")
    _login(client, people.owner)
    page = client.get(f"/cases/{case.pseudonym}/activity/").content.decode()
    assert "carol (Coordinator)" in page and "opened the case" in page


def test_the_patient_withdraws_the_case_after_a_confirmation_page(client, people, case):
    _login(client, people.owner)
    url = f"/cases/{case.pseudonym}/withdraw/"
    page = client.get(url).content.decode()
    assert "cannot be reopened" in page and 'name="confirm"' in page
    response = client.post(url, {"version": case.version, "confirm": "on"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "withdrawn"
    assert "cannot be withdrawn or reopened" in client.get(url).content.decode()


def test_the_case_is_not_withdrawn_without_the_explicit_confirmation(client, people, case):
    _login(client, people.owner)
    response = client.post(f"/cases/{case.pseudonym}/withdraw/", {"version": case.version})
    assert response.status_code == 200
    assert "Tick the box to confirm" in response.content.decode()
    case.refresh_from_db()
    assert case.status != "withdrawn"


def test_a_withdrawal_confirmed_on_an_old_page_is_refused_with_a_reason(client, people, case):
    _login(client, people.owner)
    response = client.post(
        f"/cases/{case.pseudonym}/withdraw/", {"version": case.version - 1, "confirm": "on"}
    )
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    case.refresh_from_db()
    assert case.status != "withdrawn"


def test_the_overview_links_to_the_withdrawal_page_instead_of_a_one_click_button(
    client, people, case
):
    _login(client, people.owner)
    page = client.get(f"/cases/{case.pseudonym}/").content.decode()
    assert f'href="/cases/{case.pseudonym}/withdraw/"' in page
    assert f'action="/cases/{case.pseudonym}/withdraw/"' not in page


def test_each_consent_withdrawal_is_one_labelled_step_that_says_what_stops(client, people, case):
    _login(client, people.owner)
    url = f"/cases/{case.pseudonym}/consent/"
    client.post(url, {"action": "give_processing", "p-agree": "on"})
    page = client.get(url).content.decode()
    assert "Withdraw my consent to use my health information" in page
    assert "reads nothing more from your records" in page
    assert "Wording version" not in page and "processing-2026.1" not in page
    assert "(you agreed to the current wording, of 7 December 2026, in English)" in page


def test_guidance_is_shown_in_english_and_chinese(client):
    page = client.get("/guidance/").content.decode()
    assert "subject access request" in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = client.get("/guidance/").content.decode()
    assert "数据主体查阅请求" in page
    assert "紧急情况请拨打 999 / NHS 111" in page and 'lang="zh-Hans"' in page


def test_a_coordinators_message_that_promises_is_refused_and_the_text_kept(client, people, case):
    _login(client, people.coordinator)
    body = "Good news: the team in Shanghai will definitely accept you and guarantee a cure."
    response = client.post(f"/cases/{case.pseudonym}/messages/", {"body": body})
    page = response.content.decode()
    assert response.status_code == 200 and not Message.objects.exists()
    assert "cannot be sent" in page and "guarantee" in page and body in page


def test_a_coordinators_message_in_chinese_that_promises_is_refused_in_chinese(people, case):
    from django.utils import translation

    from casebridge.web.cases.errors import ActionError
    from casebridge.web.cases.messaging import do_post_message

    with translation.override("zh-hans"), pytest.raises(ActionError, match="保证"):
        do_post_message(case, acting_user=people.coordinator, body="我们保证专家会接收", link="x")
    assert not Message.objects.exists()


def test_a_patients_own_worried_question_about_a_cure_is_sent(client, people, case):
    _login(client, people.owner)
    body = "Can they guarantee a cure? Will I definitely be accepted?"
    response = client.post(f"/cases/{case.pseudonym}/messages/", {"body": body})
    assert response.status_code == 302 and Message.objects.get().body == body


def _before_the_form(page: str) -> str:
    assert 'method="post"' in page
    return page[: page.index('<form method="post" novalidate>')]


def test_the_messages_page_says_who_reads_them_when_they_reply_and_not_for_urgent_problems(
    client, people, case
):
    _login(client, people.owner)
    page = _before_the_form(client.get(f"/cases/{case.pseudonym}/messages/").content.decode())
    assert "A casebridge coordinator reads these messages." in page
    assert "They usually reply within 2 working days." in page
    assert "Do not use messages for urgent problems." in page
    assert "acute oncology helpline" in page and "NHS 111" in page
    assert "In an emergency call 999." in page
    assert 'href="tel:111"' in page and 'href="tel:999"' in page


def test_the_messages_page_names_the_coordinator_once_one_is_assigned(client, people, case):
    Case.objects.filter(pk=case.pk).update(coordinator=people.coordinator)
    _login(client, people.owner)
    page = _before_the_form(client.get(f"/cases/{case.pseudonym}/messages/").content.decode())
    assert f"Your coordinator, {people.coordinator.display_name}, reads these messages." in page


def test_the_reply_time_comes_from_the_setting(client, people, case, settings):
    _login(client, people.owner)
    settings.CASEBRIDGE_REPLY_DAYS = 1
    page = client.get(f"/cases/{case.pseudonym}/messages/").content.decode()
    assert "They usually reply within 1 working day." in page
    settings.CASEBRIDGE_REPLY_DAYS = 5
    page = client.get(f"/cases/{case.pseudonym}/messages/").content.decode()
    assert "They usually reply within 5 working days." in page


def test_the_reply_time_defaults_to_two_working_days():
    import os

    from django.conf import settings

    if "CASEBRIDGE_REPLY_DAYS" in os.environ:
        pytest.skip("CASEBRIDGE_REPLY_DAYS is set in this environment")
    assert settings.CASEBRIDGE_REPLY_DAYS == 2


def test_the_chinese_messages_page_says_the_same_in_chinese(client, people, case):
    _login(client, people.owner)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = _before_the_form(client.get(f"/cases/{case.pseudonym}/messages/").content.decode())
    assert "这些消息由 casebridge 的协调员阅读。" in page
    assert "协调员通常会在 2 个工作日内回复。" in page
    assert "紧急问题请不要通过消息联系。" in page and "紧急情况请拨打 999。" in page
    assert "They usually reply" not in page
