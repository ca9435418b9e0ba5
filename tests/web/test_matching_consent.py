"""After the choice of a department (issue 11, parts 2 and 3): the patient's
transfer consent names that department; the case goes under review only with
it; a choice is retired when the case moves back; one active choice per case;
what the patient reads of the choice is in their words; the console keeps
what the coordinator sent when it refuses."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from casebridge.web.cases import workflow
from casebridge.web.cases.actions import (
    do_change_status,
    do_give_consent,
    do_upload_document,
    do_withdraw_consent,
)
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.matching import active_choice, do_choose_direction, ranking
from casebridge.web.cases.models import AuditEvent, Case, Consent, DirectionChoice
from casebridge.web.cases.tasks import process_document
from tests.web.records import PATHOLOGY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


@pytest.fixture
def matched(people, case) -> tuple[Case, dict]:
    """Alice's breast case, read, with the best-ranked department chosen."""
    doc = do_upload_document(
        case, acting_user=people.owner, file_name="histology.txt", data=PATHOLOGY.encode()
    )
    assert process_document.call(doc.pk) == "processed"
    Case.objects.filter(pk=case.pk).update(status=workflow.READY_FOR_REVIEW)
    case.refresh_from_db()
    best = ranking(case)["matches"][0]
    do_choose_direction(
        case, acting_user=people.coordinator, direction_id=best["id"], disciplines=["pathology"]
    )
    case.refresh_from_db()
    return case, best


def _consent(people, case: Case, recipient: str) -> None:
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="1")
    do_give_consent(
        case,
        acting_user=people.owner,
        kind="transfer_abroad",
        text_version="1",
        country="CN",
        recipients=[recipient],
    )


def _to_review(people, case: Case) -> Case:
    """Prepare, build, approve (as the patient) and send the pack: how a case
    goes under review."""
    from casebridge.web.cases.packs import (
        build_pack,
        do_approve_pack,
        do_prepare_pack,
        do_send_pack,
    )

    case.refresh_from_db()
    pack = do_prepare_pack(case, acting_user=people.coordinator, expected_version=case.version)
    assert build_pack.call(pack.pk) == "built"
    pack.refresh_from_db()
    do_approve_pack(pack, acting_user=people.owner, sha256=pack.sha256)
    case.refresh_from_db()
    do_send_pack(pack, acting_user=people.coordinator, expected_version=case.version, checked=True)
    case.refresh_from_db()
    return case


# -- consent before review ------------------------------------------------------------------


def test_a_case_goes_under_review_only_with_a_consent_naming_the_chosen_department(people, matched):
    case, best = matched
    with pytest.raises(ActionError, match="consent to send their case"):
        _to_review(people, case)
    _consent(people, case, "some-other-department")
    with pytest.raises(ActionError, match="consent to send their case"):
        _to_review(people, case)
    case.refresh_from_db()
    assert case.status == workflow.MATCHED
    do_give_consent(
        case,
        acting_user=people.owner,
        kind="transfer_abroad",
        text_version="1",
        country="CN",
        recipients=[best["id"]],
    )
    assert _to_review(people, case).status == workflow.UNDER_REVIEW


def test_a_withdrawn_consent_stops_the_case_going_under_review(people, matched):
    case, best = matched
    _consent(people, case, best["id"])
    do_withdraw_consent(case, acting_user=people.owner, kind="processing_art9")
    # refused at the gate now (withdrawal.py): no work on the case at all
    with pytest.raises(ActionError, match="withdrew consent to processing"):
        _to_review(people, case)


def test_the_patient_consents_on_their_consent_page_to_the_chosen_department_by_name(
    client, people, matched
):
    case, best = matched
    client.force_login(people.owner)
    url = f"/cases/{case.pseudonym}/consent/"
    client.post(url, {"action": "give_processing", "p-agree": "on"})
    page = client.get(url).content.decode()
    assert best["department"]["en"] in page and best["hospital"]["en"] in page
    # a department other than the chosen one is not offered, and not recorded if sent
    client.post(url, {"action": "give_transfer", "t-agree": "on", "t-recipient": "elsewhere"})
    assert not Consent.objects.filter(kind="transfer_abroad").exists()
    client.post(url, {"action": "give_transfer", "t-agree": "on", "t-recipient": best["id"]})
    assert Consent.objects.get(kind="transfer_abroad").recipients == [best["id"]]
    assert _to_review(people, case).status == workflow.UNDER_REVIEW


def test_before_a_department_is_chosen_the_consent_page_offers_no_team(client, people, case):
    client.force_login(people.owner)
    url = f"/cases/{case.pseudonym}/consent/"
    client.post(url, {"action": "give_processing", "p-agree": "on"})
    page = client.get(url).content.decode()
    assert "Your coordinator first chooses a department in China" in page
    assert 'value="give_transfer"' not in page


