"""Issue 10, hostile files: a fuzz smoke set from the corpus generator (scripts/hostile_corpus.py)
read as the worker reads, in a child process under limits; and one regression test for each
fault the full corpus found in ingest."""

from __future__ import annotations

import hashlib
import io
import sys
import zipfile
from pathlib import Path

import pytest

from casebridge.engine.ingest import limits, read_bytes
from casebridge.web.cases.reader import ReadLimits

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import hostile_corpus  # noqa: E402
import hostile_kinds  # noqa: E402

SEED = 20240312


def test_the_generator_writes_the_same_bytes_from_the_same_seed(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    one = hostile_corpus.generate(SEED, 40, first)
    two = hostile_corpus.generate(SEED, 40, second)
    digests = [[hashlib.sha256(e.path.read_bytes()).hexdigest() for e in run] for run in (one, two)]
    assert digests[0] == digests[1]
    assert {e.kind for e in one} == set(hostile_kinds.KINDS)  # every kind, even in 40 files
    other = hostile_corpus.generate(SEED + 1, 40, tmp_path)
    assert [hashlib.sha256(e.path.read_bytes()).hexdigest() for e in other] != digests[0]


def test_a_plan_of_ten_thousand_files_holds_every_kind_in_its_share() -> None:
    kinds = hostile_corpus.plan(10_000)
    assert len(kinds) == 10_000
    for name, (_maker, share) in hostile_kinds.KINDS.items():
        assert abs(kinds.count(name) - 10_000 * share) <= 2


@pytest.mark.slow
def test_a_few_hundred_hostile_files_read_in_limited_children_crash_none(tmp_path: Path) -> None:
    """The CI smoke set: every file is processed or needs attention with a reason; none
    crashes the reader or hits ingest's catch-all. Limits tighter than production's, so the
    few costly files stop early (stopping at a limit is needing attention, with its reason)."""
    entries = hostile_corpus.generate(SEED, 200, tmp_path)
    results = hostile_corpus.run(entries, ReadLimits(cpu_seconds=4, wall_seconds=6))
    assert len(results) == len(entries)
    assert hostile_corpus.failed(results) == [], hostile_corpus.report(results, 0.0)
    for result in results:
        assert result.verdict in ("processed", "needs-attention")
        if result.verdict == "needs-attention":
            assert result.reasons and all(reason.strip() for reason in result.reasons)
    verdicts = {r.verdict for r in results}
    assert verdicts == {"processed", "needs-attention"}  # the set is neither all good nor all bad


# -- regressions: each fault the corpus found ------------------------------------------------


def _docx(body: bytes) -> bytes:
    return hostile_kinds.docx(body)


@pytest.mark.parametrize("opening", [b"<w:sdt><w:sdtContent>", b"<w:tbl><w:tr><w:tc>"])
def test_a_docx_nested_deeper_than_any_real_one_needs_attention_instead_of_recursing(
    opening: bytes,
) -> None:
    # 5,000 levels exceeded Python's recursion limit: "an unexpected problem" before
    closing = b"".join(b"</" + tag + b">" for tag in reversed(opening[1:-1].split(b"><")))
    body = opening * 5_000 + hostile_kinds.paragraph("Invasive ductal carcinoma.") + closing * 5_000
    (doc,) = read_bytes(_docx(body), "deep.docx")
    assert doc.status == "needs_attention"
    assert doc.problems == [
        "This Word document is nested too deeply to read (tables or boxes inside one another "
        f"more than {limits.MAX_XML_DEPTH} levels): please save it as PDF"
    ]


def test_a_docx_with_tables_inside_tables_a_few_levels_deep_is_still_read() -> None:
    opening, closing = b"<w:tbl><w:tr><w:tc>", b"</w:tc></w:tr></w:tbl>"
    text = "Histology: invasive ductal carcinoma, grade 2, ER positive, HER2 negative."
    body = opening * 8 + hostile_kinds.paragraph(text) + closing * 8
    (doc,) = read_bytes(_docx(body), "tables.docx")
    assert doc.status == "processed" and text in doc.text


def _corrupt_deflate(data: bytes, member: str) -> bytes:
    """The member's compressed bytes replaced by an invalid deflate block (zlib.error on
    reading, which is neither a BadZipFile nor an OSError)."""
    out = bytearray(data)
    at = out.find(member.encode()) + len(member)  # the local header's name, then the data
    out[at : at + 8] = b"\xff" * 8
    return bytes(out)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def test_an_archive_member_with_corrupt_compressed_data_is_named_damaged() -> None:
    letter = b"Clinic letter: the patient is well and was seen today in clinic. " * 20
    data = _corrupt_deflate(_zip({"letter.txt": letter, "other.txt": letter + b"."}), "letter.txt")
    docs = read_bytes(data, "records.zip")
    by_name = {d.file_name: d for d in docs}
    assert by_name["records.zip/letter.txt"].problems == ["This file in the archive is damaged"]
    assert by_name["records.zip/other.txt"].status == "processed"


def test_a_docx_whose_body_has_corrupt_compressed_data_is_named_damaged() -> None:
    data = _docx(hostile_kinds.paragraph("Invasive ductal carcinoma. " * 40))
    (doc,) = read_bytes(_corrupt_deflate(data, "word/document.xml"), "letter.docx")
    assert doc.problems == ["This Word document is damaged and cannot be opened"]


def test_an_html_page_that_declares_an_unusable_charset_is_still_read() -> None:
    # "undefined" is a codec whose decoder raises UnicodeError: "an unexpected problem" before
    page = (
        b'<html><head><meta charset="undefined"></head><body><p>Clinic letter: caf\xe9 on the '
        b"ward, invasive ductal carcinoma of the left breast, grade 2, seen today.</p></body></html>"
    )
    (doc,) = read_bytes(page, "letter.html")
    assert doc.status == "processed", doc.problems
    assert "café on the ward" in doc.text


# Files of the 10,000-file run (seed 1) that reached ingest's catch-all, rebuilt from the
# generator: Pillow's TypeError "Missing dimensions" (a TIFF without a width) and a
# struct.error (a GIF cut short); ZipInfo.is_dir() indexing an empty member name; pydicom's
# BytesLengthException (a UL value of two bytes).
@pytest.mark.parametrize(
    ("index", "kind", "reason"),
    [
        (4003, "image-malformed", "This picture is damaged or incomplete and cannot be opened"),
        (4790, "image-malformed", "This picture is damaged or incomplete and cannot be opened"),
        (6105, "docx", "This file in the archive is damaged"),
        (6726, "dicom", "This medical imaging (DICOM) file is damaged or empty and cannot be read"),
    ],
)
def test_files_of_the_full_run_that_hit_the_catch_all_now_say_what_is_wrong(
    index: int, kind: str, reason: str
) -> None:
    import random

    maker, _share = hostile_kinds.KINDS[kind]
    data, ext = maker(random.Random(f"1:{kind}:{index}"))
    docs = read_bytes(data, f"{index}.{ext}")
    problems = [p for d in docs for p in d.problems]
    assert reason in problems
    assert not any(hostile_corpus.UNEXPECTED in p for p in problems)
