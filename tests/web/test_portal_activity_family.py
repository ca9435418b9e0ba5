"""The patient's "who opened my case" names her relatives as family, puts the
invitation's openings down to the person invited, and counts things added
("added 2 documents", not "added a document 2 times") (issue 12)."""

from __future__ import annotations

import re

import pytest

from casebridge.web.cases import audit
from casebridge.web.cases.actions import do_invite_member, do_upload_document
from casebridge.web.portal.actions.family import do_record_invitation_opened

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


def _page(client, user, case, lang: str = "en") -> str:
    user.preferred_language = lang
    user.save()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(f"/cases/{case.pseudonym}/activity/")
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def david(people, case):
    member = do_invite_member(case, acting_user=people.owner, email="david.wang@example.com")
    member.user.full_name = "David Wang"
    member.user.save()
    return member


def test_a_son_invited_on_an_ordinary_account_is_labelled_family_not_patient(
    client, people, case, david
):
    audit.record(david.user, case, "case.read")
    page = _page(client, people.owner, case)
    assert "David Wang (Family member)" in page
    assert "David Wang (Patient)" not in page
    zh = _page(client, people.owner, case, "zh")
    assert "David Wang（家人）" in zh and "（患者）" not in zh


def test_the_invitations_openings_are_put_down_to_the_person_invited(client, people, case, david):
    for _ in range(3):
        do_record_invitation_opened(david)
    page = _page(client, people.owner, case)
    assert "David Wang, whom you invited</strong> — opened the invitation link 3 times" in page
    assert "Someone not signed in" not in page
    others = page[page.index("Other people") : page.index("You and your family")]
    assert "invitation" not in others
    zh = _page(client, people.owner, case, "zh")
    assert "您邀请的 David Wang" in zh and "打开了邀请链接" in zh and "未登录" not in zh


def test_two_documents_added_read_as_two_documents_added(client, people, case):
    for n in (1, 2):
        do_upload_document(case, acting_user=people.family, file_name=f"r{n}.txt", data=b"x%d" % n)
    page = _page(client, people.owner, case)
    assert "added 2 documents on" in page and "added a document 2 times" not in page
    zh = _page(client, people.owner, case, "zh")
    assert "添加了 2 份文件" in zh and "添加了文件 2 次" not in zh


def test_the_same_document_opened_twice_still_reads_as_two_times(client, people, case):
    for _ in range(2):
        audit.record(people.family, case, "document.read", obj=people.family)
    page = _page(client, people.owner, case)
    assert "opened a document 2 times" in page
