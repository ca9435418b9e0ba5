"""Building a case pack: exactly what a reviewing team abroad receives, and its
manifest (issue 11, part 3).

    summary.en.pdf, summary.zh.pdf, summary.en.html, summary.zh.html
        the one-page summaries (identifiers already replaced by markers)
    fhir.json
        the FHIR R4 IPS bundle (pseudonymised the same way)
    summary.zh.json, summary.en.json
        the summary as data, each line with its sources and each source with the
        redacted original and page it comes from (facts.py: the reviewers'
        workspace shows facts beside their pages)
    originals/NN-<type>-<date>.pdf
        every page of every original, redacted (pages.py): never the uploaded file,
        and never its file name (a name often holds the patient's)

The manifest lists each file with its SHA-256, size and, for an original, how
many pages went as images, which went as text alone (pages_withheld: each with
why), and how many identifiers were blacked out.

What is hidden: every identifier the records hold, those of the patient's
intake answers (identity.from_intake) and those the caller knows (`known`: the
account's name, date of birth...). With no name, NHS number or date of birth
known at all the pack is refused (identity.PackError).

The pack's hash is the SHA-256 of the manifest: what a patient approves and
what is sent are the same pack only when the hashes match. DICOM images are not
in it: they go to the reviewers' viewer (part 5b).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from casebridge.engine.case import Case, Document, Identifier
from casebridge.engine.pack.facts import summary_data
from casebridge.engine.pack.identity import KnownIdentity, from_intake, require_identity
from casebridge.engine.pack.pages import redact_document
from casebridge.engine.pack.pdf import redacted_pdf
from casebridge.engine.render.fhir import to_ips_bundle
from casebridge.engine.render.html import render_html
from casebridge.engine.render.pdf import render_pdf
from casebridge.engine.render.redact import Redactor

FORMAT = 1  # the manifest's layout


@dataclass(frozen=True)
class PackFile:
    name: str
    media_type: str
    data: bytes
    role: str  # summary | fhir | original
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Pack:
    files: list[PackFile]
    manifest: dict[str, Any]

    @property
    def sha256(self) -> str:
        return manifest_hash(self.manifest)


def manifest_hash(manifest: dict[str, Any]) -> str:
    canonical = json.dumps(manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _words(name: str) -> frozenset[str]:
    return frozenset(w for w in re.split(r"[\s,.^]+", name.casefold()) if w)


def _same_name(identifier: Identifier, name: str) -> bool:
    """Whether `identifier` is the patient's name as given (word order aside:
    "SMITH, Alice" is "Alice Smith")."""
    return identifier.kind == "person_name" and _words(str(identifier.value)) == _words(name)


def build_pack(
    case: Case,
    original: Callable[[Document], bytes | None],
    *,
    pseudonym: str,
    created: str,
    known: KnownIdentity | None = None,
    include_name: str = "",
) -> Pack:
    """The pack of `case` as it is now. `original(document)` gives a document's
    uploaded bytes (None when they cannot be had: its pages go as redacted text);
    `created` (ISO 8601) is the pack's time, also the FHIR bundle's; `known` the
    patient's identity as known outside the records, hidden too. Raises PackError
    when no name, NHS number or date of birth is known (`case` is not changed).
    `include_name`: the patient's name, when they chose to have it sent: that
    name (in any order of its words) is then not hidden; every other
    identifier still is."""
    extra = from_intake(case.intake) + (known.identifiers() if known else [])
    if extra:
        # a copy: the summaries and the bundle pseudonymise with case.identifiers
        case = dataclasses.replace(case, identifiers=[*case.identifiers, *extra])
    require_identity(case.identifiers)
    if include_name.strip():
        case = dataclasses.replace(
            case,
            identifiers=[i for i in case.identifiers if not _same_name(i, include_name)],
        )
    files = [
        PackFile("summary.en.pdf", "application/pdf", render_pdf(case, "en"), "summary"),
        PackFile("summary.zh.pdf", "application/pdf", render_pdf(case, "zh"), "summary"),
        PackFile("summary.en.html", "text/html", render_html(case, "en").encode(), "summary"),
        PackFile("summary.zh.html", "text/html", render_html(case, "zh").encode(), "summary"),
        PackFile(
            "fhir.json",
            "application/fhir+json",
            json.dumps(
                to_ips_bundle(case, timestamp=created), ensure_ascii=False, indent=2
            ).encode(),
            "fhir",
        ),
    ]
    redactor = Redactor(case.identifiers, "en")
    left_out: list[dict[str, Any]] = []
    copies: dict[str, str] = {}  # a document's file name -> its redacted copy in the pack
    number = 0
    for document in case.documents:
        if document.duplicate_of:
            continue
        if document.media_type == "application/dicom":
            left_out.append({"type": document.doc_type, "why": "DICOM images go to the viewer"})
            continue
        if not document.pages:
            left_out.append({"type": document.doc_type, "why": "nothing could be read from it"})
            continue
        number += 1
        pages = redact_document(document, original(document), redactor)
        name = (
            f"originals/{number:02d}-{document.doc_type}-{document.document_date or 'undated'}.pdf"
        )
        copies.setdefault(document.file_name, name)
        files.append(
            PackFile(
                name,
                "application/pdf",
                redacted_pdf(pages, f"{pseudonym} {number:02d} {document.doc_type}"),
                "original",
                {
                    "doc_type": document.doc_type,
                    "date": document.document_date or "",
                    "pages": len(pages),
                    "pages_as_text": [p.number for p in pages if p.image is None],
                    "pages_withheld": [
                        {"page": p.number, "why": p.note}
                        for p in pages
                        if p.image is None and p.note
                    ],
                    "identifiers_hidden": sum(p.blacked_out for p in pages),
                    "notes": sorted({p.note for p in pages if p.note}),
                },
            )
        )
    for lang in ("zh", "en"):  # the workspace's facts beside their pages, Chinese first
        data = json.dumps(summary_data(case, lang, copies), ensure_ascii=False).encode()
        files.insert(5, PackFile(f"summary.{lang}.json", "application/json", data, "summary"))
    manifest = {
        "format": FORMAT,
        "case": pseudonym,
        "created": created,
        # the patient's choice, part of what they approve
        "patient_name_included": bool(include_name.strip()),
        "files": [
            {
                "name": f.name,
                "media_type": f.media_type,
                "sha256": f.sha256,
                "size": len(f.data),
                "role": f.role,
                **f.details,
            }
            for f in files
        ],
        "left_out": left_out,
    }
    return Pack(files, manifest)
