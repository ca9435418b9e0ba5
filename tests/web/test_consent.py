from __future__ import annotations

import pytest
from django.http import Http404

from casebridge.web.cases.actions import do_give_consent, do_withdraw_consent
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.lib import can_share_abroad
from casebridge.web.cases.models import AuditEvent

pytestmark = pytest.mark.django_db

TEAM = "Example University Cancer Hospital MDT"


def _consent_fully(case, person):
    do_give_consent(case, acting_user=person, kind="processing_art9", text_version="2025-01")
    return do_give_consent(
        case,
        acting_user=person,
        kind="transfer_abroad",
        text_version="2025-01",
        language="zh",
        country="cn",
        recipients=[TEAM],
    )


def test_sharing_abroad_needs_both_consents_and_a_named_recipient(people, case):
    assert not can_share_abroad(case, TEAM)
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="v1")
    assert not can_share_abroad(case, TEAM)
    transfer = do_give_consent(
        case,
        acting_user=people.owner,
        kind="transfer_abroad",
        text_version="v1",
        country="cn",
        recipients=[TEAM],
    )
    assert transfer.country == "CN"
    assert can_share_abroad(case, TEAM)
    assert can_share_abroad(case, TEAM.upper())
    assert not can_share_abroad(case, "Another hospital")
    assert not can_share_abroad(case, "")


def test_withdrawing_the_transfer_consent_stops_all_sharing_in_one_step(people, case):
    _consent_fully(case, people.owner)
    do_give_consent(
        case,
        acting_user=people.owner,
        kind="transfer_abroad",
        text_version="2025-01",
        country="CN",
        recipients=["Second team"],
    )
    withdrawn = do_withdraw_consent(case, acting_user=people.owner, kind="transfer_abroad")
    assert len(withdrawn) == 2
    assert not can_share_abroad(case, TEAM)
    assert not can_share_abroad(case, "Second team")
    assert AuditEvent.objects.filter(action="consent.withdrawn").count() == 2


def test_withdrawing_consent_to_processing_also_ends_every_transfer(people, case):
    transfer = _consent_fully(case, people.owner)
    do_withdraw_consent(case, acting_user=people.owner, kind="processing_art9")
    transfer.refresh_from_db()
    assert transfer.withdrawn_at is not None and transfer.withdrawn_by == people.owner
    assert not can_share_abroad(case, TEAM)


def test_a_transfer_consent_must_name_country_and_recipients(people, case):
    with pytest.raises(ActionError, match="country and the recipients"):
        do_give_consent(case, acting_user=people.owner, kind="transfer_abroad", text_version="v1")


def test_withdrawing_when_nothing_is_in_force_says_so(people, case):
    with pytest.raises(ActionError, match="no consent of this kind in force"):
        do_withdraw_consent(case, acting_user=people.owner, kind="transfer_abroad")


def test_only_the_patient_gives_or_withdraws_consent(people, case):
    _consent_fully(case, people.owner)
    for person in (people.family, people.coordinator, people.admin, people.outsider):
        with pytest.raises(Http404):
            do_give_consent(case, acting_user=person, kind="processing_art9", text_version="v1")
        with pytest.raises(Http404):
            do_withdraw_consent(case, acting_user=person, kind="transfer_abroad")
    assert can_share_abroad(case, TEAM)
