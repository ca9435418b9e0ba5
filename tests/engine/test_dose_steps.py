"""Dose steps of one medicine, a loading then a maintenance dose or a ramp-up, as
prescriptions write them (BNF "initially ..., then ..."): the step is never a medicine of
its own ("then"), and the summary shows the steps with the medicine, EN and ZH."""

from __future__ import annotations

from tests.engine.course_helpers import read, summary_of
from tests.engine.test_render_summary import row


# -- a dose step belongs to the medicine before it ------------------------------------------
def test_a_maintenance_dose_after_then_is_the_same_medicine_not_a_medicine_called_then() -> None:
    text = (
        "Goserelin 10.8 mg subcutaneous loading dose given 02/02/2026, "
        "then 3.6 mg subcutaneous every 28 days.\n"
    )
    found = read(text)
    assert not [f for f in found if f.value.lower().startswith("then")]
    goserelin = next(f for f in found if f.value == "goserelin")
    assert goserelin.attributes["dose_steps"] == (
        "10.8 mg subcutaneous loading dose, then 3.6 mg subcutaneous every 28 days"
    )


def test_each_step_of_a_ramp_up_is_kept_in_order_with_its_medicine() -> None:
    text = (
        "Venetoclax 20 mg once daily for 7 days, then 50 mg once daily for 7 days, "
        "then 100 mg once daily for 7 days, then 400 mg once daily.\n"
    )
    found = read(text)
    assert [f for f in found if f.kind == "medication" and f.value == "then"] == []
    (treatment,) = [f for f in found if f.kind == "targeted_therapy"]
    assert {treatment.attributes["dose_steps"]} == {
        "20 mg once daily for 7 days, then 50 mg once daily for 7 days, "
        "then 100 mg once daily for 7 days, then 400 mg once daily"
    }


def test_a_medicine_list_item_keeps_its_dose_and_its_later_step() -> None:
    text = (
        "Current medications:\n- Prednisolone 40 mg once daily, then reducing to 30 mg once daily\n"
    )
    meds = [f for f in read(text) if f.kind == "medication"]
    assert [f.value for f in meds] == ["prednisolone"]
    assert meds[0].attributes["dose"] == "40 mg"
    assert meds[0].attributes["dose_steps"] == "then reducing to 30 mg once daily"


def test_then_when_required_is_no_dose_step() -> None:
    text = "Medications on discharge\n• Ondansetron 8 mg orally twice daily for 3 days, then when required\n"
    (med,) = [f for f in read(text) if f.kind == "medication"]
    assert "dose_steps" not in med.attributes


def test_the_summary_shows_a_medicines_steps_in_english_and_in_chinese() -> None:
    text = "Degarelix 240 mg subcutaneous, then 80 mg subcutaneous every 28 days, ongoing.\n"
    en = row(summary_of(text, "en"), "Hormone therapy")
    assert en.startswith("degarelix, 240 mg subcutaneous, then 80 mg subcutaneous every 28 days (")
    zh = row(summary_of(text, "zh"), "内分泌治疗")
    assert zh.startswith("地加瑞克，240 mg 皮下，之后80 mg 皮下每28天一次")


def test_a_step_the_chinese_table_lacks_leaves_the_steps_whole_in_english_marked() -> None:
    text = "Degarelix 240 mg subcutaneous, then 80 mg subcutaneous every 28 days until PSA progression.\n"
    zh = row(summary_of(text, "zh"), "内分泌治疗")
    assert (
        "地加瑞克，[EN]240 mg subcutaneous, then 80 mg subcutaneous every 28 days until PSA" in zh
    )
    assert "之后" not in zh  # never half translated


def test_a_loading_dose_and_a_ramp_up_step_read_in_chinese_clause_by_clause() -> None:
    text = (
        "Degarelix 240 mg subcutaneous loading dose, then 80 mg subcutaneous every 28 days.\n"
        "Venetoclax 20 mg once daily for 7 days, then 50 mg, 100 mg, each once daily for 7 days.\n"
    )
    summary = summary_of(text, "zh")
    assert "地加瑞克，240 mg 皮下负荷剂量，之后80 mg 皮下每28天一次" in row(summary, "内分泌治疗")
    assert "维奈克拉，20 mg 每日一次，共7天，之后50 mg，100 mg，各每日一次，共7天" in row(
        summary, "靶向治疗"
    )


# -- a planned course keeps its dose and interval (SACT: dose, then cycle length) -----------
def test_each_drug_of_a_planned_doublet_keeps_its_dose_and_the_cycle_interval() -> None:
    text = "Plan: cisplatin 75 mg/m2 and gemcitabine 1250 mg/m2 every 3 weeks, provisionally from 04/05/2026.\n"
    found = {f.value: f for f in read(text) if f.kind == "drug"}
    assert found["cisplatin"].attributes["interval"] == "every 3 weeks"
    assert found["gemcitabine"].attributes["interval"] == "every 3 weeks"
    en = row(summary_of(text, "en"), "Plan (planned")
    assert "cisplatin 75 mg/m2, every 3 weeks (planned" in en
    zh = row(summary_of(text, "zh"), "计划")
    assert "顺铂 75 mg/m2，每3周一次（计划" in zh


def test_an_interval_after_then_is_the_next_steps_not_the_drugs() -> None:
    text = (
        "Plan: paclitaxel 80 mg/m2 weekly for 12 weeks, then epirubicin 90 mg/m2 every 21 days.\n"
    )
    found = {f.value: f for f in read(text) if f.kind == "drug"}
    assert found["paclitaxel"].attributes["interval"] == "weekly"
