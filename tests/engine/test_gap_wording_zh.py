"""A missing record's reason and who holds it read in curated Chinese
(knowledge/terminology_zh.yaml gap_why, gap_note, gap_holder), never in English
marked [EN]: every checklist item and gap rule has its wording, with what the
engine fills in (a test, a scan, a date, the treatments) and what a checklist
adds when the record it found is too old."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from casebridge.engine.case import Case, Gap
from casebridge.engine.gaps import checklist_items, gap_rules
from casebridge.engine.render.summary import Wording
from casebridge.engine.terminology import match_template, table

KNOWLEDGE = Path(__file__).resolve().parents[2] / "casebridge" / "engine" / "knowledge"
PROGRAMMES = sorted(p.stem for p in (KNOWLEDGE / "checklists").glob("*.yaml"))


def _entries() -> list[tuple[str, dict]]:
    items = [(p, item) for p in PROGRAMMES for item in checklist_items(p)]
    return items + [("gap_rules", rule) for rule in gap_rules()["rules"]]


def _chinese(spans) -> str:
    assert spans, "no wording at all"
    assert not any(s.untranslated for s in spans), "".join(s.text for s in spans)
    return "".join(s.text for s in spans)


def _zh(gap: Gap) -> tuple[str, str]:
    words = Wording(Case(programme="oncology"), "zh")
    return _chinese(words.gap_why(gap)), _chinese(words.gap_holder(gap))


@pytest.mark.parametrize(
    ("where", "entry"), _entries(), ids=lambda v: v if isinstance(v, str) else v["id"]
)
def test_every_reason_and_holder_has_its_curated_chinese(where, entry):
    terms = table()
    whys = [t for t in terms.in_category("gap_why") if t.key.split("~")[0] == entry["id"]]
    assert whys, f"{where} {entry['id']}: no gap_why entry"
    if "{" not in entry["why"]:  # a fixed reason: one entry reads exactly as it
        why = " ".join(entry["why"].split())
        assert any(match_template(t.en, why) is not None for t in whys), entry["id"]
    assert terms.lookup(entry["holder"], ["gap_holder"]) is not None, entry["holder"]


def test_every_checklist_items_reason_and_holder_read_in_chinese():
    for programme in PROGRAMMES:
        for item in checklist_items(programme):
            why, holder = _zh(Gap(item["id"], item["title"], item["why"], item["holder"]))
            assert why != item["why"] and holder != item["holder"]


@pytest.mark.parametrize(
    ("gap_id", "why", "says"),
    [
        ("lung-adenocarcinoma-markers:ros1", {"label": "ROS1"}, "ROS1"),
        ("breast-receptors:er_status", {"label": "ER status"}, "雌激素受体"),
        (
            "scan-report-missing:ct-2026-02-10",
            {"modality": "CT", "when": " of 2026-02-10"},
            "2026年2月10日",
        ),
        ("scan-report-missing:bone-scan", {"modality": "bone scan", "when": ""}, "骨扫描"),
        ("treatment-dates-missing", {"treatments": "R-CHOP, pembrolizumab"}, "帕博利珠单抗"),
        ("oncology-letter-out-of-date", {"date": "2026-05-01"}, "2026年5月1日"),
        ("test-not-done:ret", {"test": "RET fusion"}, "RET 融合"),
        ("result-pending:brain-imaging", {"test": "brain MRI"}, "头颅 MRI"),
        ("her2-ish-missing", {"pending": " (the ISH test is recorded as pending)"}, "尚待出结果"),
        ("her2-ish-missing", {"pending": ""}, "没有 ISH 结果。"),
    ],
)
def test_a_gap_rules_reason_reads_in_chinese_with_what_the_engine_filled_in(gap_id, why, says):
    rule = next(r for r in gap_rules()["rules"] if r["id"] == gap_id.split(":")[0])
    english = str(rule["why"])
    for name, value in why.items():
        english = english.replace("{" + name + "}", value)
    chinese, _ = _zh(Gap(gap_id, rule["title"], english, rule["holder"]))
    assert says in chinese and "{" not in chinese


@pytest.mark.parametrize(
    ("note", "says"),
    [
        (
            "The most recent one in the records is dated 2026-09-01, more than 92 days ago.",
            "超过 92 天",
        ),
        ("Found, but its date is not stated, so it cannot be shown to be recent.", "没有写明日期"),
    ],
)
def test_what_a_checklist_adds_about_an_old_record_reads_in_chinese_too(note, says):
    item = next(i for i in checklist_items("oncology") if i["id"] == "latest-imaging")
    chinese, holder = _zh(
        Gap("latest-imaging", item["title"], f"{item['why']} {note}", item["holder"])
    )
    assert chinese.startswith("审阅团队需要了解目前的病变范围") and says in chinese
    assert holder == "医院放射科"


def test_a_reason_whose_english_changed_stays_english_and_marked():
    words = Wording(Case(programme="oncology"), "zh")
    spans = words.gap_why(Gap("staging-imaging", "Staging", "A new reason no one translated.", ""))
    assert [s.untranslated for s in spans] == [True]


def test_the_english_page_keeps_the_english_wording():
    item = checklist_items("oncology")[0]
    words = Wording(Case(programme="oncology"), "en")
    gap = Gap(item["id"], item["title"], item["why"], item["holder"])
    assert [s.text for s in words.gap_why(gap)] == [item["why"]]
    assert [s.text for s in words.gap_holder(gap)] == [item["holder"]]


def test_the_table_s_new_wording_is_valid_yaml_with_a_source_each():
    data = yaml.safe_load((KNOWLEDGE / "terminology_zh.yaml").read_text(encoding="utf-8"))
    for category in ("gap_why", "gap_note", "gap_holder"):
        for entry in data["categories"][category]:
            assert set(entry) <= {"key", "en", "zh", "src"}, entry  # no comma split a value
            assert entry["src"] in data["sources"] and entry["zh"].strip(), entry


def test_a_filled_in_chinese_gap_has_full_width_marks_a_chinese_date_and_no_spaces_between_words():
    rule = next(r for r in gap_rules()["rules"] if r["id"] == "scan-report-missing")
    fill = {"modality": "bone scan", "when": " of 2026-09-10"}
    gap = Gap(
        "scan-report-missing:bone-scan-2026-09-10",
        str(rule["title"]).format(**fill),
        str(rule["why"]).format(**fill),
        str(rule["holder"]),
    )
    why, _holder = _zh(gap)
    assert "做过的骨扫描检查" in why and "2026年9月10日" in why
    assert " 骨扫描 " not in why and "2026-09-10" not in why
