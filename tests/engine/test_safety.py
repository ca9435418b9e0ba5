"""Red flags pause the case and send the patient to local urgent care."""

from __future__ import annotations

from casebridge.engine.case import Case, Document, Fact, Page, Source
from casebridge.engine.kb import load
from casebridge.engine.safety import find_flags, safety

TODAY = "2024-06-01"


def _letter(
    text: str, date: str | None = "2024-05-30", doc_type: str = "clinic_letter"
) -> Document:
    return Document(
        id="l1",
        file_name="letter.pdf",
        sha256="l1" * 8,
        size=len(text),
        pages=[Page(1, text, "plain")],
        doc_type=doc_type,
        document_date=date,
    )


def _case(*docs: Document, **intake: object) -> Case:
    return Case(documents=list(docs), intake={"today": TODAY, **intake})


def _categories(case: Case) -> list[str]:
    return [f.category for f in find_flags(case)]


def test_new_back_pain_with_leg_weakness_flags_suspected_mscc_and_pauses():
    case = _case(_letter("She reports new back pain and weakness in both legs since Tuesday."))
    safety(case)
    assert [f.category for f in case.safety_flags] == ["mscc"]
    flag = case.safety_flags[0]
    assert case.paused
    assert flag.advice.startswith("Seek local care now: call 999 in an emergency or NHS 111")
    assert flag.evidence is not None and "back pain" in flag.evidence.snippet
    assert not flag.from_intake


def test_back_pain_alone_is_not_mscc():
    assert (
        _categories(_case(_letter("Mechanical back pain after gardening, walking normally."))) == []
    )


def test_mscc_excluded_or_no_cord_compression_does_not_flag():
    text = "MRI whole spine: MSCC excluded. There is no cord compression."
    assert _categories(_case(_letter(text, doc_type="radiology"))) == []


def test_a_temperature_of_38_or_more_on_chemotherapy_flags_neutropenic_sepsis():
    text = "On cycle 3 of docetaxel chemotherapy. Temperature 38.4 C this morning."
    assert _categories(_case(_letter(text))) == ["neutropenic_sepsis"]


def test_a_temperature_below_38_or_without_chemotherapy_does_not_flag():
    assert _categories(_case(_letter("On chemotherapy. Temperature 37.2 C."))) == []
    assert _categories(_case(_letter("Seen after a cold. Temperature 38.5 C."))) == []


def test_no_fever_does_not_flag():
    text = "Currently on FOLFOX chemotherapy. She has no fever and no chest pain."
    assert _categories(_case(_letter(text))) == []


def test_a_past_resolved_event_does_not_flag():
    text = (
        "Admitted with neutropenic sepsis in January 2023, which resolved with antibiotics. "
        "Previous chest pain has settled. The stridor she had last week has resolved."
    )
    assert _categories(_case(_letter(text))) == []


def test_safety_netting_advice_is_not_a_symptom():
    text = "She knows to call the helpline if she develops a fever, chest pain or heavy bleeding."
    assert _categories(_case(_letter(text))) == []


def test_an_old_letter_does_not_flag_but_an_undated_one_does():
    text = "He describes chest pain on walking."
    assert _categories(_case(_letter(text, date="2023-01-10"))) == []
    assert _categories(_case(_letter(text, date=None))) == ["chest_pain"]


def test_pathology_words_in_a_pathology_report_are_not_symptoms():
    text = "Tumour with areas of haemorrhage and necrosis; seizures not applicable."
    assert _categories(_case(_letter(text, doc_type="pathology"))) == []


def test_intake_ticked_flags_and_free_text_symptoms_flag_from_intake():
    case = _case(red_flags=["suicidal"], symptoms="I have had chest pain since last night.")
    flags = find_flags(case)
    assert {f.category for f in flags} == {"suicidal", "chest_pain"}
    assert all(f.from_intake and f.evidence is None for f in flags)


def test_an_intake_temperature_on_chemotherapy_flags():
    case = _case(temperature=38.2, on_chemotherapy=True)
    assert _categories(case) == ["neutropenic_sepsis"]
    assert _categories(_case(temperature="37.4", on_chemotherapy=True)) == []
    # UKONS: 37.5 C or above, or below 36 C, on anticancer treatment
    assert _categories(_case(temperature="37.5", on_chemotherapy=True)) == ["neutropenic_sepsis"]
    assert _categories(_case(temperature=35.6, on_chemotherapy=True)) == ["neutropenic_sepsis"]


def test_a_chemotherapy_fact_counts_as_being_on_chemotherapy():
    letter = _letter("Temperature 38.6 at home overnight.")
    case = _case(letter)
    src = Source("l1", "letter.pdf", 1, 0, 5, "x")
    case.facts = [Fact(kind="regimen", value="EC", source=src)]
    assert _categories(case) == ["neutropenic_sepsis"]


def test_an_unknown_intake_flag_id_is_a_warning_not_a_crash():
    case = _case(red_flags=["made-up"])
    safety(case)
    assert case.safety_flags == [] and not case.paused
    assert any("made-up" in w for w in case.warnings)


def test_a_cleared_flag_stays_listed_but_no_longer_pauses():
    case = _case(red_flags=["chest_pain"], safety_cleared=["chest_pain"])
    safety(case)
    assert [f.category for f in case.safety_flags] == ["chest_pain"] and not case.paused


def test_the_stage_replaces_its_flags_and_unpauses_when_nothing_is_left():
    case = _case(_letter("Stridor noted today."))
    safety(case)
    safety(case)
    assert len(case.safety_flags) == 1 and case.paused
    case.documents = []
    safety(case)
    assert case.safety_flags == [] and not case.paused


def test_every_flag_cites_its_source_and_the_mscc_and_sepsis_cite_nice():
    data = load("red_flags")
    assert all(f["source"] for f in data["flags"])
    sources = {f["id"]: f["source"] for f in data["flags"]}
    assert "NG234" in sources["mscc"] and "CG151" in sources["mscc"]
    assert "NG151" in sources["neutropenic_sepsis"]
