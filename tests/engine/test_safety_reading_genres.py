"""How the emergency screen reads log genres, figures of speech, word boundaries in Chinese
and lay phrasings: each way of reading with a case that flags and a look-alike that must
not, in English and Chinese.

The sentences are the tests' own, written from the UKONS triage tool, NICE, ESMO and the
BSH (Cairo-Bishop) tumour lysis criteria; the evaluation notes are separate.
"""

from __future__ import annotations

import datetime as dt

import pytest

from casebridge.engine.safety import context_holds, screen_text

TODAY = dt.date(2026, 12, 8)


def flag_ids(text: str, on_treatment: bool = False) -> set[str]:
    return {f.rule.split(".")[0] for f in screen_text(text, on_treatment=on_treatment, today=TODAY)}


# ------------------------------------------------------------------ adverse-event logs
def test_an_adverse_event_log_entry_closed_later_in_its_sentence_is_over() -> None:
    assert (
        flag_ids(
            "AE log, cycle 3: Diarrhoea, CTCAE grade 3, onset 02/11/2026, resolved 05/11/2026 "
            "with loperamide. Outcome: recovered."
        )
        == set()
    )
    assert flag_ids("不良事件记录：3级腹泻，第2天出现，第4天缓解。今日大便1次，成形。") == set()


def test_an_adverse_event_log_entry_still_going_on_raises_its_flag() -> None:
    assert "sact_gi" in flag_ids(
        "AE log, cycle 3: Grade 3 diarrhoea, onset 06/12/2026, outcome recovering/resolving."
    )
    assert "sact_gi" in flag_ids(
        "AE log: Grade 3 diarrhoea, onset 06/12/2026, not resolved, 8 a day."
    )
    assert "sact_gi" in flag_ids("不良事件记录：3级腹泻，12月6日出现，至今未缓解。")


def test_the_same_resolved_words_outside_a_log_keep_their_own_reach() -> None:
    # not an adverse-event log: a resolution three clauses on is not read back
    assert "sact_gi" in flag_ids(
        "Grade 3 diarrhoea since Sunday, seen in clinic, fluids given, cramps resolved"
    )


# ------------------------------------------------------------------ recovery in words
def test_an_illness_a_note_says_the_person_has_recovered_from_is_over() -> None:
    assert flag_ids("请假条：因脓毒症住院一周，现已康复出院，申请补假。") == set()
    assert flag_ids("Nosebleed at lunchtime, stopped with pressure after ten minutes.") == set()


def test_an_illness_not_yet_recovered_from_still_raises_the_flag() -> None:
    assert "sepsis" in flag_ids("今天诊断脓毒症，还没有康复，在急诊")
    assert "bleeding" in flag_ids("Nosebleed for forty minutes that has not stopped with pressure")


# ------------------------------------------------------------------ figures of speech
def test_a_word_in_scare_quotes_after_a_figure_of_speech_is_the_figure() -> None:
    assert flag_ids('这趟出国购物简直是"大出血"，钱包空了，人好好的。') == set()
    assert flag_ids('Black Friday was a real "haemorrhage" for my bank account.') == set()


def test_a_word_in_quotes_without_a_figure_of_speech_is_the_finding() -> None:
    assert "bleeding" in flag_ids('医生说他这是"大出血"，要马上输血。')
    assert "bleeding" in flag_ids('The paramedic said it was a "haemorrhage" from the tumour.')


# ------------------------------------------------------------------ Chinese word boundaries
def test_a_chinese_phrase_that_ends_inside_a_longer_word_is_not_that_phrase() -> None:
    # 无尿急尿痛: no urgency and no pain on passing urine, not anuria
    assert flag_ids("随访：排尿通畅，无尿急尿痛，夜尿1次。") == set()
    # 血尿酸: serum urate, not 血尿 (blood in the urine)
    assert flag_ids("复查血尿酸410μmol/L，在正常范围") == set()
    assert flag_ids("Follow-up: passing urine well, no urgency or pain, up once at night.") == set()


