"""Tumour facts: cancer type from site + histology, and the pathology details."""

from __future__ import annotations

from casebridge.engine.case import Document, Fact, Page
from casebridge.engine.extract import tumour


def _doc(text: str) -> Document:
    return Document(
        id="d1", file_name="path.txt", sha256="x", size=len(text), pages=[Page(1, text, "plain")]
    )


def _facts(text: str) -> list[Fact]:
    return tumour.extract(_doc(text))


def _value(text: str, kind: str) -> str | None:
    return next((f.value for f in _facts(text) if f.kind == kind), None)


def test_it_reads_lung_adenocarcinoma_as_luad() -> None:
    text = "FINAL DIAGNOSIS: Lung, right upper lobe, lobectomy: Invasive adenocarcinoma, acinar predominant."
    assert _value(text, "cancer_type") == "LUAD"


def test_it_reads_lung_squamous_cell_carcinoma_as_lusc() -> None:
    text = "DIAGNOSIS: Left lower lobe of lung, lobectomy: squamous cell carcinoma, keratinizing."
    assert _value(text, "cancer_type") == "LUSC"


def test_it_tells_kidney_subtypes_apart() -> None:
    base = "DIAGNOSIS: Left kidney, radical nephrectomy: "
    assert _value(base + "renal cell carcinoma, clear cell type.", "cancer_type") == "KIRC"
    assert _value(base + "papillary renal cell carcinoma, type 2.", "cancer_type") == "KIRP"
    assert _value(base + "chromophobe renal cell carcinoma.", "cancer_type") == "KICH"


def test_it_tells_colon_from_rectum() -> None:
    colon = "DIAGNOSIS: Sigmoid colon, sigmoidectomy: adenocarcinoma, moderately differentiated."
    rectum = (
        "DIAGNOSIS: Rectum, low anterior resection: adenocarcinoma invading the mesorectal fat."
    )
    assert _value(colon, "cancer_type") == "COAD"
    assert _value(rectum, "cancer_type") == "READ"


def test_it_tells_glioblastoma_from_lower_grade_glioma() -> None:
    gbm = "DIAGNOSIS: Brain, right temporal lobe, resection: Glioblastoma (WHO grade IV)."
    lgg = "DIAGNOSIS: Brain, left frontal lobe: Oligodendroglioma, WHO grade II, 1p/19q codeleted."
    assert _value(gbm, "cancer_type") == "GBM"
    assert _value(lgg, "cancer_type") == "LGG"


def test_it_tells_endometrioid_from_carcinosarcoma_of_the_uterus() -> None:
    ucec = "DIAGNOSIS: Uterus, total hysterectomy: endometrioid adenocarcinoma, FIGO grade 1."
    ucs = "DIAGNOSIS: Uterus, hysterectomy: malignant mixed mullerian tumor (carcinosarcoma)."
    assert _value(ucec, "cancer_type") == "UCEC"
    assert _value(ucs, "cancer_type") == "UCS"


def test_it_reads_through_textract_letter_errors() -> None:
    text = "FINAL DIAGNOSIS. Liver, right lobe, resection: Hepatocetlular carcinoma, moderately differentiated."
    assert _value(text, "cancer_type") == "LIHC"


def test_it_counts_a_negated_carcinoma_less_than_the_tumour() -> None:
    text = (
        "DIAGNOSIS: A. Prostate, biopsy: negative for carcinoma. "
        "B. Urinary bladder, cystectomy: invasive high grade urothelial carcinoma."
    )
    assert _value(text, "cancer_type") == "BLCA"


def test_it_names_no_cancer_type_without_a_histology() -> None:
    assert _value("SPECIMEN: Lung, left upper lobe, lobectomy.", "cancer_type") is None


def test_cancer_type_carries_its_evidence_and_source() -> None:
    text = "DIAGNOSIS: Right breast, mastectomy: invasive ductal carcinoma, Nottingham grade 2."
    fact = next(f for f in _facts(text) if f.kind == "cancer_type")
    assert fact.value == "BRCA"
    assert "breast" in fact.attributes["evidence"]
    assert fact.source is not None and "ductal" in fact.source.snippet.lower()


def test_histology_carries_an_icdo3_code() -> None:
    text = "DIAGNOSIS: Thyroid, left lobe: papillary thyroid carcinoma, follicular variant."
    hist = next(f for f in _facts(text) if f.kind == "histology")
    assert hist.code is not None and hist.code.code == "8260/3"
    assert hist.code.system == tumour.ICDO3


def test_it_reads_grades_in_the_system_written() -> None:
    assert _value("Gleason score 3 + 4 = 7, prostate adenocarcinoma", "grade") == "Gleason 3+4=7"
    assert _value("Fuhrman nuclear grade: 3", "grade") == "Fuhrman grade 3"
    assert _value("Nottingham grade 2 (of 3)", "grade") == "Nottingham grade 2"


def test_it_reads_size_margins_nodes_and_lvi() -> None:
    text = (
        "Tumor size: Greatest dimension: 2.4 cm. Margins: uninvolved by carcinoma. "
        "Metastatic carcinoma in two of fourteen lymph nodes (2/14). "
        "Lymphovascular invasion: not identified."
    )
    facts = {f.kind: f for f in _facts(text)}
    assert facts["tumour_size"].value == "2.4 cm"
    assert facts["margins"].value == "clear"
    assert facts["lymph_nodes"].value == "2/14"
    assert facts["lvi"].value == "absent"
    assert facts["lvi"].context == "asserted"


def test_it_reads_laterality_and_the_diagnosis_line() -> None:
    text = "DIAGNOSIS:\nLeft breast, lumpectomy: invasive lobular carcinoma, 1.8 cm.\n"
    facts = {f.kind: f for f in _facts(text)}
    assert facts["laterality"].value == "left"
    assert "invasive lobular carcinoma" in facts["diagnosis"].value


def test_an_empty_or_garbled_document_gives_no_facts_and_no_error() -> None:
    assert _facts("") == []
    assert _value("III 1111111 IIIIII lll ||| ~~~", "cancer_type") is None
