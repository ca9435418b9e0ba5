from __future__ import annotations

from casebridge.engine.extract.context import compile_terms, context_of


def ctx(text: str, target: str) -> str:
    start = text.index(target)
    return context_of(text, start, start + len(target))


def test_it_negates_after_no_evidence_of() -> None:
    assert ctx("There is no evidence of metastasis.", "metastasis") == "negated"


def test_nor_negates_the_second_item() -> None:
    assert ctx("Neither lymphoma nor metastasis is seen.", "metastasis") == "negated"


def test_a_question_mark_before_a_term_makes_it_possible() -> None:
    assert ctx("CT chest: ?PE", "PE") == "possible"
    assert ctx("Impression: ? lymphoma.", "lymphoma") == "possible"


def test_a_question_mark_after_a_word_ends_a_question_and_not_the_next_sentence() -> None:
    assert ctx("Is this lymphoma? Biopsy confirmed carcinoma.", "carcinoma") == "asserted"


def test_family_history_is_family() -> None:
    assert ctx("Her mother had breast cancer.", "breast cancer") == "family"


def test_history_of_is_historical() -> None:
    assert ctx("History of hypertension.", "hypertension") == "historical"


def test_pseudo_triggers_do_not_negate() -> None:
    assert ctx("No change in the size of the liver metastasis.", "liver metastasis") == "asserted"
    assert ctx("Hospital No. 12345 lymphoma", "lymphoma") == "asserted"
    assert ctx("Staging prior to surgery showed carcinoma", "carcinoma") == "asserted"


def test_a_terminator_cuts_the_scope_of_a_negation() -> None:
    assert ctx("No lymphadenopathy but a 3 cm mass in the liver.", "mass") == "asserted"


def test_post_triggers_apply_to_the_term_before_them() -> None:
    assert ctx("Metastatic disease cannot be excluded.", "Metastatic disease") == "possible"
    assert ctx("Lymphovascular invasion is not identified.", "Lymphovascular invasion") == "negated"


def test_a_negation_does_not_reach_the_next_line_item() -> None:
    text = "No known allergies\nRamipril 5 mg od"
    assert ctx(text, "Ramipril") == "asserted"


def test_a_negation_reaches_only_a_few_words() -> None:
    text = (
        "No lymphovascular invasion and the tumour lies well away from the deep margin with a "
        "large lymph node involved by carcinoma"
    )
    assert ctx(text, "carcinoma") == "asserted"


def test_compiled_terms_prefer_the_longest_and_respect_word_edges() -> None:
    pattern = compile_terms(["no", "no evidence of", "R-CHOP", "h/o"])
    assert [m.group() for m in pattern.finditer("no evidence of; RCHOP, R CHOP; nothing; h/o")] == [
        "no evidence of",
        "RCHOP",
        "R CHOP",
        "h/o",
    ]


def test_a_conditional_list_item_makes_its_whole_item_possible() -> None:
    text = "• If HER2 amplified: refer for chemotherapy with\ntrastuzumab before surgery."
    assert ctx(text, "trastuzumab") == "possible"
    assert ctx("If you have diabetes, please ring us.", "diabetes") == "possible"


def test_an_earlier_sentence_starting_with_if_does_not_reach_the_next_one() -> None:
    assert ctx("If you have questions please ring. The CT showed progression.", "progression") == (
        "asserted"
    )


def test_a_family_table_row_is_family() -> None:
    assert ctx("Family history\nFather: ischaemic heart disease\n", "ischaemic") == "family"


def test_a_negation_inside_closed_brackets_does_not_reach_past_them() -> None:
    text = "rituximab 375 mg/m2 (no infusion reaction), gemcitabine 1000 mg/m2"
    assert ctx(text, "gemcitabine") == "asserted"


def test_a_question_asks_and_does_not_state() -> None:
    assert ctx("Why can't I have CAR-T now instead of a transplant?", "CAR-T") == "possible"
    assert ctx("He asked whether he could have CAR-T now.", "CAR-T") == "possible"


def test_the_duration_of_a_complaint_is_not_past_history() -> None:
    assert ctx("3-week history of a palpable lump in the left breast.", "left") == "asserted"


def test_no_active_bleeding_is_negated() -> None:
    assert ctx("Small post-biopsy haematoma. No active bleeding.", "bleeding") == "negated"
