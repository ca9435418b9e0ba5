"""The patient's own questions (issue 12): collected from the enquiry and from
their notes, typed, edited and put in order on their own page, screened for
emergencies, and carried into the summary the specialists read."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from casebridge.engine.render.summary import build_summary
from casebridge.web.cases import workflow
from casebridge.web.cases.actions import do_create_case, do_upload_document
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.lib import engine_case
from casebridge.web.cases.models import AuditEvent, Case, PatientQuestion
from casebridge.web.cases.questions import (
    MAX_LENGTH,
    do_add_question,
    do_edit_question,
    do_move_question,
    do_remove_question,
    questions_of,
)
from casebridge.web.cases.tasks import process_document
from tests.web.conftest import switch_language

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

NOTE = Path(__file__).resolve().parents[2] / "examples/breast-her2/my questions for the doctors.txt"


def _texts(case: Case) -> list[str]:
    return [q.text for q in questions_of(Case.objects.get(pk=case.pk))]


def _summary_text(case: Case) -> str:
    """What the summary's lines say (not its list of sources)."""
    summary = build_summary(engine_case(Case.objects.get(pk=case.pk)), "en")
    return " ".join(
        span.text
        for section in summary.sections
        for line in section.lines
        for part in line.parts
        for span in part.spans
    )


def test_a_case_opened_from_an_enquiry_lists_its_questions_one_a_line_in_order(people):
    case = do_create_case(
        acting_user=people.owner,
        owner=people.owner,
        intake={"questions": "1. Is surgery first an option?\n\n2) Do I need chemotherapy?\n"},
    )
    assert _texts(case) == ["Is surgery first an option?", "Do I need chemotherapy?"]
    assert {q.origin for q in questions_of(case)} == {"enquiry"}
    assert engine_case(case).intake["questions"] == _texts(case)


def test_the_patient_adds_edits_orders_and_removes_questions_each_on_record(people, case):
    first = do_add_question(case, acting_user=people.owner, text="  Is surgery   first an option? ")
    second = do_add_question(case, acting_user=people.owner, text="Do I need radiotherapy?")
    assert _texts(case) == ["Is surgery first an option?", "Do I need radiotherapy?"]
    do_move_question(case, acting_user=people.owner, question_id=second.pk, direction="up")
    assert _texts(case) == ["Do I need radiotherapy?", "Is surgery first an option?"]
    do_edit_question(
        case, acting_user=people.owner, question_id=first.pk, text="Could I have surgery first?"
    )
    do_remove_question(case, acting_user=people.owner, question_id=second.pk)
    assert _texts(case) == ["Could I have surgery first?"]
    assert engine_case(Case.objects.get(pk=case.pk)).intake["questions"] == _texts(case)
    actions = list(
        AuditEvent.objects.filter(case=case, action__startswith="question.").values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "question.added",
        "question.added",
        "question.moved",
        "question.edited",
        "question.removed",
    ]


def test_the_specialists_summary_quotes_the_list_in_its_order(people, case):
    do_add_question(case, acting_user=people.owner, text="Second in my mind, first typed?")
    top = do_add_question(case, acting_user=people.owner, text="Could I keep my breast?")
    do_move_question(case, acting_user=people.owner, question_id=top.pk, direction="up")
    text = _summary_text(case)
    assert text.index("Could I keep my breast?") < text.index("Second in my mind, first typed?")


def test_questions_in_the_patients_own_note_are_offered_and_added_with_their_source(
    client, people, case
):
    document = do_upload_document(
        case, acting_user=people.owner, file_name=NOTE.name, data=NOTE.read_bytes()
    )
    process_document.call(document.pk)
    client.force_login(people.owner)
    page = client.get(reverse("portal:questions", args=[case.pseudonym]))
    assert page.status_code == 200
    offered = page.context["suggestions"]
    assert len(offered) == 7 and offered[0].document_id == document.pk and offered[0].page == 1
    assert offered[3].text == "Could I keep my breast (lumpectomy) instead of a mastectomy?"
    response = client.post(
        reverse("portal:questions_change", args=[case.pseudonym]),
        {"action": "add", "text": offered[3].text, "document": document.pk, "page": 1},
    )
    assert response.status_code == 302
    added = PatientQuestion.objects.get(case=case)
    assert (added.origin, added.document_id, added.page) == ("document", document.pk, 1)
    again = client.get(reverse("portal:questions", args=[case.pseudonym]))
    assert len(again.context["suggestions"]) == 6  # the one added is no longer offered
    # the summary quotes it once, though it is both on the list and in the note
    assert _summary_text(case).count("Could I keep my breast (lumpectomy)") == 1


