"""More of a relative's pages name the patient rather than "your" (issue 12):
the home page's list, the overview's sections, the questions' buttons, a
document's original file, and the messages' urgent-care note; in English and
Chinese. The patient's own pages still say "your"."""

from __future__ import annotations

import html
import re

import pytest
from django.core.cache import cache

from casebridge.web.cases.actions import do_give_consent, do_upload_document

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


@pytest.fixture(autouse=True)
def _named(people) -> None:
    cache.clear()
    people.owner.full_name = "Alice Smith"
    people.owner.save()


def _page(client, user, path: str, lang: str = "en") -> str:
    user.preferred_language = lang
    user.save()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(path)
    assert response.status_code == 200, path
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def test_a_relatives_home_page_lists_cases_they_follow_by_the_patients_name(client, people, case):
    page = _page(client, people.family, "/")
    assert "<h1>Cases you follow</h1>" in page and "Alice's case · " in page
    assert "<h1>Your cases</h1>" not in page
    zh = _page(client, people.family, "/", "zh")
    assert "<h1>您关注的病例</h1>" in zh and "Alice 的病例 · " in zh
    patient = _page(client, people.owner, "/")
    assert "<h1>Your cases</h1>" in patient and "Alice's case" not in patient


def test_someone_with_a_case_of_their_own_and_one_they_follow_sees_both_named(
    client, people, case, other_case
):
    from casebridge.web.cases.actions import do_invite_member

    do_invite_member(case, acting_user=people.owner, email=people.outsider.email)
    page = _page(client, people.outsider, "/")
    assert "<h1>Your cases and your family's</h1>" in page and "Alice's case · " in page


def test_a_relatives_overview_names_the_patients_case_and_questions(client, people, case):
    path = f"/cases/{case.pseudonym}/"
    page = _page(client, people.family, path)
    assert "Alice's case, section by section" in page
    assert "Alice's questions for the specialists" in page
    assert "Alice has not yet given consent" in page or "Alice needs to give consent" in page
    for patients_words in ("Your case, section by section", "Your questions", "Your next step"):
        assert patients_words not in page
    zh = _page(client, people.family, path, "zh")
    assert "Alice 的病例，分部分查看" in zh and "Alice 想问专家的问题" in zh
    assert "您的病例，分部分查看" not in zh
    patient = _page(client, people.owner, path)
    assert "Your case, section by section" in patient
    assert "Your questions for the specialists" in patient


def test_a_relative_adds_a_question_to_the_patients_list(client, people, case):
    path = f"/cases/{case.pseudonym}/questions/"
    page = _page(client, people.family, path)
    assert "Add to Alice's list" in page and "Add to my list" not in page
    zh = _page(client, people.family, path, "zh")
    assert "添加到 Alice 的问题清单" in zh and "添加到我的问题清单" not in zh
    assert "Add to my list" in _page(client, people.owner, path)


def test_a_relative_opens_the_file_as_sent_not_their_own_copy(client, people, case):
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    doc = do_upload_document(
        case, acting_user=people.owner, file_name="letter.txt", data=b"Clinic letter, 1 March"
    )
    path = f"/cases/{case.pseudonym}/documents/{doc.pk}/"
    page = _page(client, people.family, path)
    assert "Open the file as it was sent" in page and "kept on Alice's case" in page
    assert "Open the file you sent" not in page and "your own copy" not in page
    zh = _page(client, people.family, path, "zh")
    assert "这是 Alice 的病例中保存的文件" in zh and "您自己的副本" not in zh
    patient = _page(client, people.owner, path)
    assert "Open the file you sent" in patient and "your own copy" in patient


def test_a_relatives_messages_page_speaks_of_the_patient_feeling_unwell(client, people, case):
    case.members.filter(user=people.family).update(can_message=True)
    case.coordinator = people.coordinator
    case.save()
    path = f"/cases/{case.pseudonym}/messages/"
    page = _page(client, people.family, path)
    assert "If Alice feels unwell, call their acute oncology helpline" in page
    assert "The coordinator, carol, reads these messages." in page
    assert "your cancer team" not in page and "Your coordinator" not in page
    zh = _page(client, people.family, path, "zh")
    assert "如果 Alice 感到身体不适" in zh and "您的急性肿瘤" not in zh
    patient = _page(client, people.owner, path)
    assert "If you feel unwell, call your acute oncology helpline" in patient


def test_a_relatives_records_page_names_who_must_give_consent(client, people, case):
    page = _page(client, people.family, f"/cases/{case.pseudonym}/documents/")
    assert "Alice has not yet given consent, so records cannot be added yet." in page
    zh = _page(client, people.family, f"/cases/{case.pseudonym}/documents/", "zh")
    assert "Alice 尚未给予同意" in zh and "患者尚未给予同意" not in zh
