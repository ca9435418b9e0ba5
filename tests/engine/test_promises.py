"""The phrase checker of outgoing text (engine/promises.py, issue 11 part 6):
what reads as a promise is found in English and Chinese; a denial, a question
and the words that only look alike are not; the platform's own wording passes."""

from __future__ import annotations

from typing import Any

import pytest

from casebridge.engine import kb, promises
from casebridge.engine.case import Case
from casebridge.engine.match import rank
from tests.engine.test_examples import breast, dlbcl, lung  # noqa: F401  (module fixtures)

PROMISES = [
    ("We guarantee the team will see your case.", "guarantee"),
    ("Rest assured, everything will be fine.", "certainty"),
    ("I promise you will be fine.", "guarantee"),
    ("I assure you the treatment works.", "guarantee"),
    ("Your cancer is curable.", "cure"),
    ("You will make a full recovery.", "cure"),
    ("Don't worry, you will definitely be cured.", "cure"),  # "don't worry" denies nothing
    ("Don’t worry you will be cured.", "cure"),  # a curly apostrophe
    ("They’ll definitely accept you.", "certainty"),
    ("We guarantee it won't hurt.", "guarantee"),  # a negation after a guarantee is its content
    ("包您满意。", "guarantee"),
    ("百分百有效。", "certainty"),
    ("他们会接受您的病例。", "acceptance"),
    ("医院会收治您。", "acceptance"),
    ("不会有任何风险。", "certainty"),
    ("保證治癒。", "guarantee"),  # traditional characters
    ("毫无疑问能治好。", "cure"),
    ("没问题，一定能治好。", "certainty"),
    ("不仅能治好，还能恢复工作。", "cure"),
    ("治愈率100%。", "cure"),
    ("这个疗法１００％有效。", "certainty"),  # full-width digits and sign
    ("This treatment will cure you.", "cure"),
    ("Many patients there are cured.", "cure"),
    ("You will be accepted by the proton centre.", "acceptance"),
    ("You are eligible for CAR-T at this hospital.", "acceptance"),
    ("Their success rate is very high.", "certainty"),
    ("They will definitely take your case.", "certainty"),
    ("It is 100% safe.", "certainty"),
    ("这家医院保证能看您的病例。", "guarantee"),
    ("专家一定能治好。", "certainty"),
    ("这种疗法可以根治。", "cure"),
    ("您的情况符合条件，会被接收。", "acceptance"),
    ("质子治疗无风险。", "certainty"),
    ("这个方案百分之百有效。", "certainty"),
    ("治愈率很高。", "cure"),
    ("我们有绝对的把握。", "certainty"),  # 的 after 绝对 is no exception: only 一定的 is
]

NOT_PROMISES = [
    "We cannot guarantee that the team will take the case.",
    "It gives no guarantee that the records are complete.",
    "We don't guarantee a review date.",
    "We will check whether you are eligible for the trial.",
    "The letter says the intent is curative.",  # a record's word, whole words only
    "Please send the CT report and the MDT outcome.",
    "不保证病历完整或解读无误。",
    "您一定要尽快去急诊。",  # "must": safety advice
    "治疗意图：根治性。",  # curative intent, as a record states it
    "2023年行乳腺癌改良根治术。",  # the name of an operation
    "专家会评估您是否符合条件。",
    "这不一定意味着需要更改治疗。",
    "压缩包内此文件使用绝对路径。",
    "我们会在一定时间内回复您。",  # "within a certain time"
    "这需要一定的准备。",  # "some preparation"
    "We cannot guarantee that this will cure you.",  # the denial covers its clause
    "We don’t guarantee a cure.",
    "Nobody can guarantee the outcome.",
    "No one can promise you will be accepted.",
    "It is impossible to guarantee a result.",
    "A cure is not possible at this stage.",
    "Please definitely call 999 if you feel worse.",  # safety advice
    "Appointment times suitable for you are listed below.",
    "You may be eligible for travel insurance.",
    "100% of your documents have arrived.",
    "We will take you through the steps.",
    "Make sure to bring your scans.",
    "Don't worry, we will reply by Friday.",
    "我们不能保证一定能治好。",
    "无法100%保证。",
    "很难保证结果。",
    "请一定不要自行停药。",
    "绝对不要开车。",
    "请保证充足的睡眠。",
    "您肯定很担心。",  # feeling, not an outcome
    "我们一定会尽快回复您。",  # logistics
    "您的资料会被接收并加密保存。",
    "如果您符合条件，我们会告诉您。",  # a condition
    "我们会有效率地处理。",  # "efficiently"
    "专家能治好吗？",  # a question
]


@pytest.mark.parametrize(("text", "rule"), PROMISES)
def test_a_promise_is_found_with_its_rule(text: str, rule: str) -> None:
    assert rule in {p.rule for p in promises.find(text)}, text


@pytest.mark.parametrize("text", NOT_PROMISES)
def test_a_denial_a_question_or_a_lookalike_word_is_not_a_promise(text: str) -> None:
    assert promises.find(text) == [], text


def test_overlapping_phrases_are_reported_once() -> None:
    found = promises.find("他们一定会被接收。")
    assert [(p.rule, p.phrase) for p in found] == [("acceptance", "一定会被接收")]


def test_each_hit_gives_its_place_in_the_text() -> None:
    text = "We promise you a cure."
    found = promises.find(text)
    assert [(p.rule, text[p.start : p.end]) for p in found] == [
        ("guarantee", "We promise"),
        ("cure", "cure"),
    ]


def test_the_explanation_names_each_phrase_in_english_and_chinese() -> None:
    found = promises.find("We guarantee a cure.")
    english = promises.explain(found, "en")
    assert "\u201cguarantee\u201d" in english and "\u201ccure\u201d" in english
    assert "reword" in english
    chinese = promises.explain(promises.find("保证治愈"), "zh-hans")
    assert "“保证”" in chinese and "“治愈”" in chinese and "改写" in chinese


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.parametrize(
    "name", ["disclaimer", "questions", "gap_rules", "terminology_zh", "mdt_disciplines"]
)
def test_the_platforms_own_wording_in_a_knowledge_file_promises_nothing(name: str) -> None:
    found = {s: promises.find(s) for s in _strings(kb.load(name))}
    assert {s: [p.phrase for p in f] for s, f in found.items() if f} == {}


def test_the_matching_explanations_of_each_example_promise_nothing_in_either_language(
    breast: Case,  # noqa: F811
    lung: Case,  # noqa: F811
    dlbcl: Case,  # noqa: F811
) -> None:
    for case in (breast, lung, dlbcl):
        texts = _strings(rank(case).to_dict())
        assert texts
        assert {s: [p.phrase for p in promises.find(s)] for s in texts if promises.find(s)} == {}


def test_on_the_held_third_of_the_message_set_it_finds_most_promises_and_refuses_few() -> None:
    """The set (casebridge/evaluation/promise_messages.yaml) was written by a
    helper that never saw the rules; its held third was kept aside while they
    were tuned. Floors a little under the figures measured when the set came
    in (held recall 0.771, false refusals 0.038): a change that loses ground on
    unseen messages fails here."""
    from casebridge.evaluation import promises as measured

    figures = measured.evaluate()
    assert figures["promise_recall"] >= 0.75
    assert figures["promise_false_refusal_rate"] <= 0.06
    assert figures["promise_recall_dev"] >= 0.95
    assert figures["promise_false_refusal_rate_dev"] <= 0.02
