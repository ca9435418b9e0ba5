"""How the emergency screen reads context, kind by kind: each kind with a case that flags
and a look-alike that must not, in English and Chinese.

The sentences are the tests' own, written from the UKONS triage tool, NICE and ESMO; the
evaluation notes (casebridge/evaluation/safety_notes*.yaml) are separate.
"""

from __future__ import annotations

import datetime as dt

import pytest

from casebridge.engine.safety import screen_text

TODAY = dt.date(2026, 11, 20)


def flags(text: str, on_treatment: bool = False) -> list[tuple[str, str]]:
    return [
        (f.rule.split(".")[0], f.level)
        for f in screen_text(text, on_treatment=on_treatment, today=TODAY)
    ]


def flag_ids(text: str, on_treatment: bool = False) -> set[str]:
    return {fid for fid, _level in flags(text, on_treatment)}


# ------------------------------------------------------------------ reflective writing
@pytest.mark.parametrize(
    "text",
    [
        "Student nurse reflective log (week 6): This week I cared for a gentleman recovering "
        "from immunotherapy pneumonitis. Using Gibbs' cycle I reflected on asking questions.",
        "Reflective log: on a night shift a patient told me he had been thinking of ending "
        "his life. I escalated to the nurse in charge.",
        "护理反思日志：今天照顾的病人化疗后发烧39度，我学会了先抽血培养再用抗生素。",
    ],
)
def test_a_reflective_log_about_learning_raises_nothing(text: str) -> None:
    assert flags(text, on_treatment=True) == []


def test_the_same_words_said_about_oneself_still_raise_the_flag() -> None:
    assert ("suicidal", "red") in flags("I have been thinking of ending my life")
    assert ("neutropenic_sepsis", "red") in flags("化疗后发烧39度", on_treatment=True)


# ------------------------------------------------------------------ figures of speech
def test_a_joke_about_a_heart_attack_is_no_chest_pain() -> None:
    assert flags("This waiting is giving me a heart attack, no chest pain") == []
    assert ("chest_pain", "red") in flags("I think he is having a heart attack")


def test_stress_that_takes_the_breath_away_is_no_breathing_difficulty() -> None:
    assert flags("工作压力大到喘不过气，老板天天催，身体倒是没啥") == []
    assert ("breathing", "red") in flags("我爸今天喘不过气，嘴唇发紫")


# ------------------------------------------------------------------ the person's baseline
def test_confusion_the_same_as_usual_is_the_persons_baseline() -> None:
    assert flags("Vascular dementia. Family say his mild confusion is the same as usual") == []
    assert flags("老年痴呆多年，他有点糊涂，跟平时一样") == []


def test_confusion_that_is_new_today_still_raises_the_flag() -> None:
    assert ("neuro", "red") in flags("Vascular dementia. Family say he is much more confused today")
    assert ("neuro", "red") in flags("他今天突然糊涂了，不认得人")


def test_eating_as_usual_does_not_make_the_diarrhoea_usual() -> None:
    text = "替吉奥第10天，大便一天五次，稀糊状，吃饭跟平常一样"
    assert "sact_gi_amber" in flag_ids(text, on_treatment=True)


# ------------------------------------------------------------------ resolved
def test_confusion_that_cleared_with_sugar_is_over() -> None:
    assert flags("Confused during a hypo last night, came round after glucose, BM 6.2") == []
    assert flags("5床昨晚因低血糖一过性意识模糊，补糖后清醒，今晨血糖6.2") == []


def test_confusion_that_has_not_cleared_still_raises_the_flag() -> None:
    assert ("neuro", "red") in flags("Confused since this morning, BM 6.2")
    assert ("neuro", "red") in flags("因低血糖意识模糊，补糖后仍未清醒")


def test_a_resolution_said_after_a_pause_in_a_transcript_reads_back() -> None:
    assert flags("那个 我爸三天前有一点便秘 用了乳果糖 第二天就通了 现在每天都有大便") == []
    assert ("constipation_amber", "amber") in flags("那个 我爸五天没大便了 用了乳果糖 还是不通")


def test_a_thing_made_ready_is_not_a_thing_resolved() -> None:
    assert ("suicidal", "red") in flags("不想活了 拖累孩子们 药我都存好了 今晚就吃")


def test_a_finding_named_again_later_as_faded_is_one_episode_now_over() -> None:
    text = "AML. Plt 9 on 16/11 with petechiae, transfused; petechiae have faded. Plt 68 today."
    assert flags(text, on_treatment=True) == []
    assert flags("上周出现出血点，输了血小板；出血点已消退，今天血小板68", on_treatment=True) == []


def test_a_finding_not_said_to_have_faded_still_raises_the_flag() -> None:
    assert "low_counts" in flag_ids("New petechiae on both shins today", on_treatment=True)
    assert "low_counts" in flag_ids("今天腿上有出血点", on_treatment=True)


def test_an_episode_of_a_past_day_with_recovery_since_is_over() -> None:
    text = (
        "Last Saturday she had a temperature of 38.3 on chemo and stayed in for IV antibiotics. "
        "Home since Wednesday and back to her normal self."
    )
    assert flags(text) == []
    assert flags("上周六化疗后发烧38.5，住院用了抗生素。现在已经出院了，体温一直正常。") == []


def test_a_new_episode_today_after_a_past_one_still_raises_the_flag() -> None:
    text = "Last Saturday she had a temperature on chemo. Home since Wednesday. Temp 38.6 today."
    assert ("neutropenic_sepsis", "red") in flags(text)
    assert ("neutropenic_sepsis", "red") in flags(
        "上周六化疗后发烧住院，已经出院了。今天又烧到38.6。"
    )


