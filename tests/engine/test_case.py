from __future__ import annotations

import json

import pytest

from casebridge.engine.case import (
    SCHEMA_VERSION,
    Case,
    Correction,
    Document,
    Fact,
    Page,
    Source,
)
from casebridge.engine.reconcile import apply_corrections, find_conflicts


def _fact(kind: str, value: str, doc: str, start: int = 0) -> Fact:
    return Fact(
        kind=kind, value=value, source=Source(doc, f"{doc}.pdf", 1, start, start + 5, "text")
    )


def test_a_case_survives_a_json_round_trip():
    case = Case(programme="oncology", case_id="CB-1")
    case.documents.append(
        Document(
            id="d1", file_name="a.pdf", sha256="x", size=3, pages=[Page(1, "ER positive", "plain")]
        )
    )
    case.facts.append(_fact("er_status", "positive", "d1"))
    case.corrections.append(
        Correction(fact_id="f", by="coord", at="2026-01-01T00:00:00", reason="r")
    )
    again = Case.from_dict(json.loads(json.dumps(case.to_dict())))
    assert again == case
    assert again.schema_version == SCHEMA_VERSION


def test_it_refuses_a_case_json_of_another_major_schema_version():
    with pytest.raises(ValueError, match="E101"):
        Case.from_dict({"schema_version": "99.0"})


def test_fact_ids_are_stable_for_the_same_span_of_the_same_file():
    assert _fact("er_status", "positive", "d1").id == _fact("er_status", "negative", "d1").id
    assert _fact("er_status", "positive", "d1").id != _fact("er_status", "positive", "d1", 9).id


def test_a_correction_changes_the_value_and_records_who_and_why():
    case = Case()
    fact = _fact("grade", "2", "d1")
    case.facts.append(fact)
    case.corrections.append(
        Correction(
            fact_id=fact.id, by="coordinator@x", at="2026-01-01T00:00:00", reason="typo", value="3"
        )
    )
    apply_corrections(case)
    assert fact.value == "3"
    assert fact.original_value == "2"
    assert fact.corrected_by is not None and fact.corrected_by.reason == "typo"


def test_a_rejected_fact_is_dropped_and_a_person_added_fact_is_kept():
    case = Case()
    wrong = _fact("her2_ihc", "3+", "d1")
    case.facts.append(wrong)
    case.corrections += [
        Correction(fact_id=wrong.id, by="c", at="t", reason="misread", rejected=True),
        Correction(
            fact_id="new-1", by="c", at="t", reason="phoned lab", value="amplified", kind="her2_ish"
        ),
    ]
    apply_corrections(case)
    assert [f.kind for f in case.facts] == ["her2_ish"]
    assert case.facts[0].found_by == "person:c"


def test_a_fact_marked_wrong_is_kept_aside_across_runs_until_its_mark_is_undone():
    case = Case()
    wrong = _fact("her2_ihc", "3+", "d1")
    case.facts.append(wrong)
    mark = Correction(fact_id=wrong.id, by="c", at="t", reason="misread", rejected=True)
    case.corrections.append(mark)
    apply_corrections(case)
    apply_corrections(case)  # a later run no longer sees it among the facts
    assert case.facts == []
    assert [f.id for f in case.rejected_facts] == [wrong.id]
    assert case.rejected_facts[0].value == "3+"
    again = Case.from_dict(json.loads(json.dumps(case.to_dict())))
    assert again.rejected_facts == case.rejected_facts
    case.corrections.remove(mark)
    apply_corrections(case)
    assert case.rejected_facts == []


def test_documents_that_disagree_are_shown_as_a_conflict_with_both_values():
    facts = [_fact("grade", "2", "d1"), _fact("grade", "3", "d2")]
    conflicts = find_conflicts(facts)
    assert len(conflicts) == 1
    assert conflicts[0].values == ["2", "3"]


def test_clinical_and_pathological_t_do_not_conflict():
    c = _fact("t_category", "T2", "d1")
    c.attributes["prefix"] = "c"
    p = _fact("t_category", "T3", "d2")
    p.attributes["prefix"] = "p"
    assert find_conflicts([c, p]) == []
