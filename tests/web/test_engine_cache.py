"""Pages that only read a case share its parsed engine JSON (cases.lib.read_engine)
until the case changes: a new document, a correction, a status change or a
type override shows at once."""

from __future__ import annotations

import re

import pytest

from casebridge.web.cases.access import get_case_for_user_or_404
from casebridge.web.cases.actions import (
    do_change_status,
    do_correct_fact,
    do_give_consent,
    do_upload_document,
)
from casebridge.web.cases.lib import clear_engine_cache, engine_case, read_engine
from casebridge.web.cases.models import Case
from casebridge.web.cases.tasks import process_document
from tests.web.records import PATHOLOGY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

CT = (
    "CT THORAX, ABDOMEN AND PELVIS\n"
    "Date: 02/04/2024\n"
    "Findings: a 4 mm nodule in the left lower lobe, unchanged.\n"
)


@pytest.fixture(autouse=True)
def _portal(plain_http) -> None:
    clear_engine_cache()


def _add(case, person, name: str, text: str) -> None:
    doc = do_upload_document(case, acting_user=person, file_name=name, data=text.encode())
    assert process_document.call(doc.pk) in {"processed", "needs_attention"}


def _fresh(case) -> Case:
    return Case.objects.get(pk=case.pk)


def test_reading_the_same_version_twice_parses_the_json_once(people, case):
    first = read_engine(get_case_for_user_or_404(people.owner, case.pseudonym))
    again = read_engine(get_case_for_user_or_404(people.family, case.pseudonym))
    assert again is first
    assert engine_case(case) is not first.engine  # a change always gets its own copy


def test_a_status_change_gives_a_new_reading(people, case):
    before = read_engine(_fresh(case))
    do_change_status(
        case, acting_user=people.coordinator, status="triage", expected_version=case.version
    )
    assert read_engine(_fresh(case)) is not before


def test_with_the_cache_off_every_reading_is_parsed_afresh(people, case, settings):
    settings.ENGINE_CACHE_SIZE = 0
    assert read_engine(_fresh(case)) is not read_engine(_fresh(case))


def test_the_workspace_shows_a_document_read_after_the_case_was_viewed(client, people, case):
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    _add(case, people.owner, "ct.txt", CT)
    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(f"/cases/{case.pseudonym}/facts/").content.decode()
    assert "histology.txt" not in page
    _add(case, people.owner, "histology.txt", PATHOLOGY)
    page = client.get(f"/cases/{case.pseudonym}/facts/").content.decode()
    assert "HER2" in page and "histology.txt, page 1" in page


def test_a_correction_shows_at_once_in_the_workspace_and_the_console(client, people, case):
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    _add(case, people.owner, "histology.txt", PATHOLOGY)
    client.force_login(people.coordinator, backend="django.contrib.auth.backends.ModelBackend")
    console = client.get(f"/console/cases/{case.pseudonym}/?section=facts").content.decode()
    workspace = client.get(f"/cases/{case.pseudonym}/facts/").content.decode()
    assert "Corrected by" not in console and "corrected by a coordinator" not in workspace
    fresh = _fresh(case)
    fact = next(f for f in fresh.engine["facts"] if f["kind"] == "her2_ihc")
    do_correct_fact(
        fresh,
        acting_user=people.coordinator,
        reason="the report says 2+",
        expected_version=fresh.version,
        fact_id=fact["id"],
        value="2+",
    )
    console = client.get(f"/console/cases/{case.pseudonym}/?section=facts").content.decode()
    workspace = client.get(f"/cases/{case.pseudonym}/facts/").content.decode()
    assert "Corrected by" in console and "the report says 2+" in console
    assert "corrected by a coordinator" in workspace


def test_the_gate_leaves_the_engine_json_unloaded_until_a_page_reads_it(people, case):
    opened = get_case_for_user_or_404(people.owner, case.pseudonym)
    assert "engine" in opened.get_deferred_fields()
    assert opened.engine == _fresh(case).engine  # loaded on first use, all the same


def test_every_fact_line_links_each_source_to_the_facts_page(people, case):
    from casebridge.web.portal.lib import facts as portal_facts

    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    _add(case, people.owner, "histology.txt", PATHOLOGY)
    _add(case, people.owner, "ct.txt", CT)
    lines = portal_facts.fact_lines(read_engine(_fresh(case)), case.pseudonym, "en")
    assert lines and all(line.sources for line in lines)
    assert all(
        s.url.startswith(f"/cases/{case.pseudonym}/facts/") for x in lines for s in x.sources
    )


def test_every_fact_is_listed_a_page_at_a_time(client, people, case):
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    _add(case, people.owner, "histology.txt", PATHOLOGY)
    client.force_login(people.family, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(f"/cases/{case.pseudonym}/facts/?page=1").content.decode()
    assert "HER2" in page and "histology.txt, page 1" in page
    assert client.get(f"/cases/{case.pseudonym}/facts/?page=x").status_code == 200


def test_with_the_fragment_cache_off_the_workspace_is_the_same(client, people, case, settings):
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    _add(case, people.owner, "histology.txt", PATHOLOGY)
    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    cached = client.get(f"/cases/{case.pseudonym}/facts/").content.decode()
    settings.FRAGMENT_CACHE_SECONDS = 0
    fresh = client.get(f"/cases/{case.pseudonym}/facts/").content.decode()
    strip = lambda html: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)  # noqa: E731
    assert strip(cached) == strip(fresh) and "histology.txt, page 1" in fresh
