"""Questions for the reviewing team, the provider and the UK team, with their reasons."""

from __future__ import annotations

import re

from casebridge.engine.case import Case, Conflict
from casebridge.engine.gaps import gaps
from casebridge.engine.kb import load
from casebridge.engine.questions import AUDIENCES, evaluate, questions
from tests.engine.factories import document, fact


def _run(case: Case) -> Case:
    gaps(case)
    questions(case)
    return case


def _her2_case(ish: str | None = None) -> Case:
    path = document(
        "p1",
        "pathology",
        "Invasive carcinoma of the breast. HER2 IHC 2+. ER positive.",
        "2024-05-01",
    )
    facts = [fact(path, "primary_site", "breast"), fact(path, "her2_ihc", "2+")]
    if ish:
        facts.append(fact(path, "her2_ish", ish))
    return Case(documents=[path], facts=facts, intake={"today": "2024-06-01"})


def test_her2_2_plus_without_ish_asks_the_reviewing_team_and_cites_fact_and_gap():
    case = _run(_her2_case())
    her2_fact = case.first("her2_ihc")
    assert her2_fact is not None
    q = next(q for q in case.questions if q.audience == "reviewing_team" and "ISH" in q.text)
    assert "2+" in q.text
    assert her2_fact.id in q.because and "her2-ish-missing" in q.because


def test_a_pending_ish_still_counts_as_missing_and_a_result_does_not():
    assert evaluate(_her2_case("pending"), "her2_ihc == 2+ and her2_ish missing").ok
    assert not evaluate(_her2_case("amplified"), "her2_ihc == 2+ and her2_ish missing").ok
    case = _run(_her2_case("amplified"))
    assert not any("ISH" in q.text for q in case.questions)


def test_conditions_support_or_not_in_and_programme():
    case = _her2_case()
    assert evaluate(case, "her2_ihc in [2+, 3+]").ok
    assert evaluate(case, "her2_ihc != 3+").ok
    assert evaluate(case, "egfr present or her2_ihc present").ok
    assert evaluate(case, "not egfr present and programme == oncology").ok
    assert evaluate(case, "cancer in [BRCA]").ok
    assert not evaluate(case, "cancer in [LUAD]").ok


def test_lung_adenocarcinoma_lists_only_the_missing_markers():
    path = document("p1", "pathology", "Adenocarcinoma of lung. EGFR wild type.", "2024-05-01")
    case = Case(
        documents=[path],
        facts=[
            fact(path, "primary_site", "lung"),
            fact(path, "histology", "adenocarcinoma"),
            fact(path, "egfr", "wild type"),
        ],
        intake={"today": "2024-06-01"},
    )
    _run(case)
    q = next(
        q for q in case.questions if q.audience == "reviewing_team" and "no result for" in q.text
    )
    assert "ALK" in q.text and "ROS1" in q.text and "PD-L1" in q.text and "EGFR" not in q.text
    assert "lung-adenocarcinoma-markers:alk" in q.because


def test_each_conflict_gives_a_question_citing_the_disagreeing_facts():
    case = _her2_case()
    case.conflicts = [Conflict("grade", ["2", "3"], ["f1", "f2"], "Records disagree")]
    _run(case)
    q = next(q for q in case.questions if "disagree" in q.text)
    assert q.audience == "reviewing_team" and q.because == ["f1", "f2"] and "2 / 3" in q.text


def test_all_three_audiences_get_questions_and_every_question_cites_only_known_ids():
    case = _run(_her2_case())
    assert {q.audience for q in case.questions} == set(AUDIENCES)
    known = {f.id for f in case.facts} | {g.id for g in case.gaps}
    for q in case.questions:
        assert set(q.because) <= known, q.text


def test_no_question_diagnoses_or_promises():
    forbidden = re.compile(
        r"\b(you have|you don't have|diagnosis is|will cure|guarantee|we promise|definitely)\b",
        re.I,
    )
    for template in load("questions")["templates"]:
        assert not forbidden.search(template["text"]), template["id"]
        assert template["text"].rstrip().endswith("?"), template["id"]


def test_the_stage_replaces_its_questions_when_run_again():
    case = _run(_her2_case())
    first = [(q.audience, q.text) for q in case.questions]
    questions(case)
    assert [(q.audience, q.text) for q in case.questions] == first
    assert len(first) == len(set(first))
