"""Correcting a fact in the console is safe: retyping what is shown changes
nothing, an empty save is told so (never a 400), a value that looks like another
kind of fact asks first, a correction can be undone, and the history and the row
name the fact and its old value in words, never the engine's code."""

from __future__ import annotations

import pytest
from django.urls import reverse

from casebridge.web.cases.models import AuditEvent, FactCorrection
from tests.web.test_console_case import PATHOLOGY, _facts, _post, _processed

pytestmark = pytest.mark.django_db


def _cancer_type(client, people, case):
    _processed(case, people.owner, "histology.txt", PATHOLOGY)
    client.force_login(people.coordinator)
    return _facts(case)["cancer_type"][0]


def _save(client, case, fact, value, **more):
    case.refresh_from_db()
    data = {"mode": "save", "fact_id": fact.id, "value": value, "reason": "Checked the report."}
    return _post(client, "correct_fact", case, {**data, "expected_version": case.version, **more})


def _facts_page(client, case) -> str:
    url = reverse("console:case", args=[case.pseudonym]) + "?section=facts"
    return client.get(url, secure=True).content.decode()


def test_retyping_the_shown_name_of_a_fact_changes_nothing(client, people, case):
    fact = _cancer_type(client, people, case)
    assert fact.value == "BRCA"
    response = _save(client, case, fact, "  invasive BREAST carcinoma ")
    assert response.status_code == 302 and f"#fact-{fact.id}" in response["Location"]
    assert not FactCorrection.objects.exists()
    page = client.get(response["Location"], secure=True).content.decode()
    assert "Nothing changed: Cancer type is as the record says." in page
    assert "BRCA / Invasive breast carcinoma" not in page


def test_an_empty_save_is_told_nothing_changed_never_a_400(client, people, case):
    fact = _cancer_type(client, people, case)
    response = _save(client, case, fact, "", reason="")
    assert response.status_code == 302
    assert not FactCorrection.objects.exists()
    assert "Nothing changed" in client.get(response["Location"], secure=True).content.decode()


def test_a_grade_typed_into_the_cancer_type_asks_before_it_is_saved(client, people, case):
    fact = _cancer_type(client, people, case)
    response = _save(client, case, fact, "grade 2")
    assert response.status_code == 200
    page = response.content.decode()
    assert "“grade 2” looks like Grade, not Cancer type." in page
    assert 'name="anyway"' in page
    assert not FactCorrection.objects.exists()
    assert _save(client, case, fact, "grade 2", anyway="1").status_code == 302
    assert FactCorrection.objects.get().value == "grade 2"


def test_a_correction_is_undone_and_the_record_stands_again(client, people, case):
    fact = _cancer_type(client, people, case)
    _save(client, case, fact, "grade 2", anyway="1")
    page = _facts_page(client, case)
    assert "(was “Invasive breast carcinoma”)" in page and "(was “BRCA”)" not in page
    assert "Restore what the record says" in page
    history = client.get(
        reverse("console:case", args=[case.pseudonym]) + "?section=history", secure=True
    ).content.decode()
    assert "set Cancer type to “grade 2”" in history
    case.refresh_from_db()
    data = {"mode": "restore", "fact_id": fact.id, "expected_version": case.version}
    response = _post(client, "correct_fact", case, data)
    assert response.status_code == 302
    assert not FactCorrection.objects.exists()
    restored = _facts(case)["cancer_type"][0]
    assert restored.value == "BRCA" and restored.corrected_by is None
    event = AuditEvent.objects.get(action="fact.restored")
    assert event.actor == people.coordinator
    assert event.before["corrections"][0]["value"] == "grade 2"
    assert (
        "restored what the record says of a fact"
        in client.get(
            reverse("console:case", args=[case.pseudonym]) + "?section=history", secure=True
        ).content.decode()
    )


def test_an_added_fact_can_be_removed_again(client, people, case):
    _processed(case, people.owner, "histology.txt", PATHOLOGY)
    client.force_login(people.coordinator)
    case.refresh_from_db()
    add = {"mode": "add", "kind": "allergy", "value": "penicillin", "reason": "Phone."}
    _post(client, "correct_fact", case, {**add, "expected_version": case.version})
    added = _facts(case)["allergy"][0]
    assert "Remove this added fact" in _facts_page(client, case)
    data = {"mode": "restore", "fact_id": added.id, "expected_version": case.version}
    assert _post(client, "correct_fact", case, data).status_code == 302
    assert "allergy" not in _facts(case) and not FactCorrection.objects.exists()
