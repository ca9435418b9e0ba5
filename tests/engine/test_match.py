"""Matching a case to China medical directions, explained (engine/match.py), on the
built examples and a small directory written here (so that the figures below do not
move when the operator's directory is edited)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from casebridge.cli import main
from casebridge.engine.case import Case
from casebridge.engine.match import propose_disciplines, rank
from tests.engine.test_examples import breast, dlbcl, lung  # noqa: F401  (module fixtures)

SOURCE = [{"url": "https://example.org/dept", "title": "Department page", "accessed": "2026-12-07"}]

DIRECTORY: dict[str, Any] = {
    "version": 1,
    "condition_groups": {
        "breast_cancer": {
            "label": {"en": "Breast cancer", "zh": "乳腺癌"},
            "programme": "oncology",
            "cancer_types": ["BRCA"],
        },
        "lung_cancer": {
            "label": {"en": "Lung cancer", "zh": "肺癌"},
            "programme": "oncology",
            "cancer_types": ["LUAD", "LUSC"],
        },
        "lymphoma": {
            "label": {"en": "Lymphoma", "zh": "淋巴瘤"},
            "programme": "oncology",
            "cancer_types": ["DLBC"],
            "haem": ["follicular lymphoma", "diffuse large B-cell lymphoma"],
        },
        "retinal_disease": {
            "label": {"en": "Retinal disease", "zh": "视网膜疾病"},
            "programme": "eye",
            "terms": ["retin\\w*", "macular"],
        },
    },
    "capabilities": {
        "car_t": {"en": "CAR-T cell therapy", "zh": "CAR-T细胞治疗", "terms": ["CAR-?T"]},
        "stem_cell_transplant": {"en": "Stem cell transplant", "zh": "造血干细胞移植"},
        "proton": {"en": "Proton therapy", "zh": "质子治疗", "terms": ["proton"]},
        "surgery": {"en": "Surgery", "zh": "手术"},
    },
    "disciplines": {
        "medical_oncology": {"en": "Medical oncology", "zh": "肿瘤内科"},
        "surgical_oncology": {"en": "Surgical oncology", "zh": "肿瘤外科"},
        "radiation_oncology": {"en": "Radiation oncology", "zh": "放射肿瘤科"},
        "radiology": {"en": "Radiology", "zh": "影像科"},
        "pathology": {"en": "Pathology", "zh": "病理科"},
        "haematology": {"en": "Haematology", "zh": "血液科"},
        "cellular_therapy": {"en": "Cellular therapy", "zh": "细胞治疗"},
        "clinical_genetics": {"en": "Clinical genetics", "zh": "临床遗传学"},
    },
    "directions": [
        {
            "id": "haem-cart",
            "hospital": {"en": "Example Haematology Hospital", "zh": "示例血液病医院"},
            "department": {"en": "Cellular Therapy Centre", "zh": "细胞治疗中心"},
            "city": {"en": "Tianjin", "zh": "天津"},
            "programmes": ["oncology"],
            "conditions": ["lymphoma"],
            "capabilities": ["car_t", "stem_cell_transplant"],
            "mdt": ["haematology", "cellular_therapy", "pathology"],
            "international": {"service": True, "languages": ["zh", "en"]},
            "remote_review": True,
            "typical_review_days": None,
            "sources": SOURCE,
            "verified": "2026-12-07",
        },
        {
            "id": "haem-no-cart",
            "hospital": {"en": "Example General Hospital", "zh": "示例综合医院"},
            "department": {"en": "Haematology", "zh": "血液科"},
            "city": {"en": "Beijing", "zh": "北京"},
            "programmes": ["oncology"],
            "conditions": ["lymphoma"],
            "capabilities": ["stem_cell_transplant"],
            "mdt": ["haematology", "pathology"],
            "international": {"service": None, "languages": []},
            "remote_review": None,
            "typical_review_days": None,
            "sources": SOURCE,
            "verified": "2026-12-07",
        },
        {
            "id": "breast",
            "hospital": {"en": "Example Cancer Centre", "zh": "示例肿瘤医院"},
            "department": {"en": "Breast Surgery", "zh": "乳腺外科"},
            "city": {"en": "Shanghai", "zh": "上海"},
            "programmes": ["oncology"],
            "conditions": ["breast_cancer"],
            "capabilities": ["surgery"],
            "mdt": ["surgical_oncology", "medical_oncology", "radiology", "pathology"],
            "international": {"service": True, "languages": ["zh", "en"]},
            "remote_review": True,
            "typical_review_days": 14,
            "sources": SOURCE,
            "verified": "2026-12-07",
        },
        {
            "id": "eye",
            "hospital": {"en": "Example Eye Hospital", "zh": "示例眼科医院"},
            "department": {"en": "Retina", "zh": "眼底病科"},
            "city": {"en": "Guangzhou", "zh": "广州"},
            "programmes": ["eye"],
            "conditions": ["retinal_disease"],
            "capabilities": [],
            "mdt": [],
            "international": {"service": None, "languages": []},
            "remote_review": None,
            "typical_review_days": None,
            "sources": SOURCE,
            "verified": "2026-12-07",
        },
    ],
}


def _with_intake(case: Case, **intake: Any) -> Case:
    other = copy.deepcopy(case)
    other.intake = {**(other.intake or {}), **intake}
    return other


def test_relapsed_lymphoma_with_car_t_discussed_ranks_the_car_t_centre_first(
    dlbcl: Case,  # noqa: F811
) -> None:
    ranking = rank(dlbcl, DIRECTORY)
    assert [m.id for m in ranking.matches] == ["haem-cart", "haem-no-cart"]
    best = ranking.matches[0]
    lines = [r.en for r in best.matched]
    assert any("serves Lymphoma" in line for line in lines)
    assert any("offers CAR-T cell therapy" in line for line in lines)
    # every reason from a record names the fact it rests on, and the fact is the case's
    fact_ids = {f.id for f in dlbcl.facts}
    assert all(set(r.facts) <= fact_ids for r in best.matched)
    assert any(r.facts for r in best.matched)
    other = ranking.matches[1]
    assert any("does not list CAR-T cell therapy" in r.en for r in other.not_offered)
    assert any("not stated publicly" in r.en for r in other.asked)


def test_a_direction_for_another_cancer_or_programme_is_listed_as_not_ranked_with_why(
    dlbcl: Case,  # noqa: F811
) -> None:
    ranking = rank(dlbcl, DIRECTORY)
    why = {d["id"]: r for d, r in ranking.not_ranked}
    assert "serves Breast cancer; the records say" in why["breast"].en
    assert "DLBC" in why["breast"].en or "large B-cell" in why["breast"].en
    assert why["eye"].en == "serves eye, not oncology"
    assert "诊治乳腺癌" in why["breast"].zh


def test_a_breast_case_matches_the_breast_department_by_its_recorded_cancer_type(
    breast: Case,  # noqa: F811
) -> None:
    ranking = rank(breast, DIRECTORY)
    assert [m.id for m in ranking.matches] == ["breast"]
    (reason,) = [r for r in ranking.matches[0].matched if "Breast cancer" in r.en]
    assert reason.facts and "p." in reason.en  # the source document and page are named


def test_what_the_patient_asked_for_is_answered_for_each_direction(
    dlbcl: Case,  # noqa: F811
) -> None:
    case = _with_intake(dlbcl, preferred_language="en", cities=["Tianjin"])
    best = rank(case, DIRECTORY).matches[0]
    asked = [r.en for r in best.asked]
    assert "you asked for en: offered" in asked
    assert "in Tianjin, as you asked" in asked
    assert "reviews records remotely before any travel" in asked
    other = rank(case, DIRECTORY).matches[1]
    assert "you asked for en: languages not stated publicly" in [r.en for r in other.asked]


def test_a_capability_named_only_in_the_patients_goals_counts(lung: Case) -> None:  # noqa: F811
    directory = copy.deepcopy(DIRECTORY)
    directory["directions"].append(
        {
            **copy.deepcopy(directory["directions"][2]),
            "id": "lung-proton",
            "conditions": ["lung_cancer"],
            "capabilities": ["proton"],
        }
    )
    case = _with_intake(lung, goals="Could proton therapy be an option for the bone lesions?")
    (m,) = rank(case, directory).matches
    assert any('"proton"' in r.en and "offers Proton therapy" in r.en for r in m.matched)


def test_what_is_missing_is_the_cases_own_gaps_most_needed_first(
    breast: Case,  # noqa: F811
) -> None:
    (m,) = rank(breast, DIRECTORY).matches
    severities = [r.en.rsplit("(", 1)[1].rstrip(")") for r in m.missing]
    assert severities and severities == sorted(severities, key=["essential", "important"].index)
    titles = {g.title for g in breast.gaps if g.severity != "helpful"}
    assert {r.en.rsplit(" (", 1)[0] for r in m.missing} == titles


def test_the_mdt_disciplines_follow_the_facts(
    breast: Case,  # noqa: F811
    dlbcl: Case,  # noqa: F811
) -> None:
    solid = dict(propose_disciplines(breast, DIRECTORY))
    assert {"medical_oncology", "surgical_oncology", "radiation_oncology", "radiology"} <= set(
        solid
    )
    assert "clinical_genetics" in solid  # family history of breast cancer is recorded
    assert "haematology" not in solid
    haem = dict(propose_disciplines(dlbcl, DIRECTORY))
    assert {"haematology", "cellular_therapy", "pathology"} <= set(haem)
    assert "surgical_oncology" not in haem
    assert "Cellular therapy:" in haem["cellular_therapy"].en
    assert haem["cellular_therapy"].zh.startswith("细胞治疗：")


def test_casebridge_match_prints_the_ranking_in_english_chinese_and_json(
    tmp_path: Path,
    dlbcl: Case,  # noqa: F811
) -> None:
    case_json = tmp_path / "case.json"
    case_json.write_text(json.dumps(dlbcl.to_dict()), encoding="utf-8")
    directory = tmp_path / "directions.yaml"
    directory.write_text(yaml.safe_dump(DIRECTORY, allow_unicode=True), encoding="utf-8")
    runner = CliRunner()
    en = runner.invoke(main, ["match", str(case_json), "--directory", str(directory)])
    assert en.exit_code == 0, en.output
    assert "1. Example Haematology Hospital · Cellular Therapy Centre, Tianjin" in en.output
    assert "nothing here is a promise" in en.output
    zh = runner.invoke(
        main, ["match", str(case_json), "--directory", str(directory), "--lang", "zh"]
    )
    assert "示例血液病医院 · 细胞治疗中心" in zh.output and "建议的多学科团队" in zh.output
    out = runner.invoke(main, ["match", str(case_json), "--directory", str(directory), "--json"])
    data = json.loads(out.output)
    assert data["matches"][0]["id"] == "haem-cart"
    assert {d["key"] for d in data["disciplines"]} >= {"haematology", "cellular_therapy"}


@pytest.mark.parametrize("content", ["not: [valid", "directions: 3", "- a list"])
def test_a_directory_file_that_cannot_be_read_is_a_clear_error(
    tmp_path: Path,
    dlbcl: Case,  # noqa: F811
    content: str,
) -> None:
    case_json = tmp_path / "case.json"
    case_json.write_text(json.dumps(dlbcl.to_dict()), encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(main, ["match", str(case_json), "--directory", str(bad)])
    assert result.exit_code == 1 and "E203" in result.output


def test_on_the_packaged_directory_the_car_t_question_ranks_a_car_t_centre_first(
    dlbcl: Case,  # noqa: F811
) -> None:
    from casebridge.engine.directions import load_directions

    ranking = rank(dlbcl)
    best = ranking.matches[0]
    assert "car_t" in best.direction["capabilities"]
    assert any("offers CAR-T cell therapy" in r.en for r in best.matched)
    # every direction of the packaged directory is either ranked or said why not
    ids = {m.id for m in ranking.matches} | {d["id"] for d, _ in ranking.not_ranked}
    assert ids == {d.id for d in load_directions()}
    assert all(
        not m.direction["programmes"] or "oncology" in m.direction["programmes"]
        for m in ranking.matches
    )
