"""Matching in the web platform (issue 11, part 2): the coordinator's choice of
a ranked department moves the case to `matched`, with its explanation kept and
audited; the refusals are clear and change nothing."""

from __future__ import annotations

import pytest
from django.http import Http404

from casebridge.web.cases import workflow
from casebridge.web.cases.actions import do_upload_document
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.matching import active_choice, do_choose_direction, ranking
from casebridge.web.cases.models import AuditEvent, Case, DirectionChoice
from casebridge.web.cases.tasks import process_document
from tests.web.records import PATHOLOGY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


@pytest.fixture
def ready(people, case) -> Case:
    """Alice's case with her breast pathology read, ready for review."""
    doc = do_upload_document(
        case, acting_user=people.owner, file_name="histology.txt", data=PATHOLOGY.encode()
    )
    assert process_document.call(doc.pk) == "processed"
    Case.objects.filter(pk=case.pk).update(status=workflow.READY_FOR_REVIEW)
    case.refresh_from_db()
    return case


def _first(ready: Case) -> dict:
    return ranking(ready)["matches"][0]


def test_the_ranking_of_a_breast_case_puts_a_breast_department_first_with_its_reasons(ready):
    data = ranking(ready)
    best = data["matches"][0]
    assert "breast" in best["department"]["en"].lower() or "乳腺" in best["department"]["zh"]
    assert best["matched"] and all(r["en"] and r["zh"] for r in best["matched"])
    proposed = {d["key"] for d in data["disciplines"]}
    assert {"pathology", "medical_oncology"} <= proposed
    assert all(d["name"]["zh"] for d in data["disciplines"])


def test_choosing_a_ranked_department_matches_the_case_and_keeps_why(people, ready):
    best = _first(ready)
    choice = do_choose_direction(
        ready,
        acting_user=people.coordinator,
        direction_id=best["id"],
        disciplines=["medical_oncology", "pathology"],
        note="The breast team will look at your pathology and scans.",
        expected_version=ready.version,
    )
    ready.refresh_from_db()
    assert ready.status == workflow.MATCHED
    assert active_choice(ready) == choice and choice.names["hospital"] == best["hospital"]
    assert choice.explanation["matched"] == best["matched"]
    event = AuditEvent.objects.get(action="case.direction_chosen")
    assert event.after["direction"] == best["id"] and event.before["status"] == "ready_for_review"


def test_a_second_choice_replaces_the_first_and_the_case_stays_matched(people, ready):
    matches = ranking(ready)["matches"]
    for m in matches[:2]:
        do_choose_direction(
            ready, acting_user=people.coordinator, direction_id=m["id"], disciplines=["pathology"]
        )
    assert DirectionChoice.objects.filter(case=ready).count() == 2
    assert active_choice(ready).direction_id == matches[1]["id"]
    ready.refresh_from_db()
    assert ready.status == workflow.MATCHED


@pytest.mark.parametrize(
    ("direction", "disciplines", "note", "says"),
    [
        ("no-such-department", ["pathology"], "", "not among the ranked matches"),
        (None, [], "", "at least one MDT discipline"),
        (None, ["astrology"], "", "Unknown MDT discipline"),
        (None, ["pathology"], "They will definitely accept you.", "cannot be sent"),
    ],
)
def test_a_bad_choice_is_refused_with_a_clear_message_and_nothing_changes(
    people, ready, direction, disciplines, note, says
):
    with pytest.raises(ActionError, match=says):
        do_choose_direction(
            ready,
            acting_user=people.coordinator,
            direction_id=direction or _first(ready)["id"],
            disciplines=disciplines,
            note=note,
        )
    ready.refresh_from_db()
    assert ready.status == workflow.READY_FOR_REVIEW and not DirectionChoice.objects.exists()


def test_a_case_still_collecting_records_cannot_be_matched(people, ready):
    Case.objects.filter(pk=ready.pk).update(status=workflow.COLLECTING_RECORDS)
    ready.refresh_from_db()
    with pytest.raises(ActionError, match="ready for review"):
        do_choose_direction(
            ready,
            acting_user=people.coordinator,
            direction_id=_first(ready)["id"],
            disciplines=["pathology"],
        )
    assert not DirectionChoice.objects.exists()


@pytest.mark.parametrize("who", ["owner", "family", "reviewer", "outsider"])
def test_only_staff_who_manage_the_case_may_choose(people, ready, who):
    with pytest.raises(Http404):  # the gate's answer: no such case
        do_choose_direction(
            ready,
            acting_user=getattr(people, who),
            direction_id=_first(ready)["id"],
            disciplines=["pathology"],
        )


# -- the console ------------------------------------------------------------------------


