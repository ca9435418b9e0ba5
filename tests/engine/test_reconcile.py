"""Reconcile: values are compared only when they describe the same thing at the same time."""

from __future__ import annotations

from casebridge.engine.case import Document, Fact, Source
from casebridge.engine.reconcile import compatible, find_conflicts, time_point
from tests.engine.factories import document, fact


def _doc(doc_id: str, text: str) -> Document:
    return document(doc_id, "other", text, sha256=doc_id)


def test_stage_at_relapse_is_not_compared_with_stage_at_diagnosis():
    letter = _doc("d1", "First diagnosed 2024, stage IIIA. Late relapse July 2026, stage IIA.")
    pet = _doc("d2", "Appearances in keeping with stage II disease at relapse.")
    old = _doc("d3", "Clinical details: lymphoma stage IIIA.")
    facts = [
        fact(letter, "stage_group", "IIIA", "stage IIIA"),
        fact(letter, "stage_group", "IIA", "stage IIA"),
        fact(pet, "stage_group", "II", "stage II"),
        fact(old, "stage_group", "IIIA", "stage IIIA"),
    ]
    docs = [letter, pet, old]
    assert [time_point(f, docs) for f in facts] == ["diagnosis", "relapse", "relapse", ""]
    assert find_conflicts(facts, docs) == []


def test_two_different_stages_at_relapse_are_still_a_conflict():
    a = _doc("d1", "Stage IIA at relapse.")
    b = _doc("d2", "Stage IVB at relapse.")
    facts = [
        fact(a, "stage_group", "IIA", "Stage IIA"),
        fact(b, "stage_group", "IVB", "Stage IVB"),
    ]
    conflicts = find_conflicts(facts, [a, b])
    assert len(conflicts) == 1 and "at relapse" in conflicts[0].note


def test_a_recurrence_prefix_or_a_historical_mark_keeps_a_value_out_of_the_comparison():
    a = _doc("d1", "pT2 N0")
    b = _doc("d2", "rpT3 N1")
    t2 = fact(a, "t_category", "T2", "pT2")
    t2.attributes["prefix"] = "p"
    t3 = fact(b, "t_category", "T3", "rpT3")
    t3.attributes["prefix"] = "p"
    t3.attributes["time_point"] = "relapse"
    assert find_conflicts([t2, t3], [a, b]) == []
    t3.attributes["time_point"] = "historical"
    assert find_conflicts([t2, t3], [a, b]) == []


def test_a_value_refining_another_is_not_a_conflict():
    assert compatible("t_category", "T2", "T2a")
    assert compatible("stage_group", "Stage II", "Stage IIA")
    assert not compatible("stage_group", "Stage I", "Stage II")
    assert not compatible("stage_group", "IV", "I")
    assert compatible("histology", "non-small cell carcinoma", "adenocarcinoma")
    assert compatible("histology", "adenocarcinoma", "lung adenocarcinoma")
    assert not compatible("histology", "adenocarcinoma", "squamous cell carcinoma")
    assert not compatible("grade", "grade 2", "grade 3")


def test_the_same_time_point_still_shows_a_real_disagreement():
    a = _doc("d1", "Invasive carcinoma NST, grade 2.")
    b = _doc("d2", "Invasive ductal carcinoma, grade 3.")
    facts = [fact(a, "grade", "grade 2", "grade 2"), fact(b, "grade", "grade 3", "grade 3")]
    assert [c.values for c in find_conflicts(facts, [a, b])] == [["grade 2", "grade 3"]]


def test_a_patients_own_note_does_not_make_a_conflict_with_the_records():
    from casebridge.engine.reconcile import find_conflicts

    record = Fact(kind="grade", value="grade 2", source=Source("d1", "path.pdf", 1, 0, 5, "G2"))
    note = Fact(
        kind="grade",
        value="grade 3",
        source=Source("d2", "my questions.txt", 1, 0, 5, "grade 3"),
        attributes={"reported_by": "patient"},
    )
    assert find_conflicts([record, note]) == []


def test_no_special_type_is_not_a_negation():
    from casebridge.engine.extract.context import context_of

    text = "Invasive carcinoma of no special type, grade 2."
    start = text.index("grade 2")
    assert context_of(text, start, start + 7) == "asserted"
