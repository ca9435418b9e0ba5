"""The case pack for a reviewing team abroad (engine/pack, issue 11 part 3): the
originals go as redacted page images with a rebuilt text layer, never the
uploaded file; an image that cannot be checked is withheld; the manifest names
every file with its hash. Real PDFs, real OCR, on the bundled breast example."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from reportlab.pdfgen import canvas

from casebridge.engine.case import Case, Document, Identifier, Page, Source
from casebridge.engine.ingest import ocr
from casebridge.engine.pack.build import build_pack, manifest_hash
from casebridge.engine.pack.pages import redact_document
from casebridge.engine.render.redact import Redactor
from tests.engine.test_examples import EXAMPLES, breast  # noqa: F401  (module fixture)

# what the breast example's records say of the patient, as a reader would search for it
LEAKS = re.compile(r"whitcombe|999\s*047\s*1320|NB4471203|lavender|14/03/1971|LS29", re.I)


@pytest.fixture(scope="module")
def pack(breast: Case):  # noqa: F811
    folder = EXAMPLES / "breast-her2"
    return build_pack(
        breast,
        lambda d: (folder / d.file_name).read_bytes(),
        pseudonym="CB-TEST0001",
        created="2026-12-07T09:00:00+00:00",
    )


def _pdf_text(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_bounded() for i in range(len(pdf)))
    finally:
        pdf.close()


def _ocr_of_pages(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    texts = []
    try:
        for i in range(len(pdf)):
            image = pdf[i].render(scale=200 / 72).to_pil().convert("L")
            path = Path(ocr.write_image(image, Path(f"/tmp/cb-pack-test-{i}.pgm")))
            try:
                texts.append(ocr.read_page(path, 200).text)
            finally:
                path.unlink(missing_ok=True)
    finally:
        pdf.close()
    return "\n".join(texts)


def test_every_original_goes_with_a_neutral_name_and_no_identifier_in_its_text(pack) -> None:
    originals = [f for f in pack.files if f.role == "original"]
    assert len(originals) >= 7
    for f in originals:
        assert re.fullmatch(r"originals/\d\d-[a-z_]+-(\d{4}-\d\d-\d\d|undated)\.pdf", f.name)
        assert not LEAKS.search(_pdf_text(f.data)), f.name


def test_the_summaries_and_the_fhir_bundle_name_no_identifier(pack) -> None:
    for f in pack.files:
        if f.role == "fhir" or f.name.endswith((".html", ".json")):
            assert not LEAKS.search(f.data.decode()), f.name
        elif f.role == "summary":
            assert not LEAKS.search(_pdf_text(f.data)), f.name


@pytest.mark.skipif(not ocr.available(), reason="tesseract is not installed")
def test_a_scan_and_a_photo_read_again_from_their_redacted_images_show_no_identifier(
    pack,
    breast: Case,  # noqa: F811
) -> None:
    """The image itself, not only its text layer: OCR of what a reviewer sees."""
    by_type = {f.details.get("doc_type"): f for f in pack.files if f.role == "original"}
    for doc_type in ("mdt_outcome", "radiology"):
        f = by_type[doc_type]
        assert f.details["identifiers_hidden"] > 5 and not f.details["pages_as_text"]
        seen = _ocr_of_pages(f.data)
        assert "MDT" in seen or "scan" in seen.lower()  # the page is still readable
        assert not LEAKS.search(seen), (f.name, LEAKS.findall(seen))


def test_the_manifest_lists_each_file_with_its_hash_and_the_pack_hash_is_the_manifests(
    pack,
) -> None:
    import hashlib

    listed = {f["name"]: f for f in pack.manifest["files"]}
    assert set(listed) == {f.name for f in pack.files}
    for f in pack.files:
        assert listed[f.name]["sha256"] == hashlib.sha256(f.data).hexdigest()
    assert {"summary.en.pdf", "summary.zh.pdf", "fhir.json"} <= set(listed)
    assert pack.sha256 == manifest_hash(json.loads(json.dumps(pack.manifest)))
    changed = {**pack.manifest, "created": "2026-12-08T09:00:00+00:00"}
    assert manifest_hash(changed) != pack.sha256


def _ident(kind: str, value: str) -> Identifier:
    return Identifier(kind, value, Source("x", "letter.pdf", 1, 0, len(value), value))


def _one_page_pdf(text: str) -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.drawString(72, 720, text)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def test_a_page_whose_image_does_not_show_what_its_reading_holds_goes_as_text_alone() -> None:
    """The engine read an identifier the image's own words do not show (a
    reading that differs from the picture): the picture is withheld."""
    redactor = Redactor([_ident("person_name", "Eleanor Whitcombe")], "en")
    document = Document(
        id="x",
        file_name="letter.pdf",
        sha256="x",
        size=1,
        media_type="application/pdf",
        pages=[Page(1, "Dear Eleanor Whitcombe, your scan is booked.", "text-layer")],
    )
    pages = redact_document(document, _one_page_pdf("Dear patient, your scan is booked."), redactor)
    assert pages[0].image is None and "only its text is sent" in pages[0].note
    assert "Whitcombe" not in pages[0].text and "[name]" in pages[0].text


def test_a_text_layer_identifier_is_blacked_out_on_the_image_and_gone_from_its_text() -> None:
    redactor = Redactor([_ident("nhs_number", "999 047 1320")], "en")
    line = "NHS number 999 047 1320 seen in clinic"
    document = Document(
        id="y",
        file_name="letter.pdf",
        sha256="y",
        size=1,
        media_type="application/pdf",
        pages=[Page(1, line, "text-layer")],
    )
    (page,) = redact_document(document, _one_page_pdf(line), redactor)
    assert page.image is not None and page.blacked_out == 1
    assert "999" not in page.text
    # the number's place on the page is black
    dark = page.image.convert("L").histogram()[:40]
    assert sum(dark) > 500


def test_a_postcode_in_an_address_is_hidden_even_as_the_ocr_misreads_it() -> None:
    redactor = Redactor([_ident("address", "27 Lavender Close, West Yorkshire, LS29 8QJ")], "en")
    for text in ("Address: LS29 8Q)", "postcode LS298QJ.", "LS29 8QJ"):
        assert "LS29" not in redactor(text), text
    assert redactor("Ward LS2") == "Ward LS2"  # another district's code is not hers
