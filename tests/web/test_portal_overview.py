"""The case overview is short (issue 12): where things stand, the one next step
for this person now, and a line per section; each section has its own page
with a way back."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from casebridge.web.cases import workflow
from casebridge.web.cases.actions import do_give_consent, do_upload_document
from casebridge.web.cases.tasks import process_document
from casebridge.web.console.actions import do_request_records
from casebridge.web.portal.lib.wording import patient_name
from casebridge.web.portal.overview import next_step
from tests.web.conftest import switch_language
from tests.web.records import PATHOLOGY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

READ = SimpleNamespace(state="processed")


def _login(client, user) -> None:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


def _step(case, **given):
    facts = {
        "consent_given": True,
        "states": [READ],
        "record_requests": [],
        "matched": None,
        "is_owner": True,
        "may_consent": True,
        "may_upload": True,
        "may_approve": True,
        **given,
    }
    return next_step(case, **facts)


def _read_record(case, people) -> None:
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    doc = do_upload_document(
        case, acting_user=people.owner, file_name="histology.txt", data=PATHOLOGY.encode()
    )
    assert process_document.call(doc.pk) == "processed"


# -- the one next step ------------------------------------------------------------------


def test_without_consent_the_next_step_is_to_give_it(case):
    step = _step(case, consent_given=False, states=[])
    assert step.key == "consent" and step.url == f"/cases/{case.pseudonym}/consent/"
    assert step.label == "Give consent"


def test_a_relative_without_the_patients_consent_is_told_it_is_awaited(case):
    step = _step(case, consent_given=False, is_owner=False, may_consent=False)
    assert step.key == "wait_consent" and not step.url


def test_with_consent_and_no_records_the_next_step_is_to_upload_them(case):
    step = _step(case, states=[])
    assert step.key == "upload" and step.url == f"/cases/{case.pseudonym}/documents/"


def test_an_open_record_request_is_the_next_step_with_its_title(case):
    asked = [SimpleNamespace(title="CT scan report")]
    step = _step(case, record_requests=asked)
    assert step.key == "record_request" and "CT scan report" in step.text
    assert step.url == f"/cases/{case.pseudonym}/documents/#upload-form"


def test_a_pack_ready_to_approve_is_the_next_step(case):
    step = _step(case, matched={"pack_to_approve": True})
    assert step.key == "approve" and step.url == f"/cases/{case.pseudonym}/pack/"
    assert step.label == "See what would be sent"


def test_a_department_waiting_for_the_transfer_consent_is_the_next_step(case):
    step = _step(case, matched={"consent_needed": True})
    assert step.key == "transfer_consent" and step.label == "Read and give consent"


def test_a_released_opinion_is_the_next_step_before_anything_else(case):
    asked = [SimpleNamespace(title="CT scan report")]
    step = _step(
        case, matched={"opinion": object(), "pack_to_approve": True}, record_requests=asked
    )
    assert step.key == "opinion" and step.url == f"/cases/{case.pseudonym}/opinion/"


def test_otherwise_there_is_nothing_to_do_and_we_will_message_them(case):
    step = _step(case)
    assert step.key == "nothing" and not step.url and "send you a message" in step.text


def test_a_case_paused_for_safety_asks_nothing_but_its_banner(case):
    case.status = workflow.PAUSED_SAFETY
    assert _step(case, consent_given=False, states=[]).key == "nothing"


def test_someone_who_may_not_approve_is_not_sent_to_approve(case):
    step = _step(case, matched={"pack_to_approve": True}, may_approve=False)
    assert step.key == "nothing"


# -- the overview, as the person sees it ---------------------------------------------


def test_the_overview_shows_the_one_next_step_as_its_call_to_action(client, people, case):
    _login(client, people.owner)
    page = client.get(f"/cases/{case.pseudonym}/").content.decode()
    assert 'class="card next-step next-consent"' in page
    assert (
        f'<a class="button primary" href="/cases/{case.pseudonym}/consent/">Give consent</a>'
        in page
    )
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    page = client.get(f"/cases/{case.pseudonym}/").content.decode()
    assert "next-upload" in page and ">Add records</a>" in page
    do_request_records(case, acting_user=people.coordinator, title="Old MRI report", detail="")
    page = client.get(f"/cases/{case.pseudonym}/").content.decode()
    assert "next-record_request" in page and "Old MRI report" in page


def test_the_overview_lists_the_sections_with_their_state_not_their_content(client, people, case):
    _read_record(case, people)
    _login(client, people.owner)
    page = client.get(f"/cases/{case.pseudonym}/").content.decode()
    for url in ("documents/", "facts/", "timeline/", "missing/", "questions/"):
        assert f'href="/cases/{case.pseudonym}/{url}"' in page, url
    assert f'href="/cases/{case.pseudonym}/summary-and-downloads/"' in page
    assert "1 of 1 read" in page and "items found" in page
    # read, nothing asked, but essential records missing: adding them is the next step
    assert "next-missing" in page and "Add the missing records" in page
    # much shorter than before: no facts table, no timeline, no list of gaps
    assert "<table" not in page and 'class="timeline"' not in page
    assert 'class="gaps"' not in page and "histology.txt, page 1" not in page


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("facts/", "What your records say"),
        ("timeline/", "Timeline"),
        ("missing/", "Records that are missing"),
        ("summary-and-downloads/", "Summary and downloads"),
    ],
)
def test_each_section_has_its_own_page_with_a_way_back(client, people, case, path, heading):
    _read_record(case, people)
    _login(client, people.owner)
    response = client.get(f"/cases/{case.pseudonym}/{path}")
    page = response.content.decode()
    assert response.status_code == 200 and f">{heading}</h1>" in page
    assert f'<a href="/cases/{case.pseudonym}/">Back to the overview</a>' in page
    assert 'class="case-nav"' in page  # in the case's layout, under its nav


def test_the_sections_hold_what_the_overview_used_to(client, people, case):
    _read_record(case, people)
    _login(client, people.owner)
    base = f"/cases/{case.pseudonym}"
    facts = client.get(f"{base}/facts/").content.decode()
    assert "HER2" in facts and "histology.txt, page 1" in facts
    timeline = client.get(f"{base}/timeline/").content.decode()
    assert 'class="timeline"' in timeline or "No dated events yet." in timeline
    assert 'id="h-timeline"' in timeline
    missing = client.get(f"{base}/missing/").content.decode()
    assert 'class="gaps"' in missing and "Ready-to-send request letters" in missing


def test_a_relatives_section_pages_name_the_patient(client, people, case):
    _read_record(case, people)
    _login(client, people.family)
    page = client.get(f"/cases/{case.pseudonym}/facts/").content.decode()
    assert f"What {patient_name(case)}&#x27;s records say</h1>" in page


def test_the_old_address_of_every_fact_goes_to_the_facts_page(client, people, case):
    _login(client, people.owner)
    response = client.get(f"/cases/{case.pseudonym}/?facts=all")
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pseudonym}/facts/"
    response = client.get(f"/cases/{case.pseudonym}/?facts=all&page=2")
    assert response["Location"] == f"/cases/{case.pseudonym}/facts/?page=2"


def test_the_overview_and_its_sections_read_in_chinese(client, people, case):
    _read_record(case, people)
    _login(client, people.owner)
    switch_language(client, "zh-hans")
    page = client.get(f"/cases/{case.pseudonym}/").content.decode()
    assert "返回概览" in client.get(f"/cases/{case.pseudonym}/timeline/").content.decode()
    assert "Nothing to do now" not in page and "Your case, section by section" not in page


# -- the next step and the counts agree with the page and the sections (issue 12 #8) ----


def test_essential_records_missing_make_adding_them_the_next_step_not_nothing(case):
    step = _step(case, essential_missing=2)
    assert step.key == "missing" and step.url == f"/cases/{case.pseudonym}/missing/"
    assert step.label == "Add the missing records"
    assert _step(case).key == "nothing"


def test_the_overview_counts_the_missing_and_the_dates_as_their_pages_list_them(
    client, people, case
):
    import re

    _read_record(case, people)
    _login(client, people.owner)
    switch_language(client, "zh-hans")
    base = f"/cases/{case.pseudonym}"
    page = client.get(f"{base}/").content.decode()
    missing = client.get(f"{base}/missing/").content.decode()
    labels = re.findall(r'<span class="muted">[(（](\S+?)[)）]</span>', missing)
    assert labels, missing
    (line,) = re.findall(r"缺少 \d+ 份：[^<]*", page)
    assert line.startswith(f"缺少 {len(labels)} 份：")
    for label in set(labels):
        assert f"{label} {labels.count(label)} 份" in line
    if "必需" in labels:
        assert "现在无需操作" not in page and "添加缺少的病历" in page
    timeline = client.get(f"{base}/timeline/").content.decode()
    rows = timeline.count("<li><strong><time")
    assert (f"{rows} 个日期" in page) if rows else ("尚无带日期的事件" in page)