def test_a_question_naming_an_emergency_pauses_the_case_as_a_message_does(people, case):
    case.status = workflow.COLLECTING_RECORDS
    case.save(update_fields=["status"])
    do_add_question(
        case,
        acting_user=people.owner,
        text="I coughed up a cupful of blood this morning, is that the cancer?",
    )
    case.refresh_from_db()
    assert case.status == workflow.PAUSED_SAFETY and case.paused
    paused = AuditEvent.objects.get(case=case, action="case.paused_for_safety")
    assert paused.after["from"] == "question"


def test_an_empty_a_too_long_and_a_repeated_question_are_refused_and_nothing_is_lost(people, case):
    do_add_question(case, acting_user=people.owner, text="Is surgery first an option?")
    with pytest.raises(ActionError, match="Write the question"):
        do_add_question(case, acting_user=people.owner, text="   ")
    with pytest.raises(ActionError, match=f"up to {MAX_LENGTH} characters"):
        do_add_question(case, acting_user=people.owner, text="why " * MAX_LENGTH)
    with pytest.raises(ActionError, match="already on the list"):
        do_add_question(case, acting_user=people.owner, text="is surgery first an option")
    assert _texts(case) == ["Is surgery first an option?"]


def test_a_relative_who_may_add_records_may_change_the_list_and_one_who_may_not_only_reads_it(
    client, people, case
):
    from casebridge.web.cases.models import CaseMember

    do_add_question(case, acting_user=people.owner, text="Is surgery first an option?")
    client.force_login(people.family)  # the fixture's relative may upload
    client.post(
        reverse("portal:questions_change", args=[case.pseudonym]),
        {"action": "add", "text": "What about her heart?"},
    )
    assert _texts(case) == ["Is surgery first an option?", "What about her heart?"]
    CaseMember.objects.filter(case=case, user=people.family).update(can_upload=False)
    page = client.get(reverse("portal:questions", args=[case.pseudonym]))
    assert page.status_code == 200 and "What about her heart?" in page.text
    assert "Add to my list" not in page.text
    refused = client.post(
        reverse("portal:questions_change", args=[case.pseudonym]),
        {"action": "add", "text": "One more?"},
    )
    assert refused.status_code == 404
    assert len(_texts(case)) == 2


def test_someone_elses_questions_are_not_found(client, people, case):
    do_add_question(case, acting_user=people.owner, text="Is surgery first an option?")
    client.force_login(people.outsider)
    assert client.get(reverse("portal:questions", args=[case.pseudonym])).status_code == 404


def test_the_overview_counts_the_questions_and_links_to_the_list(client, people, case):
    do_add_question(case, acting_user=people.owner, text="Is surgery first an option?")
    client.force_login(people.owner)
    page = client.get(reverse("portal:case", args=[case.pseudonym])).text
    assert "1 question" in page and "Is surgery first an option?" not in page
    assert reverse("portal:questions", args=[case.pseudonym]) in page
    listing = client.get(reverse("portal:questions", args=[case.pseudonym])).text
    assert "Is surgery first an option?" in listing


def test_the_questions_page_reads_in_chinese(client, people, case, settings):
    do_add_question(case, acting_user=people.owner, text="Is surgery first an option?")
    client.force_login(people.owner)
    switch_language(client, "zh-hans")
    page = client.get(reverse("portal:questions", args=[case.pseudonym])).text
    assert "您想问专家的问题" in page and "上移" not in page  # one question: nothing to move
    assert "添加到我的问题" in page
