"""The patient can remove a family member or caregiver from their case."""

from __future__ import annotations

import pytest
from django.http import Http404

from casebridge.web.cases.access import can
from casebridge.web.cases.errors import ActionError, NotAllowed
from casebridge.web.cases.models import AuditEvent, CaseMember
from casebridge.web.portal.actions.family import do_invite_family, do_revoke_member
from casebridge.web.portal.forms import RevokeMemberForm

pytestmark = pytest.mark.django_db


def _bob(case, people) -> CaseMember:
    return CaseMember.objects.get(case=case, user=people.family)


def test_the_patient_revokes_a_family_member_who_then_cannot_see_the_case(case, people):
    assert can(people.family, case, "view")
    member = do_revoke_member(case, acting_user=people.owner, member=_bob(case, people))
    assert member.revoked_at is not None
    assert not can(people.family, case, "view") and not can(people.family, case, "upload")
    event = AuditEvent.objects.get(action="member.revoked")
    assert event.actor == people.owner and event.case == case
    assert event.before["revoked_at"] is None and event.after["revoked_at"]
    assert event.after["email"] == people.family.email


def test_only_the_owner_may_revoke(case, people):
    member = _bob(case, people)
    for someone in (people.family, people.outsider, people.reviewer):
        with pytest.raises(Http404):
            do_revoke_member(case, acting_user=someone, member=member)
    for staff in (people.coordinator, people.admin):
        with pytest.raises((Http404, NotAllowed)):
            do_revoke_member(case, acting_user=staff, member=member)
    assert _bob(case, people).revoked_at is None
    assert not AuditEvent.objects.filter(action="member.revoked").exists()


def test_a_member_of_another_case_cannot_be_revoked_through_this_one(case, other_case, people):
    stranger = do_invite_family(
        other_case,
        acting_user=people.outsider,
        email="someone@example.org",
        relationship="family",
        can_upload=False,
        can_message=False,
        site_url="https://casebridge.example/",
    )
    with pytest.raises(Http404):
        do_revoke_member(case, acting_user=people.outsider, member=stranger)
    with pytest.raises(NotAllowed):
        do_revoke_member(case, acting_user=people.owner, member=stranger)
    stranger.refresh_from_db()
    assert stranger.revoked_at is None


def test_revoking_twice_is_refused_plainly_and_re_inviting_restores_access(case, people):
    do_revoke_member(case, acting_user=people.owner, member=_bob(case, people))
    with pytest.raises(ActionError, match="already removed"):
        do_revoke_member(case, acting_user=people.owner, member=_bob(case, people))
    assert AuditEvent.objects.filter(action="member.revoked").count() == 1
    do_invite_family(
        case,
        acting_user=people.owner,
        email=people.family.email,
        relationship="family",
        can_upload=False,
        can_message=False,
        site_url="https://casebridge.example/",
    )
    assert can(people.family, case, "view")


def test_the_revoke_form_takes_a_member_id_only():
    assert RevokeMemberForm({"member": "3"}).is_valid()
    for bad in ({}, {"member": "x"}, {"member": "0"}):
        assert not RevokeMemberForm(bad).is_valid()


def test_the_family_page_removes_access_in_one_post(client, case, people, settings):
    settings.SECURE_SSL_REDIRECT = False  # the test client speaks plain http
    from django.urls import reverse

    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("portal:family", kwargs={"pk": case.pseudonym})
    response = client.post(url, {"member": _bob(case, people).pk})
    assert response.status_code == 302
    assert _bob(case, people).revoked_at is not None
    assert not can(people.family, case, "view")


def test_the_family_page_answers_404_for_a_member_it_does_not_hold(client, case, people, settings):
    settings.SECURE_SSL_REDIRECT = False
    from django.urls import reverse

    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("portal:family", kwargs={"pk": case.pseudonym})
    assert client.post(url, {"member": 999999}).status_code == 404
    assert client.post(url, {"member": "not-a-number"}).status_code == 404
    assert _bob(case, people).revoked_at is None
