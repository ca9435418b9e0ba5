"""The curated EN -> ZH terminology table and its lookup."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from casebridge.engine import kb
from casebridge.engine.case import DOC_TYPES, PROGRAMMES
from casebridge.engine.terminology import Span, coverage, is_neutral, label, table, translate

EVAL = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "wmt-biomedical-en-zh"


def test_the_table_has_several_hundred_entries_each_with_a_declared_source():
    data = kb.load("terminology_zh")
    terms = table().terms
    assert len(terms) >= 300
    assert all(t.source in data["sources"] for t in terms)
    assert all(t.en.strip() and t.zh.strip() for t in terms)


def test_no_english_term_has_two_different_chinese_terms_in_one_category():
    seen: dict[tuple[str, str], str] = {}
    from casebridge.engine.terminology import normalise

    for t in table().terms:
        key = (t.category, normalise(t.en))
        assert seen.setdefault(key, t.zh) == t.zh, key


def test_clinical_chinese_terms_are_written_in_chinese():
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for t in table().terms:
        if t.category not in ("eponym",):
            assert cjk.search(t.zh), t


def test_every_fact_kind_document_type_and_programme_has_a_chinese_label():
    t = table()
    for kind in kb.fact_kinds():
        assert t.by_key(f"fact_kind.{kind}") is not None, kind
    for doc_type in DOC_TYPES:
        assert t.by_key(f"doc_type.{doc_type}") is not None, doc_type
    for programme in PROGRAMMES:
        assert t.by_key(f"programme.{programme}") is not None, programme


def test_lookup_ignores_case_hyphens_and_british_or_american_spelling():
    assert translate("Tumor") == [Span("肿瘤")]
    assert translate("OESTROGEN RECEPTOR", "biomarker") == [Span("雌激素受体")]
    assert translate("esophagus", "site") == [Span("食管")]
    assert translate("non small cell lung cancer") == [Span("非小细胞肺癌")]


def test_a_value_made_of_table_terms_and_codes_is_translated():
    assert translate("ER positive", "biomarker") == [Span("雌激素受体阳性")]
    assert translate("haemoglobin 105 g/L", "lab") == [Span("血红蛋白 105 g/L")]
    assert translate("letrozole 2.5 mg once daily", "drug") == [Span("来曲唑 2.5 mg 每日一次")]
    assert translate("stage IIIA", "stage") == [Span("IIIA期")]


def test_codes_and_symbols_need_no_translation():
    for code in ("pT2 N0 M0", "HER2 3+", "ECOG 1", "KRAS G12C", "FOLFOX", "2024-03-01", "20%"):
        assert is_neutral(code), code
        assert translate(code) == [Span(code)]


def test_english_the_table_does_not_cover_is_returned_marked_untranslated():
    assert translate("Raynaud phenomenon") == [Span("Raynaud phenomenon", untranslated=True)]
    spans = translate("positive (weird wording)", "result")
    assert spans[0] == Span("阳性 (")
    assert Span("weird wording", untranslated=True) in spans


def test_fixed_wording_comes_in_both_languages_by_key():
    assert label("heading.not_stated", "zh") == "未提及"
    assert label("heading.not_stated", "en") == "not stated"
    assert label("heading.page", "zh", n=2) == "第2页"
    assert label("no.such.key", "zh") == "no.such.key"


@pytest.mark.eval
def test_terminology_agrees_with_reference_translations_of_biomedical_abstracts():
    path = EVAL / "pairs.csv"
    if not path.exists():
        pytest.skip("evaluation data not present")
    with path.open(encoding="utf-8") as fh:
        pairs = [(row["en"], row["zh"]) for row in csv.DictReader(fh)]
    result = coverage(pairs)
    print(
        f"\nWMT18 biomedical EN-ZH: {result.pairs} pairs, {result.pairs_with_terms} "
        f"({result.sentence_coverage:.0%}) contain a table term; {result.term_hits} term uses "
        f"({result.distinct_terms} distinct), {result.agreement:.1%} agree with the reference"
    )
    assert result.sentence_coverage > 0.3
    assert result.agreement > 0.6


@pytest.mark.parametrize(
    "english, chinese",
    [
        ("Nottingham grade 2 (3+2+2)", "Nottingham 组织学分级 2级 (3+2+2)"),
        ("Gleason 4+3 = 7", "Gleason 评分 4+3 = 7"),
    ],
)
def test_a_named_grade_reads_with_its_chinese_grade_word(english, chinese):
    spans = translate(english, "grade")
    assert "".join(s.text for s in spans) == chinese and not any(s.untranslated for s in spans)
