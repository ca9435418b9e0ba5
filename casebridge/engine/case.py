"""The nouns of a case, as plain dataclasses with a versioned JSON form.

Everything the engine knows about a patient's records lives in one `Case`.
Stages read and write its fields; nothing else holds state. The JSON form
(`Case.to_dict` / `Case.from_dict`) is the contract with the CLI, the web
platform and anyone else: bump SCHEMA_VERSION on any incompatible change and
describe it in docs/case-schema.md.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, TypeVar

SCHEMA_VERSION = "1.0"

NOT_STATED = "not stated"

Context = Literal["asserted", "negated", "possible", "historical", "family"]
DocStatus = Literal["processed", "needs_attention"]
Programme = Literal["oncology", "rare-disease", "fertility", "eye", "rehabilitation"]
PROGRAMMES: tuple[str, ...] = ("oncology", "rare-disease", "fertility", "eye", "rehabilitation")

DOC_TYPES: tuple[str, ...] = (
    "pathology",
    "radiology",
    "clinic_letter",
    "discharge_summary",
    "operative_note",
    "laboratory",
    "genetic_report",
    "medication_list",
    "referral_letter",
    "mdt_outcome",
    "imaging_study",  # DICOM metadata only: the images themselves, not a report
    "other",
)

# Fact kinds (knowledge/fact_kinds.yaml) that several stages group the same way.
BIOMARKER_KINDS: tuple[str, ...] = (
    "er_status",
    "pr_status",
    "her2_ihc",
    "her2_ish",
    "ki67",
    "egfr",
    "alk",
    "ros1",
    "kras",
    "braf",
    "pdl1",
    "msi_mmr",
    "brca",
    "other_biomarker",
)
TREATMENT_KINDS: tuple[str, ...] = (
    "surgery",
    "regimen",
    "drug",
    "radiotherapy",
    "immunotherapy",
    "targeted_therapy",
    "hormone_therapy",
    "cellular_therapy",
    "transplant",
)


@dataclass
class Source:
    """Where a fact was read: the verbatim text at a character span of one page."""

    document_id: str
    file_name: str
    page: int  # 1-based
    start: int  # character offsets into Page.text
    end: int
    snippet: str

    def ref(self) -> str:
        return f"{self.file_name} p.{self.page}"


@dataclass
class Code:
    system: str
    code: str
    display: str


@dataclass
class Correction:
    """A person's change to a fact. Kept across re-processing of the case."""

    fact_id: str
    by: str
    at: str  # ISO 8601
    reason: str
    value: str | None = None  # None together with `rejected` means "this fact is wrong"
    rejected: bool = False
    kind: str | None = None  # for a fact a person adds that no document states
    context: str | None = None


@dataclass
class Fact:
    kind: str  # e.g. primary_site, histology, t_category, her2_ihc, regimen
    value: str  # normalised value, or NOT_STATED
    source: Source | None  # None only for NOT_STATED placeholders and person-entered facts
    context: str = "asserted"
    display: str = ""  # human wording of the value, e.g. "HER2 IHC 2+ (equivocal)"
    attributes: dict[str, str] = field(default_factory=dict)
    code: Code | None = None
    found_by: str = ""  # rule id, e.g. "tnm.pattern.compact"
    id: str = ""
    corrected_by: Correction | None = None
    original_value: str | None = None  # set when a correction replaced the value

    def __post_init__(self) -> None:
        if not self.id:
            self.id = fact_id(self.kind, self.value, self.source)
        if not self.display:
            self.display = self.value


def fact_id(kind: str, value: str, source: Source | None) -> str:
    """Stable across re-runs: the same text in the same file gives the same id,
    which is what lets a person's correction find its fact again."""
    if source is None:
        key = f"{kind}|{value}"
    else:
        key = f"{kind}|{source.document_id}|{source.page}|{source.start}|{source.end}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass
class Identifier:
    """A direct identifier found in the text, to be pseudonymised before sharing."""

    kind: str  # person_name, nhs_number, hospital_number, date_of_birth, address, postcode, phone, email
    value: str
    source: Source
    valid: bool = True  # e.g. an NHS number whose check digit fails is kept but marked invalid


@dataclass
class Page:
    number: int  # 1-based
    text: str
    method: str  # text-layer, ocr, docx, plain, html, dicom
    ocr_confidence: float | None = None


@dataclass
class Document:
    id: str  # first 16 hex of the content's sha256
    file_name: str  # path relative to the records folder (archive members: archive.zip/member)
    sha256: str
    size: int
    media_type: str = "application/octet-stream"  # detected from content, never the name
    pages: list[Page] = field(default_factory=list)
    doc_type: str = "other"
    doc_type_confidence: float = 0.0
    status: str = "processed"
    problems: list[str] = field(default_factory=list)  # plain-language reasons it needs attention
    duplicate_of: str | None = None
    document_date: str | None = None  # ISO date the document was written, when stated
    metadata: dict[str, str] = field(default_factory=dict)  # e.g. DICOM modality, study date
    language: str = "en"

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)

    def needs_attention(self, reason: str) -> None:
        self.status = "needs_attention"
        if reason not in self.problems:
            self.problems.append(reason)