def test_the_console_shows_the_ranked_departments_with_why_once_the_case_is_ready(
    client, people, ready
):
    client.force_login(people.coordinator)
    page = client.get(f"/console/cases/{ready.pseudonym}/").content.decode()
    best = _first(ready)
    assert 'id="matching"' in page and f'value="{best["id"]}"' in page
    assert best["matched"][0]["en"] in page.replace("&#x27;", "'")
    assert "Nothing here is a promise" in page


def test_the_console_has_no_matching_section_before_the_records_are_ready(client, people, case):
    client.force_login(people.coordinator)
    assert 'id="matching"' not in client.get(f"/console/cases/{case.pseudonym}/").content.decode()


def test_a_coordinator_chooses_in_the_console_after_a_fresh_second_factor(client, people, ready):
    from tests.web.conftest import totp_code

    client.force_login(people.coordinator)
    best = _first(ready)
    data = {
        "direction": best["id"],
        "disciplines": ["medical_oncology", "pathology"],
        "note": "",
        "expected_version": ready.version,
    }
    response = client.post(f"/console/cases/{ready.pseudonym}/matching", data)
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/")
    assert not DirectionChoice.objects.exists()
    done = client.post(response["Location"], {"code": totp_code(people.coordinator.totp_secret)})
    assert done.status_code == 302
    ready.refresh_from_db()
    assert ready.status == workflow.MATCHED
    assert active_choice(ready).disciplines == ["medical_oncology", "pathology"]
    page = client.get(f"/console/cases/{ready.pseudonym}/").content.decode()
    assert "Chosen:" in page


def test_a_console_choice_without_a_discipline_is_refused_on_the_page(client, people, ready):
    client.force_login(people.coordinator)  # refused before the second factor is asked for
    data = {"direction": _first(ready)["id"], "expected_version": ready.version}
    response = client.post(f"/console/cases/{ready.pseudonym}/matching", data)
    assert response.status_code == 400
    assert "Choose at least one MDT discipline" in response.content.decode()
    assert not DirectionChoice.objects.exists()


# -- the patient's side -------------------------------------------------------------------


def _chosen(people, ready) -> dict:
    best = _first(ready)
    do_choose_direction(
        ready,
        acting_user=people.coordinator,
        direction_id=best["id"],
        disciplines=["medical_oncology", "pathology"],
        note="The breast team will look at your pathology.",
    )
    return best


def test_the_patient_sees_the_chosen_department_and_why_in_english(client, people, ready):
    best = _chosen(people, ready)
    client.force_login(people.owner)
    page = client.get(f"/cases/{ready.pseudonym}/").content.decode().replace("&#x27;", "'")
    assert "The department proposed to review your case" in page
    assert best["department"]["en"] in page and best["hospital"]["en"] in page
    assert best["matched"][0]["plain"]["en"] in page and "Medical oncology" in page
    assert "The breast team will look at your pathology." in page
    assert "Nothing is sent to this department until you have given your consent" in page


def test_the_patient_reading_chinese_sees_the_choice_and_why_in_chinese(client, people, ready):
    best = _chosen(people, ready)
    client.force_login(people.owner)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = client.get(f"/cases/{ready.pseudonym}/").content.decode()
    assert "拟请其审阅您病例的科室" in page and "选择该科室的原因" in page
    assert best["department"]["zh"] in page and best["hospital"]["zh"] in page
    assert best["matched"][0]["plain"]["zh"] in page
    assert best["department"]["en"] not in page


def test_a_case_moved_back_to_collecting_records_no_longer_shows_the_patient_a_choice(
    client, people, ready
):
    _chosen(people, ready)
    Case.objects.filter(pk=ready.pk).update(status=workflow.COLLECTING_RECORDS)
    client.force_login(people.owner)
    page = client.get(f"/cases/{ready.pseudonym}/").content.decode()
    assert "The department proposed" not in page


def test_a_relative_sees_the_choice_and_before_a_choice_nothing_is_shown(client, people, ready):
    client.force_login(people.family)
    assert (
        "The department proposed" not in client.get(f"/cases/{ready.pseudonym}/").content.decode()
    )
    best = _chosen(people, ready)
    page = client.get(f"/cases/{ready.pseudonym}/").content.decode()
    assert best["hospital"]["en"] in page


def test_the_status_buttons_cannot_match_a_case_without_a_chosen_department(people, ready):
    from casebridge.web.cases.actions import do_change_status

    with pytest.raises(ActionError, match="choosing a department"):
        do_change_status(
            ready,
            acting_user=people.coordinator,
            status=workflow.MATCHED,
            expected_version=ready.version,
        )
    ready.refresh_from_db()
    assert ready.status == workflow.READY_FOR_REVIEW


def test_the_console_offers_no_matched_button_only_the_matching_section(client, people, ready):
    client.force_login(people.coordinator)
    page = client.get(f"/console/cases/{ready.pseudonym}/").content.decode()
    assert 'name="status" value="matched"' not in page and 'id="matching"' in page
