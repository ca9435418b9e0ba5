"""The ingest stage on inputs built here: every kind of file, and every kind of bad file."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest
from docx import Document as DocxDocument
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from casebridge.engine.ingest import limits, read_bytes, read_path

LETTER = (
    "Dear Dr Patel, thank you for referring this patient to the breast clinic. "
    "The core biopsy of the left breast shows invasive ductal carcinoma, grade 2. "
    "We discussed the result with her and her husband at the clinic today and she "
    "will be seen by the surgical team next week."
)


def pdf_with_text(*pages: str) -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for text in pages:
        y = 780
        words = text.split()
        while words:
            line, words = words[:12], words[12:]
            c.drawString(60, y, " ".join(line))
            y -= 16
        c.showPage()
    c.save()
    return out.getvalue()


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def only(docs: list) -> object:
    assert len(docs) == 1, [d.file_name for d in docs]
    return docs[0]


# -- PDF -----------------------------------------------------------------------------


def test_it_reads_the_text_layer_of_each_page_of_a_digital_pdf() -> None:
    data = pdf_with_text(LETTER, "Page two: the MDT recommended wide local excision.")
    doc = only(read_bytes(data, "letters/clinic.pdf"))
    assert doc.status == "processed", doc.problems
    assert doc.media_type == "application/pdf"
    assert doc.file_name == "letters/clinic.pdf"
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.id == doc.sha256[:16]
    assert doc.size == len(data)
    assert [(p.number, p.method) for p in doc.pages] == [(1, "text-layer"), (2, "text-layer")]
    assert "invasive ductal carcinoma" in doc.pages[0].text
    assert "wide local excision" in doc.pages[1].text
    assert doc.language == "en"


def test_it_detects_a_pdf_from_its_content_not_its_name() -> None:
    doc = only(read_bytes(pdf_with_text(LETTER), "scan.docx"))
    assert doc.media_type == "application/pdf"
    assert doc.status == "processed"


def test_it_asks_for_the_password_of_an_encrypted_pdf() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_text(LETTER))))
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    doc = only(read_bytes(out.getvalue(), "locked.pdf"))
    assert doc.status == "needs_attention"
    assert "password" in doc.problems[0]
    assert doc.pages == []


def test_it_reads_a_pdf_encrypted_with_an_empty_user_password() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_text(LETTER))))
    writer.encrypt(user_password="", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    doc = only(read_bytes(out.getvalue(), "restricted.pdf"))
    assert doc.status == "processed", doc.problems
    assert "invasive ductal carcinoma" in doc.text


def test_it_reports_a_damaged_pdf_instead_of_crashing() -> None:
    data = pdf_with_text(LETTER)[:300]
    doc = only(read_bytes(data, "broken.pdf"))
    assert doc.status == "needs_attention"
    assert "damaged" in doc.problems[0]


def test_it_reports_a_pdf_with_almost_no_text_as_no_readable_text() -> None:
    doc = only(read_bytes(pdf_with_text("Page 1"), "blank.pdf"))
    assert doc.status == "needs_attention"
    assert "No readable text" in doc.problems[0]


def test_it_reads_only_the_first_pages_of_a_pdf_past_the_page_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "MAX_PDF_PAGES", 2)
    doc = only(read_bytes(pdf_with_text(LETTER, LETTER, LETTER), "long.pdf"))
    assert len(doc.pages) == 2
    assert "only the first 2 were read" in doc.problems[0]


# -- programs and other binaries renamed .pdf ------------------------------------------


def test_it_says_a_windows_program_renamed_pdf_is_not_a_document() -> None:
    pe = bytearray(b"MZ" + b"\x90\x00" * 30 + b"\x00" * 64)
    pe[60:64] = (128).to_bytes(4, "little")
    pe[128:132] = b"PE\x00\x00"
    doc = only(read_bytes(bytes(pe) + b"\x00" * 256, "results.pdf"))
    assert doc.status == "needs_attention"
    assert doc.problems == ["This file is a Windows program, not a document"]
    assert doc.media_type == "application/x-msdownload"


def test_it_says_a_linux_program_renamed_pdf_is_not_a_document() -> None:
    doc = only(read_bytes(b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "report.pdf"))
    assert doc.problems == ["This file is a Linux program, not a document"]


def test_it_does_not_mistake_text_starting_with_MZ_for_a_program() -> None:
    text = ("MZ Khan was reviewed in clinic today. " + LETTER).encode()
    doc = only(read_bytes(text, "note.txt"))
    assert doc.media_type == "text/plain"
    assert doc.status == "processed"


def test_it_says_an_unknown_binary_cannot_be_recognised() -> None:
    doc = only(read_bytes(bytes(range(256)) * 8, "mystery.pdf"))
    assert doc.status == "needs_attention"
    assert "could not be recognised" in doc.problems[0]


def test_it_reports_an_empty_file() -> None:
    doc = only(read_bytes(b"", "empty.pdf"))
    assert doc.status == "needs_attention"
    assert doc.problems == ["The file is empty"]
    assert doc.size == 0
    assert doc.id == hashlib.sha256(b"").hexdigest()[:16]


def test_it_refuses_a_file_past_the_size_limit_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "huge.pdf"
    data = pdf_with_text(LETTER)
    path.write_bytes(data)
    doc = only(read_path(path, "huge.pdf"))
    assert doc.status == "needs_attention"
    assert "too large" in doc.problems[0]
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.media_type == "application/pdf"


def test_it_does_not_follow_a_link_in_the_records_folder(tmp_path: Path) -> None:
    target = tmp_path / "secret.txt"
    target.write_text(LETTER)
    link = tmp_path / "records.txt"
    os.symlink(target, link)
    doc = only(read_path(link, "records.txt"))
    assert doc.status == "needs_attention"
    assert "link" in doc.problems[0]
    assert doc.pages == []


# -- Word, text, HTML -----------------------------------------------------------------


def test_it_reads_docx_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    word = DocxDocument()
    word.add_paragraph("Histopathology report. " + LETTER)
    table = word.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "ER"
    table.cell(0, 1).text = "Positive (8/8)"
    table.cell(1, 0).text = "HER2"
    table.cell(1, 1).text = "IHC 2+"
    word.add_page_break()
    word.add_paragraph("Second page: conclusion follows.")
    path = tmp_path / "report.docx"
    word.save(str(path))
    doc = only(read_path(path, "report.docx"))
    assert doc.media_type.endswith("wordprocessingml.document")
    assert doc.status == "processed", doc.problems
    assert [p.method for p in doc.pages] == ["docx", "docx"]
    first = doc.pages[0].text
    assert "ER | Positive (8/8)" in first
    assert first.index("Histopathology") < first.index("HER2 | IHC 2+")
    assert "Second page" in doc.pages[1].text


def _docx_with_body(tmp_path: Path, body: bytes) -> bytes:
    """A real DOCX (python-docx) whose word/document.xml is replaced by `body`."""
    word = DocxDocument()
    word.add_paragraph("Clinic letter.")
    path = tmp_path / "base.docx"
    word.save(str(path))
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = body if item.filename == "word/document.xml" else src.read(item)
            dst.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("prolog", "ref"),
    [
        # entity expansion ("billion laughs"): each level multiplies by ten
        (
            b'<!DOCTYPE w [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
            b"&c;",
        ),
        # an external entity that would read a file of the machine
        (b'<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>', b"&x;"),
        # a declaration after a long comment, beyond any first-bytes check
        (b"<!-- " + b"padding " * 2000 + b'--><!DOCTYPE w [<!ENTITY a "lol">]>', b"&a;"),
    ],
)
def test_a_docx_part_with_a_document_type_declaration_is_refused_not_expanded(
    tmp_path: Path, prolog: bytes, ref: bytes
) -> None:
    body = (
        b'<?xml version="1.0"?>' + prolog + b'<w:document xmlns:w="http://schemas.openxmlformats'
        b'.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
        + ref
        + b"</w:t></w:r></w:p></w:body></w:document>"
    )
    doc = only(read_bytes(_docx_with_body(tmp_path, body), "letter.docx"))
    assert doc.status == "needs_attention"
    assert any("damaged" in p for p in doc.problems), doc.problems
    assert not any("root:" in p.text or "lol" in p.text for p in doc.pages)


def test_it_reads_utf16_text_with_a_byte_order_mark() -> None:
    doc = only(read_bytes(("\ufeff" + LETTER).encode("utf-16-le"), "letter.txt"))
    assert doc.pages[0].method == "plain"
    assert doc.pages[0].text == LETTER


def test_it_reads_windows_1252_text() -> None:
    text = LETTER + " Seen by Mr O’Brien, café consultant; fee £120."
    doc = only(read_bytes(text.encode("cp1252"), "letter.txt"))
    assert "O’Brien, café" in doc.text
    assert "£120" in doc.text


def test_it_reads_chinese_text_in_gb18030_as_chinese() -> None:
    text = "病理诊断：左乳浸润性导管癌，组织学分级II级。腋窝淋巴结未见转移癌（0/15）。" * 3
    doc = only(read_bytes(text.encode("gb18030"), "report.txt"))
    assert doc.text == text
    assert doc.language == "zh"
    assert doc.status == "processed"


def test_it_strips_html_to_its_visible_text() -> None:
    html = (
        "<!DOCTYPE html><html><head><title>Discharge summary</title>"
        "<script>var secret = 'do not show';</script><style>p {color: red}</style></head>"
        f"<body><h1>Discharge</h1><p>{LETTER}</p><table><tr><td>Hb</td><td>121 g/L</td>"
        "</tr></table><p>Fish &amp; chips</p></body></html>"
    )
    doc = only(read_bytes(html.encode(), "summary.htm"))
    assert doc.media_type == "text/html"
    assert doc.pages[0].method == "html"
    assert "do not show" not in doc.text
    assert "color" not in doc.text
    assert "Hb | 121 g/L" in doc.text
    assert "Fish & chips" in doc.text
    assert doc.text.startswith("Discharge summary")


def test_it_says_a_french_letter_needs_a_translation() -> None:
    french = (
        "Cher confrère, je vous remercie de m'avoir adressé cette patiente pour une biopsie "
        "du sein gauche. Le résultat montre un carcinome canalaire infiltrant de grade 2, "
        "et nous avons discuté avec elle des options de traitement. Elle sera revue dans "
        "le service de chirurgie la semaine prochaine pour une tumorectomie."
    )
    doc = only(read_bytes(french.encode(), "lettre.txt"))
    assert doc.language == "fr"
    assert doc.status == "needs_attention"
    assert "written in French: a translation is needed" in doc.problems[0]


def test_it_does_not_flag_a_terse_english_pathology_report_as_foreign() -> None:
    report = (
        "SPECIMEN: Left breast, core biopsy x3. MACROSCOPY: Three cores, 12 mm, 10 mm, 8 mm. "
        "MICROSCOPY: Invasive carcinoma NST, grade 2 (T2 P2 M1). DCIS present, intermediate "
        "grade. ER 8/8, PR 6/8, HER2 IHC 1+. SUMMARY: Left breast, invasive carcinoma NST, "
        "grade 2. B5b."
    )
    doc = only(read_bytes(report.encode(), "path.txt"))
    assert doc.language == "en"
    assert doc.status == "processed"


def test_it_reports_a_text_file_with_almost_nothing_in_it() -> None:
    doc = only(read_bytes(b"see attached\n", "note.txt"))
    assert doc.status == "needs_attention"
    assert "No readable text" in doc.problems[0]


# -- DICOM ------------------------------------------------------------------------------


def dicom_bytes(pdf: bytes | None = None) -> bytes:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT"
    ds.StudyDate = "20240312"
    ds.BodyPartExamined = "CHEST"
    ds.StudyDescription = "CT Chest Abdomen Pelvis with contrast"
    ds.PatientName = "Test^Patient"
    if pdf is not None:
        ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
        ds.EncapsulatedDocument = pdf
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def test_it_reads_the_study_details_of_a_dicom_file_but_not_the_patient() -> None:
    doc = only(read_bytes(dicom_bytes(), "cd/IMG0001"))
    assert doc.media_type == "application/dicom"
    assert doc.status == "processed", doc.problems
    assert doc.metadata == {
        "modality": "CT",
        "study_date": "2024-03-12",
        "body_part": "CHEST",
        "study_description": "CT Chest Abdomen Pelvis with contrast",
    }
    assert [p.method for p in doc.pages] == ["dicom"]
    assert "CT scan" in doc.pages[0].text
    assert "2024-03-12" in doc.pages[0].text
    assert "Test" not in doc.pages[0].text


def test_it_reads_a_pdf_report_wrapped_in_a_dicom_file_after_the_study_summary() -> None:
    doc = only(read_bytes(dicom_bytes(pdf_with_text(LETTER)), "cd/REPORT"))
    assert doc.media_type == "application/dicom"
    assert [(p.number, p.method) for p in doc.pages] == [(1, "dicom"), (2, "text-layer")]
    assert "invasive ductal carcinoma" in doc.pages[1].text
    assert doc.status == "processed", doc.problems


def test_it_reports_a_damaged_dicom_file() -> None:
    doc = only(read_bytes(dicom_bytes()[:200], "cd/IMG0002"))
    assert doc.media_type == "application/dicom"
    assert doc.status == "needs_attention"


# -- ZIP archives -------------------------------------------------------------------------


def test_it_reads_each_member_of_a_zip_named_under_the_archive() -> None:
    data = zip_of({"letters/a.txt": LETTER.encode(), "b.pdf": pdf_with_text(LETTER + " B")})
    docs = read_bytes(data, "bundle.zip")
    assert sorted(d.file_name for d in docs) == ["bundle.zip/b.pdf", "bundle.zip/letters/a.txt"]
    assert all(d.status == "processed" for d in docs)
    text_doc = next(d for d in docs if d.file_name.endswith("a.txt"))
    assert text_doc.id == hashlib.sha256(LETTER.encode()).hexdigest()[:16]


def test_it_refuses_a_zip_bomb_member_and_still_reads_the_rest() -> None:
    data = zip_of({"bomb.txt": b"\x00" * (20 * 1024 * 1024), "letter.txt": LETTER.encode()})
    assert len(data) < 200_000
    docs = {d.file_name: d for d in read_bytes(data, "upload.zip")}
    bomb = docs["upload.zip/bomb.txt"]
    assert bomb.status == "needs_attention"
    assert "zip bomb" in bomb.problems[0]
    assert bomb.pages == []
    assert docs["upload.zip/letter.txt"].status == "processed"


def test_it_refuses_archive_members_with_unsafe_paths_and_links() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("../../etc/cron.d/evil", LETTER)
        zf.writestr("/abs/path.txt", LETTER)
        link = zipfile.ZipInfo("shortcut")
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("fine.txt", LETTER)
    docs = {d.file_name: d for d in read_bytes(out.getvalue(), "x.zip")}
    assert "outside" in docs["x.zip/../../etc/cron.d/evil"].problems[0]
    assert "absolute path" in docs["x.zip/abs/path.txt"].problems[0]
    assert "link" in docs["x.zip/shortcut"].problems[0]
    assert docs["x.zip/fine.txt"].status == "processed"
    refused = [d for d in docs.values() if d.status == "needs_attention"]
    assert len({d.sha256 for d in refused}) == 3  # never mistaken for duplicates


def test_it_opens_a_zip_inside_a_zip_but_not_three_deep() -> None:
    inner = zip_of({"letter.txt": LETTER.encode()})
    middle = zip_of({"inner.zip": inner})
    docs = read_bytes(zip_of({"middle.zip": middle, "inner.zip": inner}), "outer.zip")
    by_name = {d.file_name: d for d in docs}
    assert by_name["outer.zip/inner.zip/letter.txt"].status == "processed"
    deep = by_name["outer.zip/middle.zip/inner.zip"]
    assert deep.status == "needs_attention"
    assert "too deep" in deep.problems[0]


def test_it_reports_a_damaged_or_empty_zip() -> None:
    broken = only(read_bytes(zip_of({"a.txt": LETTER.encode()})[:60], "broken.zip"))
    assert broken.status == "needs_attention"
    empty = only(read_bytes(zip_of({}), "empty.zip"))
    assert "no files" in empty.problems[0]


def test_it_detects_an_archive_member_by_its_content_not_its_name() -> None:
    docs = read_bytes(zip_of({"scan.bin": pdf_with_text(LETTER)}), "a.zip")
    assert only(docs).media_type == "application/pdf"
