"""The console speaks in words, not the engine's keys: the timeline as the
summary words it (each source once), the to-do line reads "the records", and a
download in the history says what was downloaded."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from casebridge.web.cases import audit
from tests.web.test_console_case import _processed

pytestmark = pytest.mark.django_db

MDT_LETTER = (
    "Breast Clinic\n"
    "Date: 01/09/2026\n"
    "Dear Dr Smith,\n"
    "MDT discussion on 10/09/2026. The MDT meeting on 10/09/2026 will review the biopsy.\n"
    "She is booked for the MDT.\n"
)


def _section(client, case, name: str) -> str:
    url = reverse("console:case", args=[case.pseudonym]) + f"?section={name}"
    return client.get(url, secure=True).content.decode()


def test_the_timeline_reads_as_the_summary_words_it_with_each_source_once(client, people, case):
    _processed(case, people.owner, "letter.txt", MDT_LETTER)
    client.force_login(people.coordinator)
    page = _section(client, case, "facts")
    timeline = page[page.index('id="timeline"') :]
    assert "Mdt:" not in timeline and "Booked: mdt" not in timeline
    assert "Booked: MDT meeting" in timeline
    for item in re.findall(r"<li>.*?</li>", timeline, re.S):
        sources = re.findall(r"letter\.txt, page \d+", item)
        assert len(sources) == len(set(sources)), item


def test_a_download_in_the_history_says_what_was_downloaded(client, people, case):
    audit.record(people.owner, case, "case.downloaded", after={"file": "summary-en.pdf"})
    client.force_login(people.coordinator)
    history = _section(client, case, "history")
    assert "downloaded the summary (English, PDF)" in history
    assert "downloaded the case" not in history


POSSIBLE = (
    "CT REPORT\n"
    "Date of report: 12/03/2024\n"
    "Impression: possible liver metastases. Possible bone metastases. Possible lung metastases.\n"
)


def test_the_to_do_line_of_possible_facts_reads_the_records(client, people, case):
    _processed(case, people.owner, "ct.txt", POSSIBLE)
    client.force_login(people.coordinator)
    overview = client.get(reverse("console:case", args=[case.pseudonym]), secure=True)
    page = overview.content.decode()
    assert "the records state only as possible" in page
    assert "facts records state" not in page
