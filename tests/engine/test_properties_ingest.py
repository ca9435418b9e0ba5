"""Properties of the ingest parsers on arbitrary input (hypothesis): they never raise, text
decoding round-trips what it can, normalisation is idempotent, and what a DOCX or PDF says
is what is read."""

from __future__ import annotations

import encodings.aliases
import io
import zipfile
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from casebridge.engine.case import Document
from casebridge.engine.ingest import read_bytes
from casebridge.engine.ingest.docx import read_docx
from casebridge.engine.ingest.pdf import read_pdf
from casebridge.engine.ingest.sniff import sniff
from casebridge.engine.ingest.text import decode_text, markup_to_text, normalise

HANDLERS = {"pdf", "image", "docx", "zip", "dicom", "text", "html", "xml", "unsupported"}
CODECS = sorted(
    set(encodings.aliases.aliases.values()) | {"utf-8", "idna", "punycode", "utf-7", "undefined"}
)
QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _doc() -> Document:
    return Document(id="d", file_name="f", sha256="0" * 64, size=0)


@QUICK
@given(
    st.binary(max_size=4000), st.one_of(st.none(), st.sampled_from(CODECS), st.text(max_size=12))
)
# found: the codec "undefined" raises UnicodeError (not UnicodeDecodeError) on any bytes, so
# an HTML page declaring charset=undefined hit ingest's catch-all
@example(b"caf\xe9 \xff", "undefined")
def test_decoding_any_bytes_with_any_declared_charset_gives_text(data: bytes, declared) -> None:
    text, encoding = decode_text(data, declared)
    assert isinstance(text, str) and isinstance(encoding, str) and encoding


@QUICK
@given(st.text(max_size=2000).filter(lambda s: not s.startswith("\ufeff")))
def test_utf8_text_decodes_to_itself(text: str) -> None:
    assert decode_text(text.encode("utf-8")) == (text, "utf-8")


@QUICK
@given(st.text(max_size=3000))
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert "\r" not in once and "\x00" not in once and "\n\n\n" not in once
    assert once == once.strip()


@QUICK
@given(st.text(max_size=3000))
def test_markup_of_any_text_becomes_normalised_text(markup: str) -> None:
    text = markup_to_text(markup)
    assert normalise(text) == text


@QUICK
@given(st.binary(max_size=5000))
def test_any_bytes_are_sniffed_without_raising(data: bytes) -> None:
    assert sniff(data).handler in HANDLERS


@QUICK
@given(st.binary(max_size=3000))
def test_any_bytes_read_as_a_file_give_documents_and_never_raise(data: bytes) -> None:
    docs = read_bytes(data, "upload")
    assert docs
    for doc in docs:
        assert doc.status in ("processed", "needs_attention")
        assert doc.status == "processed" or doc.problems


_XML_CHARS = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc"),  # XML 1.0 forbids most control characters
)


def _docx(paragraphs: list[str]) -> bytes:
    body = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{escape(p)}</w:t></w:r></w:p>' for p in paragraphs
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
        'openxmlformats.org/wordprocessingml/2006/main"><w:body>' + body + "</w:body></w:document>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("word/document.xml", xml.encode("utf-8"))
    return out.getvalue()


@QUICK
@given(st.lists(st.text(_XML_CHARS, max_size=200), min_size=1, max_size=8))
def test_the_text_of_every_paragraph_of_a_docx_is_read_in_order(paragraphs: list[str]) -> None:
    doc = _doc()
    read_docx(doc, _docx(paragraphs))
    assert doc.status == "processed", doc.problems
    assert doc.text == normalise("\n".join(paragraphs))


@QUICK
@given(st.binary(max_size=3000))
def test_a_docx_whose_body_is_any_bytes_is_read_or_named_damaged(body: bytes) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("word/document.xml", body)
    doc = _doc()
    read_docx(doc, out.getvalue())
    assert doc.status == "processed" or doc.problems


_LINE = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
    min_size=1,
    max_size=12,
)


def _pdf(lines: list[str]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=1)
    for number, line in enumerate(lines):
        pdf.drawString(60, 800 - 36 * number, line)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_LINE, min_size=2, max_size=5).map(" ".join), min_size=3, max_size=20))
def test_the_words_of_a_pdf_text_layer_are_read_as_written(lines: list[str]) -> None:
    # (lines well apart: pdfium joins a one-character line to the next when they are close,
    # which a letter's lines never are)
    doc = _doc()
    read_pdf(doc, _pdf(lines))
    assert doc.text.split() == " ".join(lines).split()
    assert doc.metadata["active_content"] == ""