@dataclass
class Conflict:
    kind: str
    values: list[str]
    fact_ids: list[str]
    note: str


@dataclass
class TimelineEvent:
    date: str  # ISO; precision says how much of it is known
    precision: str  # day, month, year
    kind: str  # diagnosis, biopsy, surgery, imaging, treatment_start, progression, letter, ...
    label: str
    sources: list[Source] = field(default_factory=list)


@dataclass
class Gap:
    id: str  # checklist item id or inference rule id
    title: str
    why: str
    holder: str  # who usually holds the record
    severity: str = "important"  # essential, important, helpful
    inferred: bool = False
    evidence: list[Source] = field(default_factory=list)
    request_letter: str = ""  # file name under requests/


@dataclass
class SafetyFlag:
    """One finding of the emergency screen (engine/safety). `level` "red" pauses the case
    (seek local care now: 999 / NHS 111); "amber" advises calling the acute oncology
    helpline today and lists the case for a coordinator without pausing it."""

    category: str
    label: str
    advice: str
    evidence: Source | None = None
    from_intake: bool = False
    level: str = "red"
    rule: str = ""  # which rule of knowledge/red_flags.yaml, e.g. "mscc.ng234_new_deficit"
    phrase: str = ""  # the words that triggered it, as written
    field: str = ""  # for intake text: which answer ("symptoms", "questions", ...)
    guideline: str = ""  # the rule's clinical source (UKONS, NICE ...)


@dataclass
class Question:
    audience: str  # reviewing_team, provider, uk_team
    text: str
    because: list[str] = field(default_factory=list)  # fact ids or gap ids it was drawn from


@dataclass
class Case:
    programme: str = "oncology"
    case_id: str = ""
    schema_version: str = SCHEMA_VERSION
    created: str = ""
    engine_version: str = ""
    documents: list[Document] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    safety_flags: list[SafetyFlag] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    # facts a person marked wrong: out of `facts` (and so of every output), kept
    # aside while the mark stands so the mark can be shown and undone
    rejected_facts: list[Fact] = field(default_factory=list)
    intake: dict[str, Any] = field(default_factory=dict)  # the patient's own answers
    paused: bool = False  # a red safety flag pauses the case until a person clears it
    warnings: list[str] = field(default_factory=list)

    # -- reads -------------------------------------------------------------
    def document(self, document_id: str) -> Document | None:
        return next((d for d in self.documents if d.id == document_id), None)

    def facts_of(self, kind: str, *, asserted_only: bool = True) -> list[Fact]:
        return [
            f
            for f in self.facts
            if f.kind == kind and (not asserted_only or f.context == "asserted")
        ]

    def first(self, kind: str) -> Fact | None:
        found = self.facts_of(kind)
        return found[0] if found else None

    def value(self, kind: str) -> str:
        fact = self.first(kind)
        return fact.value if fact else NOT_STATED

    @property
    def attention(self) -> list[Document]:
        return [d for d in self.documents if d.status == "needs_attention"]

    # -- JSON --------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Case:
        version = str(data.get("schema_version", ""))
        if version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
            raise ValueError(
                f"E101: case.json has schema version {version!r}; this engine reads {SCHEMA_VERSION}"
            )
        return _build(cls, data)


T = TypeVar("T")

# The nested types of each dataclass field, for from_dict. Kept explicit rather
# than derived from annotations so that a renamed type fails loudly here.
_NESTED: dict[str, dict[str, type]] = {
    "Case": {
        "documents": Document,
        "facts": Fact,
        "identifiers": Identifier,
        "conflicts": Conflict,
        "timeline": TimelineEvent,
        "gaps": Gap,
        "safety_flags": SafetyFlag,
        "questions": Question,
        "corrections": Correction,
        "rejected_facts": Fact,
    },
    "Document": {"pages": Page},
    "Fact": {"source": Source, "code": Code, "corrected_by": Correction},
    "Identifier": {"source": Source},
    "TimelineEvent": {"sources": Source},
    "Gap": {"evidence": Source},
    "SafetyFlag": {"evidence": Source},
}


def _build(cls: type[T], data: dict[str, Any]) -> T:
    nested = _NESTED.get(cls.__name__, {})
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            continue  # tolerate fields added by a newer minor version
        inner = nested.get(key)
        if inner is not None and value is not None:
            if isinstance(value, list):
                value = [_build(inner, v) for v in value]
            else:
                value = _build(inner, value)
        kwargs[key] = value
    return cls(**kwargs)
