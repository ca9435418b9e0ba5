"""Issue 10: one case's many documents do not starve another case's single one
(the workers' own claim order), and one person's uploads are bounded per day
with a clear message that loses none of their other files."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tasks_db.models import DBTaskResult

from casebridge.web.cases.actions import do_give_consent, do_upload_document
from casebridge.web.cases.models import Document
from casebridge.web.cases.quota import check_upload_quota, used_today
from casebridge.web.cases.tasks import process_document
from tests.web.records import PATHOLOGY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


def _upload(case, person, name: str, data: bytes) -> Document:
    return do_upload_document(case, acting_user=person, file_name=name, data=data)


def _claim_order() -> list[int]:
    """Document ids in the order a db_worker claims their tasks (its queryset)."""
    return [int(t.args_kwargs["args"][0]) for t in DBTaskResult.objects.ready()]


def test_a_case_with_many_queued_documents_does_not_starve_another_cases_single_one(
    people, case, other_case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        many = [
            _upload(case, people.owner, f"page {n}.txt", f"{PATHOLOGY}{n}".encode())
            for n in range(6)
        ]
    with django_capture_on_commit_callbacks(execute=True):
        single = _upload(other_case, people.outsider, "letter.txt", PATHOLOGY.encode())
    order = _claim_order()
    assert order[:2] == [many[0].pk, single.pk]  # the other case waits for one, not six
    assert order[2:] == [d.pk for d in many[1:]]  # the busy case's own order is kept


def test_the_fair_order_is_what_the_worker_follows(
    people, case, other_case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            _upload(case, people.owner, f"page {n}.txt", f"{PATHOLOGY}{n}".encode())
    with django_capture_on_commit_callbacks(execute=True):
        single = _upload(other_case, people.outsider, "letter.txt", PATHOLOGY.encode())
    read: list[int] = []
    while (task := DBTaskResult.objects.ready().first()) is not None:
        document_id = int(task.args_kwargs["args"][0])
        process_document.call(document_id)
        task.delete()
        read.append(document_id)
    assert read.index(single.pk) == 1
    assert Document.objects.filter(state=Document.State.PROCESSED).count() == 4


def test_the_upload_quota_counts_one_persons_files_and_bytes_over_24_hours(people, case):
    _upload(case, people.owner, "a.txt", PATHOLOGY.encode())
    _upload(case, people.owner, "b.txt", PATHOLOGY.encode() + b"b")
    # the file name is sealed: found by reading, not by a filter
    first = next(d.pk for d in Document.objects.all() if d.file_name == "a.txt")
    Document.objects.filter(pk=first).update(
        created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)
    )
    assert used_today(people.owner) == (1, len(PATHOLOGY) + 1)
    assert used_today(people.family) == (0, 0)


def test_a_file_past_the_daily_number_of_files_is_refused_naming_the_limit(people, case, settings):
    settings.UPLOAD_FILES_PER_DAY = 1
    _upload(case, people.owner, "a.txt", PATHOLOGY.encode())
    with pytest.raises(Exception, match=r"'b.txt' was not added: you have added 1 files") as error:
        check_upload_quota(people.owner, "b.txt", 10)
    assert "the most one person can add in a day (1)" in str(error.value)
    check_upload_quota(people.family, "b.txt", 10)  # another person's quota is their own


def test_an_upload_past_the_quota_says_why_and_keeps_the_files_that_fit(
    client, people, case, settings
):
    settings.UPLOAD_MB_PER_DAY = 1
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    files = [
        SimpleUploadedFile("histology.txt", PATHOLOGY.encode()),
        SimpleUploadedFile("scan.txt", b"Clinic letter. " * 70_000),  # 1.05 MB
        SimpleUploadedFile("letter.txt", b"Dear GP, the patient is well.\n" * 10),
    ]
    response = client.post(
        f"/cases/{case.pseudonym}/documents/", {"files": files}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    answers = {f["name"]: f for f in response.json()["files"]}
    assert answers["histology.txt"]["added"] and answers["letter.txt"]["added"]
    assert not answers["scan.txt"]["added"]
    assert answers["scan.txt"]["error"].startswith("'scan.txt' was not added: with it, the files")
    assert "over the 1 MB one person can add in a day" in answers["scan.txt"]["error"]
    assert sorted(d.file_name for d in Document.objects.all()) == [  # sealed: read, not selected
        "histology.txt",
        "letter.txt",
    ]
    page = client.post(
        f"/cases/{case.pseudonym}/documents/",
        {"files": [SimpleUploadedFile("scan.txt", b"Clinic letter. " * 70_000)]},
        follow=True,
    ).content.decode()
    assert "was not added: with it, the files you added in the last 24 hours" in page
