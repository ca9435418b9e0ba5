"""Menopausal status, smoking, family history and the germline testing assessment."""

from __future__ import annotations

from casebridge.engine.case import Fact
from casebridge.engine.extract import history
from tests.engine.factories import document


def _facts(text: str, kind: str) -> list[Fact]:
    return [f for f in history.extract(document("d1", "clinic_letter", text)) if f.kind == kind]


def test_menopausal_status_is_read_as_written() -> None:
    assert [f.value for f in _facts("She is postmenopausal (LMP 2021).", "menopausal_status")] == [
        "postmenopausal"
    ]
    assert _facts("Menopausal status: pre-menopausal", "menopausal_status")[0].value == (
        "premenopausal"
    )


def test_smoking_status_keeps_pack_years_and_the_year_stopped() -> None:
    (fact,) = _facts("Ex-smoker (15 pack-years, stopped 2005).", "smoking_status")
    assert fact.value == "ex-smoker"
    assert fact.display == "ex-smoker (15 pack-years, stopped 2005)"


def test_never_smoked_is_a_stated_status_not_a_negated_one() -> None:
    (fact,) = _facts("Never smoked. Alcohol 6 units a week.", "smoking_status")
    assert (fact.value, fact.context) == ("never smoked", "asserted")
    assert _facts("Non-smoker.", "smoking_status")[0].value == "never smoked"


def test_a_relatives_cancer_is_family_history_with_the_age_at_diagnosis() -> None:
    (fact,) = _facts("Mother: breast cancer, diagnosed aged 68", "family_history")
    assert fact.value == "mother: breast cancer"
    assert fact.display == "mother: breast cancer (aged 68)"
    assert fact.context == "asserted"


def test_each_relative_keeps_their_own_condition() -> None:
    text = "Family history: his brother had non-Hodgkin lymphoma and his father had a stroke."
    assert [f.value for f in _facts(text, "family_history")] == [
        "brother: non-Hodgkin lymphoma",
        "father: stroke",
    ]


def test_no_family_history_is_recorded_as_such() -> None:
    assert [f.value for f in _facts("No family history of cancer.", "family_history")] == [
        "no relevant family history"
    ]


def test_a_recorded_genetics_criteria_assessment_is_a_fact() -> None:
    text = "Genetic testing: she does not currently meet the national testing criteria."
    assert [f.value for f in _facts(text, "germline_assessment")] == [
        "does not meet the testing criteria"
    ]
    assert _facts("Referral made to clinical genetics.", "germline_assessment")[0].value == (
        "referred to clinical genetics"
    )


def test_a_conditional_criteria_mention_is_not_an_assessment() -> None:
    assert (
        _facts("We will refer her if she meets the testing criteria.", "germline_assessment") == []
    )


def test_uk_shorthand_family_history_is_read() -> None:
    text = "FH: mother ovarian ca aged 52, maternal aunt breast ca at 45."
    assert [f.display for f in _facts(text, "family_history")] == [
        "mother: ovarian ca (aged 52)",
        "maternal aunt: breast ca (aged 45)",
    ]
    assert [f.display for f in _facts("FHx: nil.", "family_history")] == ["FHx: nil"]


def test_no_smoking_history_is_never_smoked_and_a_current_smoker_keeps_pack_years() -> None:
    assert _facts("No smoking history.", "smoking_status")[0].value == "never smoked"
    (current,) = _facts("Smoking: current, 30 pack years.", "smoking_status")
    assert current.display == "current smoker (30 pack-years)"


def test_no_family_history_of_named_cancers_keeps_them_and_does_not_deny_the_relatives() -> None:
    text = (
        "Family history: mother breast cancer diagnosed at 46; maternal aunt ovarian cancer at 58;\n"
        "no known family history of pancreatic or prostate cancer."
    )
    values = [f.value for f in _facts(text, "family_history")]
    assert "no relevant family history" not in values
    assert "no family history of pancreatic or prostate cancer" in values
    assert "mother: breast cancer" in values
