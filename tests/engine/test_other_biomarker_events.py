"""A result of another marker keeps the event it tested and its method ("TP53 mutation not
detected by NGS" is not "TP53 negative"; a deletion by FISH is another test), EN and ZH."""

from __future__ import annotations

from casebridge.engine.case import Case, Fact
from casebridge.engine.extract import biomarkers
from casebridge.engine.render.summary import build_summary
from tests.engine import factories
from tests.engine.test_render_summary import row


def results(text: str) -> list[Fact]:
    doc = factories.document("d1", "genetic_report", text, date="2026-05-04")
    return [f for f in biomarkers.extract(doc) if f.kind == "other_biomarker"]


def test_a_negative_that_names_its_event_and_method_keeps_both() -> None:
    (f,) = results("PIK3CA mutation not detected by next-generation sequencing.")
    assert f.value == "mutation not detected"
    assert f.attributes["method"] == "NGS"
    assert f.display == "PIK3CA mutation not detected (NGS)"


def test_a_deletion_by_fish_and_a_mutation_by_ngs_are_two_results() -> None:
    found = results("FISH: TP53 deletion not detected.\nTP53 mutation not detected by NGS.\n")
    assert [(f.value, f.attributes.get("method")) for f in found] == [
        ("deletion not detected", "FISH"),
        ("mutation not detected", "NGS"),
    ]


def test_a_bare_negative_stays_negative() -> None:
    (f,) = results("TP53 negative.")
    assert f.value == "negative" and "method" not in f.attributes


def test_the_summary_row_says_event_and_method_in_english_and_chinese() -> None:
    doc = factories.document(
        "d1", "genetic_report", "TP53 mutation not detected by NGS.\n", date="2026-05-04"
    )
    case = Case(case_id="CB-TP53", documents=[doc], facts=biomarkers.extract(doc))
    assert row(build_summary(case, "en"), "TP53").startswith("TP53 mutation not detected (NGS)")
    zh = row(build_summary(case, "zh"), "TP53")
    assert "突变未检出" in zh and "二代测序" in zh and "[EN]" not in zh
