"""Metastatic sites as their own facts, and a negative staging as distant staging recorded."""

from __future__ import annotations

from casebridge.engine.case import Fact
from casebridge.engine.extract import metastases
from tests.engine.factories import document


def _facts(text: str, kind: str, doc_type: str = "clinic_letter") -> list[Fact]:
    return [f for f in metastases.extract(document("d1", doc_type, text)) if f.kind == kind]


def _sites(text: str) -> list[tuple[str, str]]:
    return [(f.display, f.context) for f in _facts(text, "metastatic_site")]


def test_sites_named_with_metastasis_are_metastatic_sites_with_their_level() -> None:
    text = "Stage IVA with new liver metastases and a solitary T9 bone metastasis."
    assert _sites(text) == [("liver", "asserted"), ("bone (T9)", "asserted")]


def test_metastatic_to_and_spread_to_name_the_site_after_them() -> None:
    assert _sites("Metastatic to the liver and spread to the brain.") == [
        ("liver", "asserted"),
        ("brain", "asserted"),
    ]


def test_an_absent_or_suspected_metastasis_keeps_its_context() -> None:
    assert _sites("No liver metastases.") == [("liver", "negated")]
    assert _sites("Two lesions in the liver suspicious for metastases.")[0][1] == "possible"


def test_regional_nodes_and_bone_marrow_are_not_metastatic_sites() -> None:
    assert _sites("Left axillary nodal metastasis. Bone marrow: no lymphoma.") == []


def test_a_staging_ct_with_no_evidence_of_metastatic_disease_records_distant_staging() -> None:
    text = "Staging CT chest, abdomen and pelvis (10/08/2026): no evidence of metastatic disease."
    (fact,) = _facts(text, "distant_staging")
    assert fact.value == "no distant metastases"
    assert fact.context == "asserted"


def test_a_negative_statement_without_a_staging_investigation_is_not_distant_staging() -> None:
    text = "Lymph node B: no evidence of metastatic disease."
    assert _facts(text, "distant_staging", doc_type="pathology") == []
    assert _facts("No evidence of metastatic disease.", "distant_staging", "radiology") != []