def test_a_consent_recipient_is_sealed_in_the_database(people, matched):
    from django.db import connection

    case, best = matched
    _consent(people, case, best["id"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT recipients FROM cases_consent")
        stored = b"".join(bytes(row[0]) for row in cursor.fetchall() if row[0] is not None)
        cursor.execute("SELECT direction_id, names FROM cases_directionchoice")
        stored += b"".join(bytes(v) for row in cursor.fetchall() for v in row)
    assert best["id"].encode() not in stored
    assert best["hospital"]["en"].encode() not in stored


# -- the choice's life ----------------------------------------------------------------------


def test_moving_a_matched_case_back_retires_its_choice_in_the_audited_move(people, matched):
    case, best = matched
    moved = do_change_status(
        case,
        acting_user=people.coordinator,
        status=workflow.READY_FOR_REVIEW,
        expected_version=case.version,
    )
    assert active_choice(moved) is None
    event = AuditEvent.objects.filter(action="case.status_changed").latest("seq")
    assert event.after["directions_retired"] == [best["id"]]
    with pytest.raises(ActionError, match="choosing a department"):
        do_change_status(
            moved,
            acting_user=people.coordinator,
            status=workflow.MATCHED,
            expected_version=moved.version,
        )


def test_choosing_again_while_matched_gives_the_case_a_new_version(people, matched):
    case, _best = matched
    before = case.version
    second = ranking(case)["matches"][1]
    do_choose_direction(
        case,
        acting_user=people.coordinator,
        direction_id=second["id"],
        disciplines=["pathology"],
        expected_version=before,
    )
    case.refresh_from_db()
    assert case.version == before + 1
    with pytest.raises(ActionError):  # a form made against the first choice is out of date
        do_choose_direction(
            case,
            acting_user=people.coordinator,
            direction_id=second["id"],
            disciplines=["pathology"],
            expected_version=before,
        )


def test_the_database_refuses_a_second_active_choice_for_a_case(people, matched):
    case, _best = matched
    extra = DirectionChoice(case=case, chosen_by=people.coordinator)
    extra.direction_id, extra.names = "another", {}
    with pytest.raises(IntegrityError), transaction.atomic():
        extra.save()


# -- what the patient reads -------------------------------------------------------------------


def test_the_patients_card_is_in_their_words_with_no_file_or_page_references(
    client, people, matched
):
    case, best = matched
    client.force_login(people.owner)
    page = client.get(f"/cases/{case.pseudonym}/").content.decode().replace("&#x27;", "'")
    assert "It looks after breast cancer, which your records describe." in page
    assert best["matched"][0]["en"] not in page  # the coordinator's line, with its file ref
    assert "histology.txt" not in page.split('id="h-matched"')[1].split("</section>")[0]
    assert "Read and give consent" in page
    assert f'href="/cases/{case.pseudonym}/consent/"' in page


def test_after_the_patient_consents_the_card_no_longer_asks_for_it(client, people, matched):
    case, best = matched
    _consent(people, case, best["id"])
    client.force_login(people.owner)
    assert "Read and give consent" not in client.get(f"/cases/{case.pseudonym}/").content.decode()


def test_while_the_case_is_paused_for_safety_the_card_is_not_shown(client, people, matched):
    case, _best = matched
    do_change_status(
        case,
        acting_user=people.coordinator,
        status=workflow.PAUSED_SAFETY,
        expected_version=case.version,
        reason="New chest pain reported",
    )
    client.force_login(people.owner)
    page = client.get(f"/cases/{case.pseudonym}/").content.decode()
    assert "The department proposed" not in page and "999" in page


# -- the console keeps what was sent ------------------------------------------------------------


def test_a_refused_console_choice_keeps_the_department_disciplines_and_note(
    client, people, matched
):
    case, best = matched
    client.force_login(people.coordinator)  # refused before any second factor is asked for
    note = "They will definitely cure you."
    data = {
        "direction": best["id"],
        "disciplines": ["pathology", "radiology"],
        "note": note,
        "expected_version": case.version,
    }
    response = client.post(f"/console/cases/{case.pseudonym}/matching", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'value="{best["id"]}" checked' in page
    assert 'value="radiology" checked' in page and note in page


def test_a_console_choice_sent_against_an_old_version_comes_back_with_every_discipline(
    client, people, matched
):
    from tests.web.conftest import totp_code

    case, best = matched
    client.force_login(people.coordinator)
    reauth = client.get("/accounts/2fa/reauthenticate/")
    assert reauth.status_code == 200
    client.post(
        "/accounts/2fa/reauthenticate/", {"code": totp_code(people.coordinator.totp_secret)}
    )
    data = {
        "direction": best["id"],
        "disciplines": ["pathology", "radiology"],
        "note": "",
        "expected_version": case.version - 1,
    }
    response = client.post(f"/console/cases/{case.pseudonym}/matching", data)
    assert response.status_code == 409
    page = response.content.decode()
    assert 'name="disciplines" value="pathology"' in page
    assert 'name="disciplines" value="radiology"' in page


def test_a_note_longer_than_the_limit_is_refused_by_the_action_itself(people, matched):
    from casebridge.web.cases.matching import NOTE_LIMIT

    case, best = matched
    with pytest.raises(ActionError, match="too long"):
        do_choose_direction(
            case,
            acting_user=people.coordinator,
            direction_id=best["id"],
            disciplines=["pathology"],
            note="x" * (NOTE_LIMIT + 1),
        )
