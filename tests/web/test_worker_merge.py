"""The worker reads a document in a child process and merges what it read into
the case under the case lock (cases/reader.py): the case must come out exactly
as the engine's own add_document makes it, duplicates included."""

from __future__ import annotations

import copy
import io
import zipfile
from dataclasses import asdict

from casebridge.engine.case import Case as EngineCase
from casebridge.engine.pipeline import add_document, new_case
from casebridge.web.cases.reader import ReadLimits, ReadOutcome, merge, read_document, still_fits
from tests.web.records import PATHOLOGY

LETTER = (
    b"Breast clinic letter. Date: 20/03/2024. Dear Dr Smith, I saw Mrs Example today to "
    b"discuss her biopsy. Plan: neoadjuvant chemotherapy, to start next month.\n"
)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


UPLOADS = [
    ("histology.txt", PATHOLOGY.encode()),
    # One member repeats a document already in the case, two repeat each other.
    ("records.zip", _zip({"a/letter.txt": LETTER, "b/copy.txt": PATHOLOGY.encode()})),
    ("more.zip", _zip({"x.txt": LETTER + b"Addendum.", "y.txt": LETTER + b"Addendum."})),
]


def test_a_case_read_in_child_processes_equals_the_case_the_engine_reads_in_process() -> None:
    start = new_case("oncology").to_dict()
    in_process = EngineCase.from_dict(copy.deepcopy(start))
    sandboxed = EngineCase.from_dict(copy.deepcopy(start))
    for name, data in UPLOADS:
        add_document(in_process, data, name)
        outcome = read_document(
            data,
            name,
            programme=sandboxed.programme,
            known=[asdict(d) for d in sandboxed.documents],
            limits=ReadLimits(),
        )
        assert not outcome.limit
        merge(sandboxed, outcome)
    assert sandboxed.to_dict() == in_process.to_dict()
    duplicates = [d for d in sandboxed.documents if d.duplicate_of]
    assert len(duplicates) == 2 and sandboxed.facts


def _doc(id_: str, sha: str) -> dict:
    return {"id": id_, "sha256": sha}


def _outcome(*shas: str) -> ReadOutcome:
    from casebridge.engine.case import Document

    return ReadOutcome(
        name="f",
        sha256=shas[0],
        size=1,
        documents=[Document(id=s[:16], file_name="f", sha256=s, size=1) for s in shas],
    )


def test_a_read_still_fits_a_case_that_only_gained_other_documents() -> None:
    known = [_doc("a", "a" * 64)]
    now = [*known, _doc("b", "b" * 64)]
    assert still_fits(known, now, _outcome("c" * 64))


def test_a_read_is_made_again_when_its_content_arrived_meanwhile() -> None:
    known = [_doc("a", "a" * 64)]
    now = [*known, _doc("c", "c" * 64)]
    assert not still_fits(known, now, _outcome("d" * 64, "c" * 64))


def test_a_read_is_made_again_when_a_document_it_knew_is_gone() -> None:
    assert not still_fits([_doc("a", "a" * 64)], [], _outcome("c" * 64))
