"""Pages that list documents or facts ask the database the same number of
questions whether a case holds 3 documents or 30: no query per document, per
fact or per case in a list. Each page is loaded once to warm the session, then
counted with CaptureQueriesContext (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casebridge.web.cases.actions import (
    do_add_note,
    do_correct_fact,
    do_create_case,
    do_give_consent,
    do_invite_member,
    do_send_message,
    do_upload_document,
)
from casebridge.web.cases.models import AuditEvent, Document
from casebridge.web.cases.tasks import process_document
from casebridge.web.console.actions import do_close_record_request, do_request_records
from casebridge.web.portal.actions.documents import do_flag_document_type

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

FEW, MANY = 3, 30


def _record(index: int) -> tuple[str, str]:
    """A unique record: a pathology report, a CT report or a clinic letter."""
    day, month = 1 + index % 28, 1 + index % 12
    if index % 3 == 0:
        return f"histology-{index}.txt", (
            f"HISTOPATHOLOGY REPORT\nReport number H{index:05d}\n"
            f"Date of report: {day:02d}/{month:02d}/2024\n"
            "Specimen: Left breast core biopsy.\n"
            f"Diagnosis: Invasive ductal carcinoma (NST), grade {1 + index % 3}.\n"
            f"ER positive (Allred {4 + index % 5}/8). PR positive. HER2 IHC 3+ (positive).\n"
        )
    if index % 3 == 1:
        return f"ct-{index}.txt", (
            f"CT THORAX, ABDOMEN AND PELVIS\nAccession R{index:05d}\n"
            f"Date: {day:02d}/{month:02d}/2024\n"
            f"Findings: a {2 + index % 6} mm nodule in the left lower lobe, unchanged.\n"
        )
    return f"letter-{index}.txt", (
        f"Breast Clinic\nDate: {day:02d}/{month:02d}/2024\nReference L{index:05d}\n"
        "Dear Dr Smith,\nWe saw your patient in clinic today to discuss the biopsy results.\n"
        f"Plan: MDT discussion next week. Weight {55 + index} kg.\n"
    )


def _case_with(people, documents: int):
    """The owner's case with `documents` processed records, some flagged or
    failed, a correction, messages, notes and record requests (open and
    closed): every kind of row the pages list grows with the case."""
    case = do_create_case(acting_user=people.owner, owner=people.owner, programme="oncology")
    do_invite_member(case, acting_user=people.owner, email=people.family.email, can_upload=True)
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    rows = []
    for index in range(documents):
        name, text = _record(index)
        uploader = people.owner if index % 2 else people.family
        doc = do_upload_document(case, acting_user=uploader, file_name=name, data=text.encode())
        process_document.call(doc.pk)
        rows.append(doc)
    for doc in rows[::3]:
        do_flag_document_type(case, acting_user=people.owner, document=doc, note="wrong")
    for doc in Document.objects.filter(pk__in=[d.pk for d in rows[1::4]]):
        # saved, not update(): the reasons are sealed with the case's key
        doc.state, doc.reasons = Document.State.NEEDS_ATTENTION, ["A page could not be read."]
        doc.save(update_fields=["state", "reasons"])
    case.refresh_from_db()
    fact = next(f for f in case.engine["facts"] if f.get("source"))
    do_correct_fact(
        case,
        acting_user=people.coordinator,
        reason="checked",
        expected_version=case.version,
        fact_id=fact["id"],
        context="historical",
    )
    for index in range(min(documents, 5)):
        do_send_message(case, acting_user=people.owner, body=f"Question {index}")
        do_add_note(case, acting_user=people.coordinator, body=f"Note {index}")
        asked = do_request_records(case, acting_user=people.coordinator, title=f"Record {index}")
        if index < 2:  # some closed (received, no longer needed), the rest still open
            closing = ("done", "cancelled")[index]
            do_close_record_request(asked, acting_user=people.admin, state=closing)
    case.refresh_from_db()
    assert Document.objects.filter(case=case).count() == documents
    return case


@pytest.fixture
def cases(people):
    """(a case with FEW documents, a case with MANY), both the owner's."""
    return _case_with(people, FEW), _case_with(people, MANY)


def _count(client, url: str) -> tuple[int, list[str]]:
    first = client.get(url)
    assert first.status_code == 200, (url, first.status_code)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), [q["sql"] for q in queries.captured_queries]


