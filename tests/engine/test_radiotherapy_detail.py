"""A radiotherapy keeps its dose, fractions, target and the date written after the dose
(RCR dose fractionation wording: "<dose> Gy in <n> fractions to <site>"), EN and ZH."""

from __future__ import annotations

from casebridge.engine.case import Case, Fact
from casebridge.engine.extract import course
from casebridge.engine.render.summary import build_summary
from tests.engine import factories
from tests.engine.test_render_summary import row

LETTER_DATE = "2026-04-20"


def letter(text: str) -> tuple[Case, list[Fact]]:
    doc = factories.document("d1", "clinic_letter", text, date=LETTER_DATE)
    doc.document_date = LETTER_DATE
    facts = course.extract(doc)
    return Case(case_id="CB-RT", documents=[doc], facts=facts), facts


def radiotherapy(text: str) -> Fact:
    (rt,) = [f for f in letter(text)[1] if f.kind == "radiotherapy"]
    return rt


def test_a_planned_radiotherapy_keeps_its_target_dose_and_fractions() -> None:
    rt = radiotherapy(
        "Plan: radiotherapy to the left breast and supraclavicular fossa, 40 Gy in 15 "
        "fractions, planned to start 11/05/2026.\n"
    )
    assert rt.attributes["site"] == "left breast and supraclavicular fossa"
    assert rt.attributes["dose"] == "40 Gy in 15 fractions"
    assert rt.attributes["status"] == "planned"


def test_the_date_closing_a_radiotherapy_clause_dates_it_and_a_single_fraction_is_singular() -> (
    None
):
    rt = radiotherapy(
        "Treatment to date: palliative radiotherapy to L2, 8 Gy in 1 fraction,\n03/02/2026."
    )
    assert rt.attributes["site"] == "L2"
    assert rt.attributes["date"] == "2026-02-03"
    assert rt.attributes["dose"] == "8 Gy in 1 fraction"
    assert rt.attributes["status"] == "completed"  # a procedure dated before the letter


def test_a_date_that_starts_a_plan_is_not_the_date_given() -> None:
    rt = radiotherapy("Radiotherapy to T9, 20 Gy in 5 fractions, planned from 04/05/2026.")
    assert "date" not in rt.attributes and rt.attributes.get("start_date") == "2026-05-04"


def test_the_summary_row_shows_dose_and_target_in_english_and_chinese() -> None:
    text = "Radiotherapy to prostate and seminal vesicles, 60 Gy in 20 fractions, planned to start 18/05/2026.\n"
    case, _ = letter(text)
    en = row(build_summary(case, "en"), "Plan (planned")
    assert en.startswith(
        "radiotherapy, 60 Gy in 20 fractions, to prostate and seminal vesicles (planned"
    )
    zh = row(build_summary(case, "zh"), "计划")
    assert zh.startswith("放疗，60 Gy/20次，照射部位：前列腺及精囊（计划")


def test_a_target_the_chinese_table_lacks_stays_english_marked_and_alone() -> None:
    case, _ = letter(
        "Radiotherapy to the left axillary apex, 40 Gy in 15 fractions, planned to start 18/05/2026.\n"
    )
    zh = row(build_summary(case, "zh"), "计划")
    assert "照射部位：[EN]left axillary apex（" in zh