def test_the_same_chinese_phrase_standing_alone_raises_its_flag() -> None:
    assert "sepsis" in flag_ids("发烧两天，今天一整天无尿，人很没精神")
    assert "bleeding" in flag_ids("今天早上发现血尿，颜色很红")
    assert "sepsis" in flag_ids("Fever for two days and no urine all day today, very flat")


# ------------------------------------------------------------------ leaflets and prevention
def test_a_leaflet_or_prevention_advice_is_about_nobody() -> None:
    assert flag_ids("气促自我管理宣传页：可以用小风扇、缩唇呼吸，合理安排活动。") == set()
    assert flag_ids("TLS prevention counselling: drink plenty, take the allopurinol.") == set()


def test_the_same_words_about_the_person_raise_the_flag() -> None:
    assert "breathing" in flag_ids("宣传页我看过了。我爸现在气促得厉害，说话说不完一句。")
    assert "tumour_lysis" in flag_ids("Bloods tonight show TLS after the first dose of R-CHOP.")


# ------------------------------------------------------------------ treatment context
def test_a_denial_earlier_in_an_unpunctuated_message_does_not_deny_the_treatment() -> None:
    assert context_holds(
        "checkpoint", "no blood no pain just thought you should know as i had my immunotherapy"
    )
    assert context_holds("sact", "一点水都喝不下 没发烧 化疗后第9天")


def test_a_denial_of_the_treatment_itself_still_denies_it() -> None:
    assert not context_holds("checkpoint", "loose stools, not on immunotherapy")
    assert not context_holds("sact", "拉肚子三天，没有化疗")


# ------------------------------------------------------------------ lay phrasings
RAISES = [
    # checkpoint inhibitors by their Chinese nicknames (K药 pembrolizumab, O药 nivolumab)
    ("打了O药以后，拉肚子一天七八次", "immune_colitis", False),
    ("K药第二针后，大便稀，里面带血", "immune_colitis", False),
    (
        "On Keytruda: my bowels have gone funny, four or five more times a day than normal",
        "immune_colitis",
        False,
    ),
    # FAST in lay words (NICE NG128)
    ("刚才筷子都拿不住了，嘴也歪了，说话大舌头", "stroke", False),
    ("My words are coming out all wrong and my right hand won't hold the cup", "stroke", False),
    # a fit and not yet come round (UKONS seizures)
    ("刚才全身抽筋，现在叫他都不应", "neuro", False),
    ("Shaking all over for five minutes and she is still not fully awake", "neuro", False),
    # breathlessness in Cantonese; cyanosed lips (UKONS breathlessness)
    ("我唞唔到气，讲嘢讲唔完一句，嘴唇变紫", "breathing", False),
    # a tightening chest on 5-FU (UKONS chest pain)
    ("My chest has gone tight and heavy since the pump went on", "chest_pain", False),
    # a tight collar, a thicker neck, a puffy face (UKONS SVCO)
    ("Lung cancer: my shirt collars have gone too tight and my face is all puffy", "svco", False),
    ("肺癌，早上起来脸肿，脖子也变粗了", "svco", False),
    # a home glucose meter over its range; polyuria (ESMO 2022, JBDS DKA)
    ("免疫治疗中，好口渴，成日去厕所，血糖机显示HI", "hyperglycaemia", False),
    ("On nivolumab, really thirsty and going to the toilet all the time", "hyperglycaemia", False),
    # spinal metastases in lay words (NICE NG234)
    ("乳腺癌骨头上有转移，后背疼，一躺下更疼，夜里疼醒", "spinal_pain_amber", False),
    (
        "Her cancer has spread to her bones, back pain wakes her at night",
        "spinal_pain_amber",
        False,
    ),
    # blood on the stool in Chinese (UKONS bleeding)
    ("今天解大便带鲜血", "bleeding", False),
    # dribbling urine (UKONS urinary problems)
    ("Only passing a few dribbles of urine since last night", "urinary", False),
    ("从昨晚起小便一滴一滴地出，憋得难受", "urinary", False),
    # a mouth too sore to swallow (UKONS mucositis)
    ("Mouth ulcers, I haven't been able to swallow anything since yesterday", "mucositis", True),
    # 针口: the needle site (Hong Kong and Guangdong)
    ("化疗中，针口又红又肿", "extravasation", True),
    # breathlessness worsening over days in a person with cancer (UKONS breathlessness)
    ("Known lung cancer, breathlessness worse over the last 3 days", "breathless_amber", False),
    ("肺癌，气短这几天越来越明显", "breathless_amber", False),
    # Hong Kong / Taiwan words: 嗜中性球 (neutrophils), 急症室 (A&E), 白车 (ambulance), 晕低
    ("化療後第10天，嗜中性球0.3", "neutropenic_sepsis", False),
    ("Day 10 after chemo, neuts 0.3", "neutropenic_sepsis", False),
    ("阿爸頭先暈低，已經送咗去急症室", "sent_for_urgent_care", False),
    ("We called an ambulance, paramedics on their way", "sent_for_urgent_care", False),
    ("我哋叫咗白車，佢而家好辛苦", "sent_for_urgent_care", False),
    ("阿爸頭先暈低咗一陣", "neuro", False),
    # fever with a ureteric stent or a catheter, and cloudy urine (NICE NG51 urosepsis)
    ("放了双J管，昨晚开始高烧，尿又浑又臭", "sepsis", False),
    ("Double-J stent in, rigors tonight and cloudy urine", "sepsis", False),
    # hard to rouse (UKONS drowsiness)
    ("叫了她半天才睁眼", "neuro", False),
    # a raised urate after starting treatment (Cairo-Bishop, BSH 2015)
    ("Week 1 of venetoclax: urate 0.55, potassium 5.6", "tls_amber", True),
    ("维奈克拉第一周，尿酸520μmol/L", "tls_amber", True),
]