# ------------------------------------------------------------------ negation
def test_a_no_that_answers_the_question_before_does_not_negate_what_follows() -> None:
    text = "PR bleed? no - black tarry stools x3 since yesterday, dizzy on standing"
    assert ("bleeding", "red") in flags(text)
    assert ("bleeding", "red") in flags("便血？没有 - 黑色的大便拉了三次，站起来头晕")


def test_a_no_that_opens_its_own_list_still_negates_it() -> None:
    assert flags("Any bleeding? No black stools, no blood in the urine") == []
    assert flags("有没有出血？没有黑便，没有血尿") == []


def test_a_denial_reaches_every_item_of_its_own_list() -> None:
    text = "Asked directly: she denies any thoughts of ending her life or harming herself"
    assert flags(text) == []
    assert flags("直接询问：否认有结束生命或伤害自己的想法") == []
    assert ("suicidal", "red") in flags("Asked directly: she has thoughts of harming herself")


# ------------------------------------------------------------------ someone else
def test_another_persons_husband_is_someone_else() -> None:
    text = "Another patient's husband in our hotel was very breathless. We're okay."
    assert flags(text) == []
    assert flags("邻居的老公化疗的时候得了败血症进了ICU，我下周开始化疗，好害怕") == []


def test_ones_own_husband_is_the_person() -> None:
    assert ("breathing", "red") in flags("My husband is very breathless in our hotel room")
    assert ("neutropenic_sepsis", "red") in flags("我老公化疗后第8天，发烧39度")


# ------------------------------------------------------------------ a test is no symptom
def test_a_daily_handwriting_test_is_an_instruction_not_a_change() -> None:
    text = "After CAR-T: carer to do the daily handwriting test and stay within an hour"
    assert flags(text) == []
    assert ("crs_icans", "red") in flags("After CAR-T: his handwriting has gone messy today")
    assert ("crs_icans", "red") in flags("CAR-T回输后第5天，今天写字写不好了")


# ------------------------------------------------------------------ phrasings and thresholds
RAISES = [
    # a line-related clot: the arm on the side of the line swollen (NICE NG158)
    ("PICC arm swollen since yesterday, not painful", "vte", False),
    ("PICC那侧胳膊从昨天开始肿，不疼，不喘", "vte", False),
    # retention told in the first person (UKONS urinary problems)
    ("Haven't passed urine since last night and my lower belly is tight", "urinary", False),
    ("从昨晚到现在尿不出来，小肚子胀痛", "urinary", False),
    # a regimen named by its letters before "regimen" / 方案 is anticancer treatment
    ("Day 2 after the EC regimen, vomited 3 times, keeping fluids down", "sact_gi_amber", False),
    ("EC方案后第2天，吐了3次，还能喝水，没发烧", "sact_gi_amber", False),
    # Cantonese: 呕咗 (vomited), 冇屙屎 冇放屁 (no stool, no wind)
    ("化疗后第三日，今日呕咗两次", "sact_gi_amber", True),
    ("三日冇屙屎、冇放屁，个肚胀到好似鼓咁，今日呕咗四次", "bowel_obstruction", False),
    (
        "No bowels open or wind for 3 days, tummy swollen, vomiting green",
        "bowel_obstruction",
        False,
    ),
    # jaundice in lay words (UKONS; ESMO immunotherapy toxicities)
    (
        "His skin and the whites of his eyes have gone yellow, wee like strong tea",
        "jaundice_amber",
        False,
    ),
    ("这几天皮肤和眼白都发黄，小便颜色像浓茶", "jaundice_amber", False),
    # ALT or AST above 3 times the upper limit on a checkpoint inhibitor (ESMO 2022 grade 2)
    ("On pembrolizumab, pre-clinic bloods: ALT 168 (was 32), feels well", "jaundice_amber", False),
    (
        "在用帕博利珠单抗，复诊前抽血：ALT 168 U/L（上次32），人没什么不舒服",
        "jaundice_amber",
        False,
    ),
    # the skin over a line red (UKONS central venous access devices)
    ("Her port - the skin over it looks a bit red today", "infection_amber", False),
    ("我爸的输液港 今天洗澡看到那块皮有点红 没有肿", "infection_amber", False),
    # unexplained bruises on treatment (UKONS bruising and bleeding)
    ("Chemo day 12: a few bruises on his legs he can't explain", "low_counts", False),
    ("腿上有几块青 不知道怎么碰的 化疗第十二天", "low_counts", False),
]

QUIET = [
    ("PICC arm not swollen, site clean", False),
    ("PICC那侧胳膊不肿，穿刺点干净", False),
    ("Passing urine normally, no pain", False),
    ("EC方案化疗后第2天，没有呕吐，吃饭正常", False),
    ("化疗后第三日，冇呕，食嘢正常", False),
    ("皮肤和眼白都不黄，小便颜色正常", False),
    ("On pembrolizumab: ALT 38, AST 30, bilirubin normal", False),
    ("On pembrolizumab: ALT 96 (ULN 40)", False),
    ("输液港周围皮肤不红不肿", False),
    ("Port site clean, skin over it not red", False),
    ("化疗第十二天，身上没有青紫", False),
]


@pytest.mark.parametrize(("text", "flag_id", "on_treatment"), RAISES)
def test_a_lay_phrasing_or_threshold_raises_its_flag(
    text: str, flag_id: str, on_treatment: bool
) -> None:
    assert flag_id in flag_ids(text, on_treatment)


@pytest.mark.parametrize(("text", "on_treatment"), QUIET)
def test_the_same_words_denied_or_normal_raise_nothing(text: str, on_treatment: bool) -> None:
    assert flags(text, on_treatment) == []
