"""The patient's workspace: consent before uploads, several files at once, bad
uploads refused plainly, processing states, facts with their source, downloads."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from casebridge.web.cases.actions import do_give_consent
from casebridge.web.cases.models import AuditEvent, Document
from casebridge.web.cases.tasks import process_document
from tests.web.conftest import switch_language
from tests.web.records import PATHOLOGY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

PASSWORD = "a long enough test password"


def _login(client, user) -> None:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


def _consent(case, owner) -> None:
    do_give_consent(case, acting_user=owner, kind="processing_art9", text_version="t1")


def _file(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def _post_files(client, case, *files, json_reply: bool = False):
    extra = {"HTTP_ACCEPT": "application/json"} if json_reply else {}
    return client.post(f"/cases/{case.pseudonym}/documents/", {"files": list(files)}, **extra)


def test_the_workspace_shows_the_status_and_asks_for_consent_first(client, people, case):
    _login(client, people.owner)
    page = client.get(f"/cases/{case.pseudonym}/").content.decode()
    assert "Next: give your consent" in page  # the status line says what comes next
    assert "Before you add records, please give your consent." in page
    assert "In an emergency call 999 / NHS 111" in page


def test_an_upload_before_consent_is_refused_in_plain_words(client, people, case):
    _login(client, people.owner)
    response = _post_files(client, case, _file("a.txt", PATHOLOGY.encode()), json_reply=True)
    assert response.status_code == 400
    assert "consent" in response.json()["error"]
    assert not Document.objects.exists()


def test_several_files_are_uploaded_at_once_and_queued(client, people, case):
    _consent(case, people.owner)
    _login(client, people.owner)
    response = _post_files(
        client,
        case,
        _file("histology.txt", PATHOLOGY.encode()),
        _file("letter.txt", b"Dear GP,\n" * 10),
    )
    assert response.status_code == 302
    docs = list(Document.objects.filter(case=case))
    assert [d.file_name for d in docs] == ["histology.txt", "letter.txt"]
    assert all(d.state == Document.State.QUEUED for d in docs)
    page = client.get(f"/cases/{case.pseudonym}/documents/").content.decode()
    assert 'hx-trigger="every 3s"' in page and "Waiting to be read" in page
    assert 'capture="environment"' in page and 'accept="image/*,application/pdf"' in page


def test_the_same_file_twice_is_refused_clearly_and_a_double_submit_stores_it_once(
    client, people, case
):
    _consent(case, people.owner)
    _login(client, people.owner)
    first = _post_files(client, case, _file("a.txt", PATHOLOGY.encode()), json_reply=True)
    second = _post_files(client, case, _file("copy.txt", PATHOLOGY.encode()), json_reply=True)
    assert first.json()["files"][0]["added"] is True
    answer = second.json()["files"][0]
    assert answer["added"] is False and answer["duplicate"] is True
    assert "same content as 'a.txt'" in answer["error"]
    assert Document.objects.filter(case=case).count() == 1


def test_an_unsupported_file_is_refused_with_its_reason(client, people, case):
    _consent(case, people.owner)
    _login(client, people.owner)
    program = b"MZ" + b"\x00" * 100 + b"PE\x00\x00"
    response = _post_files(client, case, _file("report.pdf", program), json_reply=True)
    assert response.status_code == 400
    assert "Windows program" in response.json()["files"][0]["error"]
    assert not Document.objects.exists()


def test_an_oversized_file_is_refused_before_it_is_read(client, people, case, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    _consent(case, people.owner)
    _login(client, people.owner)
    response = _post_files(client, case, _file("big.txt", b"a" * 5000))
    assert response.status_code == 302
    assert not Document.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "the limit is" in page


def test_no_file_chosen_says_so(client, people, case):
    _consent(case, people.owner)
    _login(client, people.owner)
    response = client.post(
        f"/cases/{case.pseudonym}/documents/", {}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400 and "Choose at least one file" in response.json()["error"]


def test_a_family_member_with_upload_permission_adds_records_after_the_patients_consent(
    client, people, case
):
    _consent(case, people.owner)
    _login(client, people.family)
    response = _post_files(client, case, _file("a.txt", PATHOLOGY.encode()), json_reply=True)
    assert response.json()["files"][0]["added"] is True


def _processed(client, people, case) -> Document:
    _consent(case, people.owner)
    _login(client, people.owner)
    _post_files(client, case, _file("histology.txt", PATHOLOGY.encode()))
    doc = Document.objects.get(case=case)
    assert process_document.call(doc.pk) == "processed"
    return doc


def test_processed_records_show_facts_with_their_source_highlighted(client, people, case):
    doc = _processed(client, people, case)
    listing = client.get(f"/cases/{case.pseudonym}/documents/list/").content.decode()
    assert "Read" in listing and "every 3s" not in listing  # polling stops
    page = client.get(f"/cases/{case.pseudonym}/facts/").content.decode()
    assert "HER2" in page and "histology.txt, page 1" in page
    case.refresh_from_db()
    her2 = next(f for f in case.engine["facts"] if f["kind"] == "her2_ihc")
    source = client.get(f"/cases/{case.pseudonym}/facts/{her2['id']}/").content.decode()
    snippet = PATHOLOGY[her2["source"]["start"] : her2["source"]["end"]]
    assert f'<mark id="source-span">{snippet}</mark>' in source
    assert AuditEvent.objects.filter(action="document.read", object_id=str(doc.pk)).exists()
    text = client.get(f"/cases/{case.pseudonym}/documents/{doc.pk}/").content.decode()
    assert "Invasive ductal carcinoma" in text


def test_an_unknown_fact_answers_404(client, people, case):
    _login(client, people.owner)
    assert client.get(f"/cases/{case.pseudonym}/facts/0000000000000000/").status_code == 404


def test_the_summary_pdfs_and_fhir_are_downloaded_through_the_gate_and_audited(
    client, people, case
):
    _processed(client, people, case)
    for name, kind in (
        ("summary-en.pdf", "application/pdf"),
        ("summary-zh.pdf", "application/pdf"),
        ("fhir.json", "application/fhir+json"),
    ):
        response = client.get(f"/cases/{case.pseudonym}/download/{name}")
        assert response.status_code == 200 and response["Content-Type"].startswith(kind)
        assert "attachment" in response["Content-Disposition"]
        assert response["Cache-Control"].startswith("no-store")
    bundle = json.loads(client.get(f"/cases/{case.pseudonym}/download/fhir.json").content)
    assert bundle["resourceType"] == "Bundle"
    downloads = AuditEvent.objects.filter(action="case.downloaded", case=case)
    assert downloads.count() == 4
    assert client.get(f"/cases/{case.pseudonym}/download/case.json").status_code == 404


def test_the_summary_preview_is_the_engines_page_under_a_strict_policy(client, people, case):
    _processed(client, people, case)
    response = client.get(f"/cases/{case.pseudonym}/summary/zh/page.html")
    assert response.status_code == 200 and 'lang="zh-Hans"' in response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script" not in policy
    # framed by the site's own preview page, and by nothing else
    assert "frame-ancestors 'self'" in policy and response["X-Frame-Options"] == "SAMEORIGIN"
    assert client.get(f"/cases/{case.pseudonym}/summary/fr/").status_code == 404
    assert client.get(f"/cases/{case.pseudonym}/summary/fr/page.html").status_code == 404


def test_the_summary_preview_has_the_site_header_a_heading_a_way_back_and_a_download(
    client, people, case
):
    _processed(client, people, case)
    response = client.get(f"/cases/{case.pseudonym}/summary/en/")
    page = response.content.decode()
    assert response.status_code == 200 and 'class="site-header"' in page
    assert "<h1>Summary of the records, in English</h1>" in page
    assert f'href="/cases/{case.pseudonym}/">Back to the overview</a>' in page
    assert f'href="/cases/{case.pseudonym}/download/summary-en.pdf"' in page
    assert (
        f'<iframe class="summary-frame" src="/cases/{case.pseudonym}/summary/en/page.html"' in page
    )
    # the framed summary runs nothing (same origin only, for its height)
    assert 'sandbox="allow-same-origin"' in page and "allow-scripts" not in page
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_missing_records_come_with_ready_to_send_request_letters(client, people, case):
    _processed(client, people, case)
    page = client.get(f"/cases/{case.pseudonym}/missing/").content.decode()
    assert "Records that are missing" in page
    from casebridge.web.cases.lib import engine_case
    from casebridge.web.portal.lib.outputs import request_letters

    case.refresh_from_db()
    letters = request_letters(engine_case(case))
    assert letters, "a single pathology report leaves records missing"
    slug = letters[0].slug
    assert f"/letters/{slug}/" in page
    letter = client.get(f"/cases/{case.pseudonym}/letters/{slug}/").content.decode()
    assert "Subject access request" in letter and "data-copy" in letter
    download = client.get(f"/cases/{case.pseudonym}/letters/{slug}/?download=1")
    assert download["Content-Disposition"] == f'attachment; filename="{slug}.txt"'
    assert client.get(f"/cases/{case.pseudonym}/letters/no-such-letter/").status_code == 404


def test_a_patient_flags_a_wrong_document_type_for_a_coordinator(client, people, case):
    doc = _processed(client, people, case)
    response = client.post(
        f"/cases/{case.pseudonym}/documents/{doc.pk}/flag/", {"note": "a letter"}
    )
    assert response.status_code == 302
    flag = AuditEvent.objects.get(action="document.type_flagged")
    assert flag.object_id == str(doc.pk) and flag.after == {"note": "a letter"}
    doc.refresh_from_db()
    assert doc.doc_type == "pathology" and not doc.doc_type_override  # only coordinators correct
    listing = client.get(f"/cases/{case.pseudonym}/documents/list/").content.decode()
    assert "a coordinator will check it" in listing


def test_a_document_of_another_case_answers_404(client, people, case, other_case):
    doc = _processed(client, people, case)
    assert client.get(f"/cases/{other_case.pseudonym}/documents/{doc.pk}/").status_code == 404
    _login(client, people.outsider)
    assert client.get(f"/cases/{other_case.pseudonym}/documents/{doc.pk}/").status_code == 404


def test_the_overview_lists_ten_sources_a_row_and_links_to_the_rest():
    from django.template.loader import render_to_string

    from casebridge.web.portal.lib.facts import FactLine, SourceLink

    line = FactLine(
        kind="cancer_type",
        label="Cancer type",
        value="Breast carcinoma",
        context_text="",
        corrected=False,
        by_person=False,
        first_of_kind=True,
        sources=[SourceLink(f"/cases/CB-X/facts/{i}/", f"report {i}.txt", 1) for i in range(25)],
    )
    brief = render_to_string("portal/_fact_table.html", {"lines": [line], "brief": True})
    assert brief.count("<li>") == 10 and "report 9.txt" in brief and "report 10.txt" not in brief
    assert "and 15 more" in brief and 'href="?facts=all"' in brief
    full = render_to_string("portal/_fact_table.html", {"lines": [line]})
    assert full.count("<li>") == 25 and "more: see everything" not in full


def test_dates_follow_the_reader_s_convention():
    import datetime as dt

    from django.utils import timezone, translation

    from casebridge.web.cases.templatetags.dates import when

    moment = timezone.make_aware(dt.datetime(2026, 11, 23, 8, 56))
    with translation.override("en-gb"):
        assert when(moment) == "23 Nov 2026, 08:56"
    with translation.override("zh-hans"):
        assert when(moment) == "2026年11月23日 08:56"


def test_the_home_page_shows_when_a_case_was_opened_in_chinese_dates(client, people, case):
    client.force_login(people.owner)
    switch_language(client, "zh-hans")
    page = client.get("/").content.decode()
    opened = timezone.localtime(case.created_at)
    assert f"{opened.year}年{opened.month}月{opened.day}日" in page
    assert "十一月" not in page and "一月 " not in page


def test_the_patient_s_flag_goes_once_a_coordinator_re_types_the_document(client, people, case):
    from casebridge.web.console.actions import do_override_document_type

    doc = _processed(client, people, case)
    client.post(f"/cases/{case.pseudonym}/documents/{doc.pk}/flag/", {"note": "a letter"})
    listing = f"/cases/{case.pseudonym}/documents/list/"
    assert "a coordinator will check it" in client.get(listing).content.decode()
    case.refresh_from_db()
    do_override_document_type(
        case,
        doc,
        acting_user=people.coordinator,
        doc_type="clinic_letter",
        expected_version=case.version,
    )
    assert "a coordinator will check it" not in client.get(listing).content.decode()