QUIET = [
    ("打K药第三次了，大便正常，没有带血", False),
    ("On Keytruda: bowels normal, once a day as usual", False),
    ("嘴没有歪，筷子拿得住，说话清楚", False),
    ("Speech normal, both hands grip the cup fine", False),
    ("昨晚腿抽筋了一下，揉揉就好了", False),
    ("Still not fully awake after the sedation for her scope, as expected", False),
    ("爬完山有啲唞唔切气，坐低一阵就好返", False),
    ("Chest feels fine, no tightness or heaviness", False),
    ("Lung cancer: face not puffy, collars fit fine", False),
    ("肺癌，脸不肿，脖子没有变粗", False),
    ("免疫治疗中，不口渴，血糖机显示6.5", False),
    ("On nivolumab, not thirsty, going to the toilet as usual", False),
    ("乳腺癌，骨头上没有转移，后背不疼", False),
    ("The cancer has not spread to her bones, no back pain", False),
    ("今天解大便，没有带血", False),
    ("Passing urine normally, good stream, no dribbling", False),
    ("小便通畅，不是一滴一滴的", False),
    ("化疗中，针口不红不肿", True),
    ("Known lung cancer, breathlessness no worse this week", False),
    ("肺癌，气短没有加重", False),
    ("On venetoclax: urate 0.30, potassium 4.2, all normal", True),
    ("化療後第10天，嗜中性球2.5，沒有發燒", False),
    ("放了双J管，没有发烧，尿清", False),
    ("叫她一声就醒了，精神好", False),
    ("如果再發燒，就要去急症室", False),
    ("出院时交代：如有不适，请叫白车", False),
    ("Discharge advice: if he gets a fever, call an ambulance", False),
    ("维奈克拉第一周，尿酸320μmol/L，正常", True),
]


def test_ulcers_with_swallowing_kept_up_are_no_mouth_too_sore_to_swallow() -> None:
    assert "mucositis" not in flag_ids("Mouth ulcers, but I have been able to swallow fine", True)
    assert "mucositis" not in flag_ids("口腔溃疡，但是吃饭喝水都咽得下去", True)


@pytest.mark.parametrize(("text", "flag_id", "on_treatment"), RAISES)
def test_a_lay_phrasing_raises_its_flag(text: str, flag_id: str, on_treatment: bool) -> None:
    assert flag_id in flag_ids(text, on_treatment)


@pytest.mark.parametrize(("text", "on_treatment"), QUIET)
def test_the_same_words_denied_or_normal_raise_nothing(text: str, on_treatment: bool) -> None:
    assert flag_ids(text, on_treatment) == set()
