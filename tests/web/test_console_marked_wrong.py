"""A fact marked wrong in the console stays in sight, in a collapsed "Marked
wrong" group of the facts page, and can be restored: it is back among the facts
and in the summary, the restore is audited with the person's name, a second
restore is refused in words, and no one but staff who may correct the case's
facts can do it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from casebridge.engine.case import Case as EngineCase
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.models import AuditEvent, CasePack, FactCorrection
from casebridge.web.console.actions import do_restore_marked_wrong_fact
from tests.web.records import stored_pack
from tests.web.test_console_case import LETTER, PATHOLOGY, _facts, _post, _processed

pytestmark = pytest.mark.django_db

REASON = "The grade is from the old biopsy, not this one."


def _marked_wrong(client, people, case):
    """The pathology report read, and its grade marked wrong by the coordinator."""
    _processed(case, people.owner, "histology.txt", PATHOLOGY)
    grade = _facts(case)["grade"][0]
    client.force_login(people.coordinator)
    data = {"mode": "reject", "fact_id": grade.id, "reason": REASON}
    response = _post(client, "correct_fact", case, {**data, "expected_version": case.version})
    assert response.status_code == 302
    assert "grade" not in _facts(case)
    return grade


def _restore(client, case, fact_id: str):
    case.refresh_from_db()
    data = {"fact_id": fact_id, "expected_version": case.version}
    return _post(client, "restore_marked_wrong", case, data)


def _section(client, case, name: str) -> str:
    url = reverse("console:case", args=[case.pseudonym]) + f"?section={name}"
    response = client.get(url, secure=True)
    assert response.status_code == 200
    return response.content.decode()


def _summary_grade(client, case) -> str:
    """The Grade line of the English summary, tags left out."""
    url = reverse("console:case_output", args=[case.pseudonym, "summary.en.html"])
    html = client.get(url, secure=True).content.decode()
    row = re.search(r"<tr[^>]*><th>Grade</th><td>(.*?)</td></tr>", html)
    assert row is not None
    return re.sub(r"<sup.*?</sup>", "", row.group(1))


def test_a_fact_marked_wrong_is_listed_in_its_group_with_its_restore_button(client, people, case):
    grade = _marked_wrong(client, people, case)
    page = _section(client, case, "facts")
    group = page[page.index('<details id="marked-wrong"') :]
    group = group[: group.index("</details>")]
    assert "Marked wrong (1 fact)" in group
    assert f'id="wrong-{grade.id}"' in group
    assert "Grade" in group and "histology.txt, page 1" in group
    assert people.coordinator.display_name in group and REASON in group
    assert reverse("console:restore_marked_wrong", args=[case.pseudonym]) in group
    assert f'name="fact_id" value="{grade.id}"' in group and "csrfmiddlewaretoken" in group
    assert '<details id="marked-wrong" class="marked-wrong">' in page  # collapsed
    # not among the facts above it
    assert f'id="fact-{grade.id}"' not in page


def test_a_fact_marked_wrong_stays_in_its_group_when_another_record_is_read(client, people, case):
    grade = _marked_wrong(client, people, case)
    _processed(case, people.owner, "clinic letter.txt", LETTER)
    assert [f.id for f in EngineCase.from_dict(case.engine).rejected_facts] == [grade.id]
    assert f'id="wrong-{grade.id}"' in _section(client, case, "facts")
    assert _restore(client, case, grade.id).status_code == 302
    assert [f.id for f in _facts(case)["grade"]] == [grade.id]


def test_a_facts_page_without_a_fact_marked_wrong_has_no_such_group(client, people, case):
    _processed(case, people.owner, "histology.txt", PATHOLOGY)
    client.force_login(people.coordinator)
    assert 'id="marked-wrong"' not in _section(client, case, "facts")


def test_restoring_puts_the_fact_back_in_the_list_and_in_the_summary(client, people, case):
    grade = _marked_wrong(client, people, case)
    assert _summary_grade(client, case) == "not stated"
    response = _restore(client, case, grade.id)
    assert response.status_code == 302 and f"#fact-{grade.id}" in response["Location"]
    back = _facts(case)["grade"]
    assert [f.id for f in back] == [grade.id] and back[0].corrected_by is None
    assert EngineCase.from_dict(case.engine).rejected_facts == []
    assert not FactCorrection.objects.exists()
    page = client.get(response["Location"], secure=True).content.decode()
    assert "The fact is back among the facts" in page
    assert f'id="fact-{grade.id}"' in page and 'id="marked-wrong"' not in page
    assert _summary_grade(client, case).startswith("grade 2")


def test_restoring_keeps_an_earlier_correction_of_the_fact(client, people, case):
    _processed(case, people.owner, "histology.txt", PATHOLOGY)
    her2 = _facts(case)["her2_ihc"][0]
    client.force_login(people.coordinator)
    for data in (
        {"mode": "value", "value": "3+", "reason": "Repeat IHC."},
        {"mode": "reject", "reason": "Not this tumour."},
    ):
        case.refresh_from_db()
        data = {**data, "fact_id": her2.id, "expected_version": case.version}
        assert _post(client, "correct_fact", case, data).status_code == 302
    assert _restore(client, case, her2.id).status_code == 302
    back = _facts(case)["her2_ihc"][0]
    assert back.value == "3+" and back.original_value is not None
    assert FactCorrection.objects.get().value == "3+"


def test_the_restore_is_audited_with_the_person_and_the_mark_it_undid(client, people, case):
    grade = _marked_wrong(client, people, case)
    stored_pack(case, people.coordinator, state="ready")
    assert _restore(client, case, grade.id).status_code == 302
    event = AuditEvent.objects.get(action="fact.wrong_mark_undone")
    assert event.actor == people.coordinator
    assert event.before["fact_id"] == grade.id and event.before["kind"] == "grade"
    [mark] = event.before["corrections"]
    assert mark["rejected"] is True and mark["reason"] == REASON
    assert mark["by"] == people.coordinator.display_name
    # the pack waiting for approval is replaced, as after any correction
    assert CasePack.objects.get().state == CasePack.State.SUPERSEDED
    superseded = AuditEvent.objects.get(action="pack.superseded")
    assert superseded.after["why"] == "a fact marked wrong was restored"
    history = _section(client, case, "history")
    assert (
        f"{people.coordinator.display_name} restored a fact that had been marked as wrong"
        in " ".join(history.split())
    )


def test_a_fact_a_person_added_then_marked_wrong_comes_back_as_theirs(client, people, case):
    """No document gives it again: its adding (a correction that stays) does."""
    _processed(case, people.owner, "histology.txt", PATHOLOGY)
    client.force_login(people.coordinator)
    case.refresh_from_db()
    added = {"mode": "add", "kind": "allergy", "value": "penicillin", "reason": "GP letter."}
    response = _post(client, "correct_fact", case, {**added, "expected_version": case.version})
    assert response.status_code == 302
    (fact,) = _facts(case)["allergy"]
    case.refresh_from_db()
    data = {"mode": "reject", "fact_id": fact.id, "reason": "Another patient's letter."}
    response = _post(client, "correct_fact", case, {**data, "expected_version": case.version})
    assert response.status_code == 302
    assert "allergy" not in _facts(case)
    assert f'id="wrong-{fact.id}"' in _section(client, case, "facts")
    assert _restore(client, case, fact.id).status_code == 302
    (back,) = _facts(case)["allergy"]
    assert (back.id, back.value, back.source) == (fact.id, "penicillin", None)
    assert back.found_by == f"person:{people.coordinator.display_name}"
    assert [c.kind for c in FactCorrection.objects.all()] == ["allergy"]  # the adding stays


def test_the_history_names_the_fact_marked_wrong_and_its_earlier_correction(client, people, case):
    _processed(case, people.owner, "histology.txt", PATHOLOGY)
    her2 = _facts(case)["her2_ihc"][0]
    client.force_login(people.coordinator)
    for data in (
        {"mode": "value", "value": "3+", "reason": "Repeat IHC."},
        {"mode": "reject", "reason": "Not this tumour."},
    ):
        case.refresh_from_db()
        data = {**data, "fact_id": her2.id, "expected_version": case.version}
        assert _post(client, "correct_fact", case, data).status_code == 302
    history = " ".join(_section(client, case, "history").split())
    corrections = history[history.index("<h3>Corrections</h3>") :]
    corrections = corrections[: corrections.index("</ul>")]
    assert "marked HER2 IHC score as wrong — Not this tumour." in corrections, corrections
    assert "set HER2 IHC score to “3+” — Repeat IHC." in corrections, corrections
    assert "marked a fact as wrong" not in corrections


def test_a_second_restore_is_refused_clearly_and_changes_nothing(client, people, case):
    grade = _marked_wrong(client, people, case)
    assert _restore(client, case, grade.id).status_code == 302
    case.refresh_from_db()
    version = case.version
    response = _restore(client, case, grade.id)
    assert response.status_code == 400
    assert "This fact is not marked as wrong (someone may have restored it already)" in (
        response.content.decode()
    )
    case.refresh_from_db()
    assert case.version == version
    assert AuditEvent.objects.filter(action="fact.wrong_mark_undone").count() == 1
    with pytest.raises(ActionError, match="not marked as wrong"):
        do_restore_marked_wrong_fact(
            case, acting_user=people.coordinator, fact_id=grade.id, expected_version=version
        )


def test_a_restore_sent_from_a_page_left_open_is_refused_as_a_conflict(client, people, case):
    grade = _marked_wrong(client, people, case)
    case.refresh_from_db()
    stale = {"fact_id": grade.id, "expected_version": case.version - 1}
    response = _post(client, "restore_marked_wrong", case, stale)
    assert response.status_code == 409
    assert FactCorrection.objects.filter(rejected=True).exists()


@pytest.mark.parametrize("role", ["owner", "family", "reviewer", "outsider"])
def test_no_one_but_staff_can_restore_a_fact_marked_wrong(client, people, case, role):
    grade = _marked_wrong(client, people, case)
    client.force_login(getattr(people, role))
    assert _restore(client, case, grade.id).status_code == 404
    assert FactCorrection.objects.filter(rejected=True, fact_id=grade.id).exists()
    assert not AuditEvent.objects.filter(action="fact.wrong_mark_undone").exists()
    with pytest.raises(Exception) as refused:  # noqa: PT011 - the gate's Http404 or PermissionDenied
        do_restore_marked_wrong_fact(
            case, acting_user=getattr(people, role), fact_id=grade.id, expected_version=case.version
        )
    assert type(refused.value).__name__ in {"Http404", "PermissionDenied"}


def test_the_marked_wrong_group_reads_in_chinese_for_a_coordinator_who_reads_chinese(
    client, people, case
):
    _marked_wrong(client, people, case)
    people.coordinator.preferred_language = "zh"
    people.coordinator.save(update_fields=["preferred_language"])
    page = _section(client, case, "facts")
    group = page[page.index('<details id="marked-wrong"') :]
    group = group[: group.index("</details>")]
    assert "已标记为错误（1 项）" in group and "恢复" in group
    assert "Marked wrong" not in group and "Restore" not in group
