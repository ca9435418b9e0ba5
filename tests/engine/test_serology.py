"""Viral serology read as clinicians read it: a panel's pattern, never the disease's name."""

from __future__ import annotations

from casebridge.engine.case import Fact
from casebridge.engine.extract import extract_document, serology
from tests.engine.factories import document


def _panels(text: str) -> list[Fact]:
    return serology.extract(document("d1", "clinic_letter", text))


def _values(text: str) -> list[str]:
    return [f.value for f in _panels(text)]


def test_core_antibody_positive_surface_antigen_negative_is_past_or_occult_exposure() -> None:
    (panel,) = _panels("Hepatitis B core antibody positive, surface antigen negative.")
    assert panel.value.startswith("past (resolved) or occult hepatitis B exposure")
    assert "not current infection" in panel.value
    assert panel.attributes["anti-HBc"] == "positive"
    assert panel.attributes["HBsAg"] == "negative"


def test_the_same_pattern_is_read_whatever_the_wording() -> None:
    for text in (
        "HBsAg negative, anti-HBc positive.",
        "HBsAg: not detected. Anti-HBc: reactive.",
        "Negative for HBsAg; HBcAb positive",
    ):
        assert _values(text)[0].startswith("past (resolved) or occult"), text


def test_surface_antigen_positive_is_current_infection_and_igm_core_antibody_acute() -> None:
    assert _values("HBsAg positive, anti-HBc positive.") == [
        "current hepatitis B infection (HBsAg positive)"
    ]
    assert _values("HBsAg reactive, IgM anti-HBc positive.") == ["acute hepatitis B infection"]


def test_surface_antibody_alone_is_immunity_from_vaccination() -> None:
    assert _values("HBsAg negative, anti-HBc negative, anti-HBs positive.") == [
        "immune to hepatitis B from vaccination (anti-HBs positive, anti-HBc negative)"
    ]


def test_only_the_markers_tested_are_reported() -> None:
    # a negative surface antigen alone is not "no hepatitis B": the core antibody was not tested
    assert _values("HBsAg negative.") == ["hepatitis B serology: HBsAg negative"]
    assert _values("Anti-HBc positive.") == [
        "hepatitis B core antibody positive (past or current exposure; HBsAg not stated)"
    ]


def test_hepatitis_c_antibody_with_rna_not_detected_is_past_infection() -> None:
    assert _values("Hepatitis C antibody positive, HCV RNA not detected.") == [
        "past (resolved or treated) hepatitis C infection (antibody positive, HCV RNA not detected)"
    ]
    assert _values("HCV antibody negative. HIV negative.") == [
        "hepatitis C antibody negative",
        "HIV test negative",
    ]


def test_a_panel_replaces_the_condition_read_from_its_own_words() -> None:
    text = "Hepatitis B core antibody positive, surface antigen negative. HIV negative."
    facts = extract_document(document("d1", "clinic_letter", text))
    assert not [f for f in facts if f.kind == "comorbidity"]
    assert [f.kind for f in facts].count("serology") == 2


def test_a_hepatitis_b_diagnosis_without_serology_stays_a_condition() -> None:
    facts = extract_document(
        document("d1", "clinic_letter", "PMH: chronic hepatitis B on tenofovir.")
    )
    assert not [f for f in facts if f.kind == "serology"]


def test_a_serology_heading_is_not_a_diagnosis_of_hepatitis_b() -> None:
    text = "Hepatitis B serology: core antibody positive, surface antigen negative."
    facts = extract_document(document("d1", "clinic_letter", text))
    assert not [f for f in facts if f.kind == "comorbidity"]
    assert [f.value for f in facts if f.kind == "serology"][0].startswith("past (resolved)")


def test_clinic_shorthand_is_read_and_a_cell_surface_antigen_is_not_hepatitis_b() -> None:
    assert _values("Hep B sAg neg, core Ab pos")[0].startswith("past (resolved) or occult")
    assert _values("HBsAg -ve, anti-HBc +ve.")[0].startswith("past (resolved) or occult")
    assert _values("HIV 1/2 Ag/Ab negative.") == ["HIV test negative"]
    assert _values("CD20 surface antigen positive.") == []


def test_a_combined_hiv_test_written_antibody_first_is_a_negative_test_not_hiv() -> None:
    text = "Virology: HIV 1/2 antibody/antigen negative. HIV Ab/Ag negative."
    facts = extract_document(document("d1", "clinic_letter", text))
    assert not [f for f in facts if f.kind == "comorbidity"]
    assert {f.value for f in facts if f.kind == "serology"} == {"HIV test negative"}


def test_the_infection_a_prophylaxis_prevents_is_not_a_condition() -> None:
    text = (
        "Current medication:\n"
        "- Entecavir 0.5 mg once daily (hepatitis B reactivation prophylaxis)\n"
        "- Aciclovir 400 mg twice daily for prophylaxis against herpes zoster\n"
    )
    facts = extract_document(document("d1", "clinic_letter", text))
    assert not [f for f in facts if f.kind == "comorbidity"]
    medicines = {f.value: f.context for f in facts if f.kind == "medication"}
    assert medicines == {"entecavir": "asserted", "aciclovir": "asserted"}
