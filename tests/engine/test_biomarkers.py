"""Biomarker facts: receptor status, HER2, mutations, PD-L1, MSI/MMR."""

from __future__ import annotations

from casebridge.engine.case import Document, Fact, Page
from casebridge.engine.extract import biomarkers


def _facts(text: str) -> list[Fact]:
    doc = Document(
        id="d1", file_name="path.txt", sha256="x", size=len(text), pages=[Page(1, text, "plain")]
    )
    return biomarkers.extract(doc)


def _one(text: str, kind: str) -> Fact:
    return next(f for f in _facts(text) if f.kind == kind)


def test_it_reads_er_and_pr_with_percent_and_allred() -> None:
    text = "Estrogen receptor: POSITIVE (95%, Allred 8/8). Progesterone receptor: NEGATIVE (0%)."
    er, pr = _one(text, "er_status"), _one(text, "pr_status")
    assert (er.value, er.attributes["percent"], er.attributes["allred"]) == ("positive", "95%", "8")
    assert pr.value == "negative"
    assert pr.context == "asserted"


def test_it_reads_er_low_positive_by_the_asco_cap_cut_off() -> None:
    assert _one("ER: positive, 5% weak staining", "er_status").value == "low positive"


def test_it_shares_one_result_across_er_and_pr() -> None:
    facts = _facts("The tumour cells are positive for ER and PR and negative for HER2.")
    values = {f.kind: f.value for f in facts}
    assert values["er_status"] == "positive"
    assert values["pr_status"] == "positive"
    assert values["her2_ihc"] == "negative"


def test_it_reads_the_her2_ihc_score_with_its_meaning() -> None:
    fact = _one("HER2 (4B5) immunohistochemistry: score 2+, equivocal.", "her2_ihc")
    assert fact.value == "2+"
    assert fact.display == "HER2 IHC 2+ (equivocal)"


def test_it_reads_her2_ish_ratio_and_amplification() -> None:
    fact = _one("HER2 FISH: amplified, HER2/CEP17 ratio 2.8, average copy number 6.1", "her2_ish")
    assert fact.value == "amplified"
    assert fact.attributes["ratio"] == "2.8"


def test_it_reads_her2_ish_to_follow_as_pending() -> None:
    facts = _facts("HER2 IHC 2+ (equivocal). HER2 ISH to follow.")
    assert any(f.kind == "her2_ish" and f.value == "pending" for f in facts)


def test_a_negative_mutation_result_is_an_asserted_fact() -> None:
    fact = _one("EGFR mutation not detected.", "egfr")
    assert fact.value == "not detected"
    assert fact.context == "asserted"


def test_it_reads_mutation_variants() -> None:
    assert _one("EGFR: exon 19 deletion detected.", "egfr").value == "exon 19 deletion"
    assert _one("KRAS mutation analysis: G12C detected", "kras").value == "G12C"
    assert _one("BRAF V600E mutation identified", "braf").value == "V600E"


def test_it_reads_pdl1_tps_and_ki67() -> None:
    assert _one("PD-L1 (22C3): TPS 60%", "pdl1").value == "TPS 60%"
    assert _one("Ki-67 proliferation index: 25%", "ki67").value == "25%"


def test_it_reads_mismatch_repair_loss_and_msi() -> None:
    facts = _facts("MMR immunohistochemistry: loss of MLH1 and PMS2 expression. MSI-H by PCR.")
    mmr = next(f for f in facts if f.kind == "msi_mmr" and f.value == "dMMR")
    assert mmr.attributes["lost"] == "MLH1, PMS2"
    assert any(f.kind == "msi_mmr" and f.value == "MSI-H" for f in facts)


def test_a_marker_named_without_a_result_gives_no_fact() -> None:
    assert _facts("Clones used: ER (SP1), PR (1E2), HER2 (4B5).") == []