def _same_count(client, user, url_of) -> int:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    few, few_sql = _count(client, url_of(0))
    many, many_sql = _count(client, url_of(1))
    assert few == many, "\n".join(["FEW:", *few_sql, "MANY:", *many_sql])
    return many


def test_the_workspace_asks_as_many_queries_for_30_documents_as_for_3(client, people, cases):
    for who in ("owner", "family", "coordinator"):
        url_of = lambda i: f"/cases/{cases[i].pseudonym}/"  # noqa: E731
        assert _same_count(client, getattr(people, who), url_of) <= 15, who


def test_the_workspaces_other_pages_do_not_grow_with_the_documents(client, people, cases):
    for page in ("documents/", "documents/list/", "activity/", "messages/", "consent/"):
        _same_count(client, people.owner, lambda i: f"/cases/{cases[i].pseudonym}/{page}")  # noqa: B023


def test_a_documents_text_and_a_facts_source_do_not_grow_with_the_documents(client, people, cases):
    docs = [Document.objects.filter(case=c).order_by("pk").first() for c in cases]
    _same_count(
        client, people.owner, lambda i: f"/cases/{cases[i].pseudonym}/documents/{docs[i].pk}/"
    )
    facts = [next(f for f in c.engine["facts"] if f.get("source"))["id"] for c in cases]
    _same_count(client, people.owner, lambda i: f"/cases/{cases[i].pseudonym}/facts/{facts[i]}/")


def test_the_console_case_page_asks_as_many_queries_for_30_documents_as_for_3(
    client, people, cases
):
    count = _same_count(
        client, people.coordinator, lambda i: f"/console/cases/{cases[i].pseudonym}/"
    )
    # 20, and the audited read's place in the chain: the newest row (and on
    # PostgreSQL the chain's advisory lock, a statement of its own).
    assert count <= 22


def test_the_console_queue_does_not_grow_with_documents_or_cases(client, people, cases):
    client.force_login(people.coordinator, backend="django.contrib.auth.backends.ModelBackend")
    two, _ = _count(client, "/console/")
    for _ in range(4):
        _case_with(people, 2)
    six, sql = _count(client, "/console/")
    assert two == six, "\n".join(sql)
    assert six <= 10


def test_the_home_page_lists_my_cases_without_a_query_per_case(client, people, cases):
    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    two, _ = _count(client, "/")
    do_create_case(acting_user=people.owner, owner=people.owner)
    three, sql = _count(client, "/")
    assert two == three, "\n".join(sql)


def test_a_page_view_writes_one_audit_row_not_one_per_document(client, people, cases):
    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    many = cases[1]
    before = AuditEvent.objects.filter(case=many).count()
    assert client.get(f"/cases/{many.pseudonym}/").status_code == 200
    reads = AuditEvent.objects.filter(case=many).order_by("pk")[before:]
    assert [e.action for e in reads] == ["case.read"]
    client.force_login(people.coordinator, backend="django.contrib.auth.backends.ModelBackend")
    before = AuditEvent.objects.filter(case=many).count()
    assert client.get(f"/console/cases/{many.pseudonym}/").status_code == 200
    reads = AuditEvent.objects.filter(case=many).order_by("pk")[before:]
    assert [e.action for e in reads] == ["case.read"]


def test_the_reviewer_workspace_asks_few_queries_with_or_without_opinions(client, people, team):
    """The page 20 reviewers reload abroad: the gate's checks, the sent version,
    the team and its opinions; no engine JSON and no query per opinion."""
    from casebridge.web.cases.opinions import do_save_discipline_opinion, do_save_opinion_draft

    case, _best, _a, lead, onc, _idle = team
    client.force_login(lead)
    url = f"/review/cases/{case.pseudonym}/"
    before, before_sql = _count(client, url)
    assert not any('"engine"' in sql for sql in before_sql), "the engine JSON was loaded"
    do_save_discipline_opinion(
        case, acting_user=onc, fields={"agreement": "agree", "direction": "手术"}, submit=True
    )
    do_save_opinion_draft(
        case,
        acting_user=lead,
        fields={"summary": "同意", "agreement": "agree", "direction": "手术", "language": "zh"},
    )
    after, after_sql = _count(client, url)
    # one narrow question says no version exists yet; once one does, they are read
    assert after <= before + 1, "\n".join(after_sql)
    # PostgreSQL: two more, the audit row taking the case row and then the chain's lock
    assert before <= (16 if connection.vendor == "postgresql" else 14), "\n".join(before_sql)
