"""The summary as a Chinese reader finds it (issue 12): the Chinese summary is
listed first, and the preview's frame takes the summary's full height instead
of a fixed box that scrolls inside the page (on a phone, a page within a page)."""

from __future__ import annotations

import pathlib

import pytest

from casebridge import web
from casebridge.web.cases.actions import do_give_consent, do_upload_document
from casebridge.web.cases.tasks import process_document
from tests.web.conftest import switch_language
from tests.web.records import PATHOLOGY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


def _read_record(client, people, case) -> None:
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    doc = do_upload_document(
        case, acting_user=people.owner, file_name="histology.txt", data=PATHOLOGY.encode()
    )
    assert process_document.call(doc.pk) == "processed"
    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")


def test_a_chinese_reader_finds_the_chinese_summary_listed_first(client, people, case):
    _read_record(client, people, case)
    base = f"/cases/{case.pseudonym}"
    english = client.get(f"{base}/summary-and-downloads/").content.decode()
    assert english.index(f"{base}/summary/en/") < english.index(f"{base}/summary/zh/")
    switch_language(client, "zh-hans")
    chinese = client.get(f"{base}/summary-and-downloads/").content.decode()
    assert chinese.index(f"{base}/summary/zh/") < chinese.index(f"{base}/summary/en/")
    assert chinese.index("summary-zh.pdf") < chinese.index("summary-en.pdf")


def test_the_preview_frame_is_sized_to_the_summary_and_runs_no_script(client, people, case):
    _read_record(client, people, case)
    page = client.get(f"/cases/{case.pseudonym}/summary/zh/").content.decode()
    assert 'sandbox="allow-same-origin" data-fit-height' in page
    assert "allow-scripts" not in page
    framed = client.get(f"/cases/{case.pseudonym}/summary/zh/page.html")
    assert "default-src 'none'" in framed["Content-Security-Policy"]
    assert "script-src" not in framed["Content-Security-Policy"]
    static = pathlib.Path(web.__file__).parent / "static" / "casebridge"
    script = (static / "site.js").read_text(encoding="utf-8")
    assert "iframe[data-fit-height]" in script and "scrollHeight" in script
