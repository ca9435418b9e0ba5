"""The enquiry's steps as a first-time user reads them (issue 12): every step is
labelled the same way, and the questions box says one question per line (the
case lists them so)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from tests.web.conftest import switch_language
from tests.web.test_enquiry_first_time import _details, _to_details

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def _step_labels(client) -> list[str]:
    start = client.get("/enquiry/").content.decode()
    _to_details(client)
    details = client.get("/enquiry/details/").content.decode()
    sent = client.post("/enquiry/details/", _details(), follow=True).content.decode()
    return [re.search(r"<p>([^<]*3[^<]*)</p>", page).group(1) for page in (start, details, sent)]


def test_every_enquiry_step_is_labelled_the_same_way_in_english(client):
    labels = _step_labels(client)
    assert [label[:12] for label in labels] == ["Step 1 of 3:", "Step 2 of 3:", "Step 3 of 3:"]


def test_every_enquiry_step_is_labelled_the_same_way_in_chinese(client):
    switch_language(client, "zh-hans")
    labels = _step_labels(client)
    for n, label in enumerate(labels, start=1):
        assert label.startswith(f"第 {n} 步（共 3 步）："), label


def test_the_questions_box_says_one_question_per_line_in_both_languages(client):
    _to_details(client)
    page = client.get("/enquiry/details/").content.decode()
    assert 'id="id_questions_helptext">One question per line.</span>' in page
    assert 'aria-describedby="id_questions_helptext"' in page
    switch_language(client, "zh-hans")
    assert "每行写一个问题。" in client.get("/enquiry/details/").content.decode()
