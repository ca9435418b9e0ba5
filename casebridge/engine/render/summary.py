"""The content of the one-page clinical summary, shared by the HTML and PDF renderers.

`build_summary(case, lang)` decides which lines appear, in which order, with which numbered
source references; the renderers only lay it out. Order (what a reviewing oncologist reads
in two minutes): safety notice (when the case has safety flags), identity, what the MDT
needs first (render/essentials.py: the clinical question, current status, current treatment
and its line, the plan and the options under discussion), diagnosis, staging, biomarkers
(one row per biomarker), treatment history, response, current medications, allergies,
performance status, key labs, other conditions, timeline, conflicts, main gaps, documents
needing attention, then the numbered sources and the disclaimer in both languages.

Every line that shows a fact carries the numbers of its sources; a key item without a fact
reads "not stated" (未提及). In Chinese, values and headings go through the terminology table
only (engine/terminology.py); what it does not cover stays English and is marked.
Names and other direct identifiers are never printed: the patient is shown by pseudonym.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from casebridge.engine import kb
from casebridge.engine.case import (
    BIOMARKER_KINDS,
    TREATMENT_KINDS,
    Case,
    Fact,
    Gap,
    SafetyFlag,
    Source,
    TimelineEvent,
)
from casebridge.engine.currency import (
    current_on_latest,
    fact_date,
    latest_record_date,
    stated_on,
)
from casebridge.engine.errors import InputError
from casebridge.engine.extract.status import DATED_ONCE
from casebridge.engine.render.biomarker_rows import biomarker_lines
from casebridge.engine.render.dose_rows import (
    dose_step_spans,
    planned_dose_spans,
    radiotherapy_spans,
)
from casebridge.engine.render.essentials import (
    PLAN_KINDS,
    essentials,
    in_condition,
    option_facts,
    option_parts,
)
from casebridge.engine.render.history_rows import (
    background_lines,
    cancer_type_from_histology,
    group_key,
    metastatic_line,
    own_date,
    patient_lines,
    value_of,
)
from casebridge.engine.render.redact import Redactor
from casebridge.engine.safety import flag_term
from casebridge.engine.terminology import (
    Span,
    categories_for_kind,
    is_neutral,
    label,
    match_template,
    normalise,
    table,
)

LANGS: tuple[str, ...] = ("en", "zh")

ONCOLOGY_DIAGNOSIS_KEY = ("cancer_type", "primary_site", "histology", "laterality", "grade")
DIAGNOSIS_EXTRA = ("diagnosis", "tumour_size", "lymph_nodes", "margins", "lvi")
# kinds whose display carries what the value leaves out (dose, result, reaction)
DISPLAY_FIRST = frozenset(
    {"medication", "lab", "allergy", "grade", "other_biomarker", "performance_status",
     "lymph_nodes", "tumour_size", "margins", "primary_site", "metastatic_site",
     *BIOMARKER_KINDS, *TREATMENT_KINDS}
)  # fmt: skip
# kinds whose several mentions of one value are shown by the fullest wording ("upper lobe
# of lung" for "lung", "bone (T9)" for "bone")
FULLEST = frozenset({"primary_site", "metastatic_site"})
TNM_KINDS = ("t_category", "n_category", "m_category")
PREFIX_ORDER = ("c", "p", "yc", "yp", "r", "rp", "a", "")
PREFIX_KEYS = {
    "c": "stage_clinical",
    "p": "stage_pathological",
    "yp": "stage_post_neoadjuvant",
    "yc": "stage_post_therapy_clinical",
    "r": "stage_recurrence",
    "rp": "stage_recurrence",
    "a": "stage_autopsy",
    "": "stage_unprefixed",
}
SHOWN_CONTEXTS = ("asserted", "historical")
SNIPPET_PAD = 60  # characters either side of a fact in its snippet (as extract/spans.py)
QUOTE_PAD = 28  # characters either side of the cited words in the printed quotation
MAX_MERGED = 160  # widest span (before padding) that overlapping snippets merge into
MAX_REFS = 2  # sources cited per value; the most authoritative documents are kept
# which document a reader checks first, when a value has more sources than MAX_REFS
DOC_RANK = ("pathology", "genetic_report", "mdt_outcome", "radiology", "operative_note",
            "discharge_summary", "clinic_letter", "laboratory", "referral_letter",
            "medication_list", "imaging_study", "other")  # fmt: skip
# timeline events that only date a document (its letter or report date): left out
DOCUMENT_EVENTS = frozenset({"letter", "report"})
_MED_DETAIL = ("dose", "frequency", "route")
# kinds whose value changes over time: of several dated values the newest is marked current
CHANGING = frozenset(
    {"performance_status", "response", "ki67", "tumour_size", "stage_group", "pdl1", "lab"}
)  # the fullest wording of a medicine is shown


@dataclass
class Part:
    """One value on a line with its source numbers; `sep` is printed before it."""

    spans: list[Span]
    refs: list[int] = field(default_factory=list)
    sep: str = "; "


@dataclass
class Line:
    label: list[Span]
    parts: list[Part]
    status: str = "fact"  # fact, not_stated, conflict, note
    note: list[Span] = field(default_factory=list)


@dataclass
class Section:
    key: str
    heading: str
    lines: list[Line]


@dataclass
class SourceItem:
    number: int
    where: str  # "pathology_2024-03.pdf p.2"
    snippet: str  # verbatim, never translated (identifiers replaced by markers)
    file: str = ""  # "pathology_2024-03.pdf": sources are numbered document by document
    page: str = ""  # "p.2"


@dataclass
class SafetyNotice:
    urgent: dict[str, str]  # both languages
    paused: dict[str, str] | None
    flags: list[Line]


@dataclass
class Summary:
    lang: str
    title: str
    subtitle: str
    case_id: str
    meta: list[Line]
    safety: SafetyNotice | None
    sections: list[Section]
    sources: list[SourceItem]
    disclaimer: dict[str, str]  # {"en": ..., "zh": ...}
    disclaimer_heading: str
    sources_heading: str
    untranslated_note: str
    footer: str
    terminology_version: str

    @property
    def has_untranslated(self) -> bool:
        lines = [*self.meta, *(ln for s in self.sections for ln in s.lines)]
        if self.safety:
            lines += self.safety.flags
        for line in lines:
            spans = [*line.label, *line.note, *(s for p in line.parts for s in p.spans)]
            if any(s.untranslated for s in spans):
                return True
        return False


def build_summary(case: Case, lang: str) -> Summary:
    """The summary's content for `lang` ("en" or "zh")."""
    if lang not in LANGS:
        raise InputError(f"the summary language must be one of {', '.join(LANGS)}, not {lang!r}")
    return _Builder(case, lang).build()


class _Builder:
    def __init__(self, case: Case, lang: str) -> None:
        self.case = case
        self.lang = lang
        self.zh = lang == "zh"
        self.terms = table()
        self.kinds: dict[str, dict[str, Any]] = kb.fact_kinds()
        self._provisional: list[Source | tuple[str, str]] = []  # a Source, or (where, text)
        self._numbers: dict[tuple[str, ...], int] = {}
        self.facts_by_id = {f.id: f for f in case.facts}
        self.redact = Redactor(case.identifiers, lang)
        self._id_spans: dict[tuple[str, int], list[tuple[int, int]]] = {}
        self._inline_conflicts: set[str] = set()  # kinds whose own line shows the conflict
        self.latest = latest_record_date(case)

    # -- wording ----------------------------------------------------------------
    def word(self, key: str, **fmt: object) -> str:
        return label(key, self.lang, **fmt)

    def text(self, english: str, *categories: str) -> list[Span]:
        """English wording shown as is, or its Chinese through the table."""
        if not english:
            return []
        if not self.zh:
            return [Span(english)]
        return self.terms.translate(english, categories)

    def kind_label(self, kind: str) -> list[Span]:
        term = self.terms.by_key(f"fact_kind.{kind}")
        if term is not None:
            return [Span(term.zh if self.zh else term.en)]
        english = str(self.kinds.get(kind, {}).get("label", kind.replace("_", " ")))
        return self.text(english, "fact_kind")

    def not_stated(self) -> list[Span]:
        return [Span(self.word("heading.not_stated"))]

    # -- sources -------------------------------------------------------------------
    def ref(self, source: Source | None) -> list[int]:
        """A provisional reference; numbers are given in reading order by _number()."""
        if source is None:
            return []
        key = (source.document_id, str(source.page), str(source.start), str(source.end),
               " ".join(source.snippet.split()))  # fmt: skip
        if key not in self._numbers:
            self._numbers[key] = len(self._provisional)
            self._provisional.append(source)
        return [self._numbers[key]]

    def intake_ref(self, field_name: str, text: str) -> list[int]:
        """A reference to one of the patient's intake answers."""
        key = ("intake", field_name, text)
        if key not in self._numbers:
            self._numbers[key] = len(self._provisional)
            named = self.word(f"heading.intake_{field_name}")
            named = field_name if named == f"heading.intake_{field_name}" else named
            where = f"{self.word('heading.intake')}{'：' if self.zh else ': '}{named}"
            self._provisional.append((where, text))
        return [self._numbers[key]]

    def fact_refs(self, fact: Fact) -> list[int]:
        if fact.source is not None:
            return self.ref(fact.source)
        key = ("correction", fact.id)
        if key not in self._numbers:
            self._numbers[key] = len(self._provisional)
            corr = fact.corrected_by
            if corr is not None:
                where = f"{self.word('heading.correction_by')} {corr.by}, {corr.at[:10]}"
                self._provisional.append((where, corr.reason))
            else:
                self._provisional.append((self.word("heading.no_source"), ""))
        return [self._numbers[key]]

    def _number(self, lines: list[Line]) -> list[SourceItem]:
        """Number the sources document by document, documents in the order the reader meets
        them, merging snippets that overlap on the same page into one verbatim passage; a
        value with more than MAX_REFS sources keeps those already cited, then the most
        authoritative; every line's refs are rewritten."""
        cluster_of = self._clusters()
        cited: set[int] = set()
        for line in lines:
            for part in line.parts:
                part.refs = self._best(part.refs, cluster_of, cited)
                cited.update(cluster_of[p][0] for p in part.refs)
        doc_order: dict[str, int] = {}
        cluster_order: dict[int, tuple[int, int]] = {}
        for line in lines:
            for part in line.parts:
                for prov in part.refs:
                    cluster, _where, _snippet, file, _page = cluster_of[prov]
                    doc_order.setdefault(file, len(doc_order))
                    cluster_order.setdefault(cluster, (doc_order[file], len(cluster_order)))
        numbers: dict[int, int] = {}
        info = {c: (w, sn, f, pg) for c, w, sn, f, pg in cluster_of.values()}
        items: list[SourceItem] = []
        for cluster, _ in sorted(cluster_order.items(), key=lambda kv: kv[1]):
            numbers[cluster] = len(items) + 1
            where, snippet, file, page = info[cluster]
            items.append(SourceItem(numbers[cluster], where, snippet, file, page))
        for line in lines:
            for part in line.parts:
                part.refs = sorted({numbers[cluster_of[p][0]] for p in part.refs})
        return items

    def _best(
        self,
        refs: list[int],
        cluster_of: dict[int, tuple[int, str, str, str, str]],
        cited: set[int],
    ) -> list[int]:
        by_cluster: dict[int, int] = {}
        for prov in refs:
            by_cluster.setdefault(cluster_of[prov][0], prov)
        if len(by_cluster) <= MAX_REFS:
            return list(by_cluster.values())

        def rank(prov: int) -> tuple[int, int, int]:
            item = self._provisional[prov]
            doc = self.case.document(item.document_id) if isinstance(item, Source) else None
            kind = doc.doc_type if doc is not None else "other"
            order = DOC_RANK.index(kind) if kind in DOC_RANK else len(DOC_RANK)
            return (0 if cluster_of[prov][0] in cited else 1, order, prov)

        return sorted(by_cluster.values(), key=rank)[:MAX_REFS]

    def _clusters(self) -> dict[int, tuple[int, str, str, str, str]]:
        """provisional id -> (cluster id, where, verbatim quotation, file, page label)."""
        out: dict[int, tuple[int, str, str, str, str]] = {}
        spans: dict[tuple[str, int], list[tuple[int, int, int]]] = {}
        for prov, item in enumerate(self._provisional):
            if isinstance(item, tuple):
                out[prov] = (prov, item[0], item[1], item[0], "")
                continue
            page_text = self._page_text(item)
            if page_text and 0 <= item.start < item.end <= len(page_text):
                spans.setdefault((item.document_id, item.page), []).append(
                    (item.start, item.end, prov)
                )
            else:
                out[prov] = (prov, self._where(item), _clip(item.snippet), *self._file_page(item))
        for (_doc, _page), found in spans.items():
            found.sort()
            groups: list[list[tuple[int, int, int]]] = []
            for start, end, prov in found:
                last = groups[-1] if groups else None
                if (
                    last is not None
                    and start <= max(e for _, e, _ in last) + QUOTE_PAD
                    and end - last[0][0] <= MAX_MERGED
                ):
                    last.append((start, end, prov))
                else:
                    groups.append([(start, end, prov)])
            for group in groups:
                first = self._provisional[group[0][2]]
                assert isinstance(first, Source)
                start = group[0][0]
                end = max(e for _, e, _ in group)
                text = self._page_text(first)
                snippet = _window(text, start, end, QUOTE_PAD, self._identifier_spans(first))
                for _, _, prov in group:
                    out[prov] = (group[0][2], self._where(first), snippet, *self._file_page(first))
        return out

    def _identifier_spans(self, source: Source) -> list[tuple[int, int]]:
        key = (source.document_id, source.page)
        if key not in self._id_spans:
            self._id_spans[key] = self.redact.spans(self._page_text(source))
        return self._id_spans[key]

    def _file_page(self, source: Source) -> tuple[str, str]:
        return source.file_name, self.word("heading.page", n=source.page)

    def _page_text(self, source: Source) -> str:
        doc = self.case.document(source.document_id)
        if doc is None:
            return ""
        page = next((p for p in doc.pages if p.number == source.page), None)
        return page.text if page else ""

    def _where(self, source: Source) -> str:
        return f"{source.file_name} {self.word('heading.page', n=source.page)}"

    # -- facts ---------------------------------------------------------------------
    def visible(self, kind: str, contexts: tuple[str, ...] = SHOWN_CONTEXTS) -> list[Fact]:
        return [
            f
            for f in self.case.facts
            if f.kind == kind
            and f.context in contexts
            and not (f.corrected_by is not None and f.corrected_by.rejected)
        ]

    def value(self, fact: Fact) -> list[Span]:
        """The value as shown. In Chinese a value is translated whole or shown whole in
        English, marked: never half-translated."""
        spans = self._value(fact)
        if self.zh and len(spans) > 1 and any(s.untranslated for s in spans):
            return [Span(" ".join((fact.display or fact.value).split()), untranslated=True)]
        return spans

    def _value(self, fact: Fact) -> list[Span]:
        kind = fact.kind
        english = fact.display or fact.value
        exact = self._exact_absence(fact)
        if exact:
            return exact
        if kind == "cancer_type":
            return self._cancer_type(fact)
        own = value_of(self, fact)
        if own is not None:
            return own
        if kind == "regimen" and self.zh:
            joined = self._regimen_of_drugs(fact.value)
            if joined:
                return joined
        if kind == "stage_group":
            return self._stage(fact.value, fact.attributes.get("prefix", ""))
        if kind == "tnm_edition":
            return self._edition(fact)
        if kind == "grade" and re.fullmatch(r"[1-4X]", fact.value.strip()):
            graded = f"grade {fact.value.strip()}"
            if not self.zh:
                return [Span(fact.display if fact.display != fact.value else graded)]
            return self._pick(graded, fact.display if fact.display != fact.value else graded, kind)
        if not self.zh:
            return [Span(english)]
        return self._pick(fact.value, english, kind)

    def _pick(self, value: str, display: str, kind: str) -> list[Span]:
        cats = categories_for_kind(kind)
        if display and display != value and kind in DISPLAY_FIRST:
            fuller = self.terms.translate(display, cats)
            if not any(s.untranslated for s in fuller):
                return fuller
        first = self.terms.translate(value, cats)
        if not any(s.untranslated for s in first):
            return first
        if display and display != value:
            return self.terms.translate(display, cats)  # the fuller English, if untranslated
        return first

    def _cancer_type(self, fact: Fact) -> list[Span]:
        code = fact.value.strip().upper()
        term = self.terms.by_key(f"cancer_type.{code}")
        if term is None:
            return (
                self._pick(fact.value, fact.display, "cancer_type")
                if self.zh
                else [Span(fact.display or fact.value)]
            )
        return [Span(term.zh if self.zh else term.en)]  # TCGA codes stay in the evaluation

    def _stage(self, value: str, prefix: str) -> list[Span]:
        core = re.sub(r"(?i)^\s*stage\s*", "", value).strip()
        said = self.terms.by_key(f"heading.stage_classification_{prefix}") if self.zh else None
        suffix = f" ({said.zh if said else prefix})" if prefix else ""
        if re.fullmatch(r"(?:0(?:is|a)?|I{1,3}|IV)(?:[A-D]\d?)?", core):
            return [Span(self.word("heading.stage_prefix", stage=core) + suffix)]
        if not self.zh:
            return [Span(value + suffix)]
        spans = self.terms.translate(value, ("stage",))
        return [*spans, Span(suffix)] if suffix else spans

    def _edition(self, fact: Fact) -> list[Span]:
        """The edition as the record names it: "AJCC 第8版" only when it says AJCC; "TNM 8th
        edition" or UICC is UICC TNM 第8版; an edition without either is just 第8版."""
        words = " ".join((fact.display or fact.value).split())
        said = f"{words} {fact.source.snippet if fact.source else ''}"
        if not self.zh:
            return [Span(words)]
        match = re.search(r"(\d{1,2})(?:st|nd|rd|th)?\b", words)
        if not match:
            return self.terms.translate(words, ("stage",))
        if re.search(r"\bAJCC\b", said):
            key = "heading.edition_n"
            org = "AJCC"
        elif re.search(r"\b(?:UICC|TNM)\b", said):
            key, org = "heading.edition_n", "UICC TNM"
        else:
            key, org = "heading.edition_only", ""
        return [Span(label(key, "zh", org=org, n=match.group(1)))]

    def _regimen_of_drugs(self, name: str) -> list[Span]:
        """A regimen named by its drugs ("carboplatin-pemetrexed") as their Chinese names
        joined by "+"; an acronym (R-CHOP) reads the same in Chinese and is left to the
        table."""
        drugs = name.split("-")
        if len(drugs) < 2 or is_neutral(name):
            return []
        names = [self.terms.lookup(d, ("drug",)) for d in drugs]
        if any(t is None for t in names):
            return []
        return [Span("+".join(t.zh for t in names if t is not None))]

    def _exact_absence(self, fact: Fact) -> list[Span]:
        """A finding the record says was not identified in what was examined ("not
        identified in the cores") is shown in those words, never as absent (无)."""
        if normalise(fact.value) not in ("absent", "not identified", "not seen", "negative"):
            return []
        if fact.kind in BIOMARKER_KINDS or fact.source is None:
            return []
        m = _NOT_IDENTIFIED.search(fact.source.snippet)
        if m is None:
            return []
        words = " ".join(m.group(0).split())
        if not self.zh:
            subject = re.sub(r"(?i)\s*\b(?:absent|negative|not identified|not seen)$", "",
                             fact.display or "")  # fmt: skip
            return [Span(f"{subject} {words}".strip())]
        return self.terms.translate(words, ("result",))

    def note_for(self, fact: Fact) -> list[Span]:
        spans: list[Span] = []
        if fact.context != "asserted" and fact.kind not in TREATMENT_KINDS:
            spans += [Span(self.word(f"context.{fact.context}"))]
        if fact.corrected_by is not None and not fact.corrected_by.rejected:
            corrected = self.word("heading.corrected")
            if fact.original_value:
                was = self.text(fact.original_value, *categories_for_kind(fact.kind))
                spans += [Span(f"{corrected}; {self.word('heading.was')} "), *was]
            else:
                spans += [Span(corrected)]
        return spans

    def kind_line(
        self,
        kind: str,
        *,
        key_item: bool,
        label_spans: list[Span] | None = None,
        facts: list[Fact] | None = None,
    ) -> Line | None:
        """One line for a fact kind (or for the `facts` given): each distinct value with
        its sources; both values when records disagree; "not stated" for a key item with no
        fact."""
        lbl = label_spans if label_spans is not None else self.kind_label(kind)
        hedged = False
        if facts is None:
            facts = self.visible(kind)
            if not facts:  # a value inside an "if …" clause is a condition, not a finding
                facts = [
                    f
                    for f in self.visible(kind, ("possible", "negated"))
                    if not f.attributes.get("hypothetical") and not in_condition(self, f)
                ]
                hedged = bool(facts)
        if not facts:
            return Line(lbl, [Part(self.not_stated())], "not_stated") if key_item else None
        groups: dict[str, list[Fact]] = {}
        for fact in facts:
            groups.setdefault(self._group_key(fact), []).append(fact)
        ordered = self._newest_first(_fold_subsites(list(groups.values())))
        parts: list[Part] = []
        notes: list[Span] = []
        for i, group in enumerate(ordered):
            refs = sorted({n for f in group for n in self.fact_refs(f)})
            shown = _fullest(group) if kind in FULLEST else group[0]
            spans = self.value(shown)
            note = self.note_for(shown)
            if note:
                spans = [*spans, Span(" ("), *note, Span(")")]
            changing = kind in CHANGING and i == 0 and self._several_dates(ordered)
            spans += self.date_note(group, current=changing)
            parts.append(Part(spans, refs, sep="" if i == 0 else (" ≠ " if not hedged else "; ")))
        conflict = len(groups) > 1 and self._conflicting(kind, facts)
        status = "conflict" if conflict else "fact"
        if conflict:
            notes = [Span(self.word("heading.conflict"))]
            self._inline_conflicts.add(kind)
        if not conflict and len(parts) > 1:
            for part in parts[1:]:
                part.sep = "; "
        return Line(lbl, parts, status, notes)

    def _group_key(self, fact: Fact) -> str:
        own = group_key(fact, self)
        if own is not None:
            return own
        return "|".join((normalise(fact.value), fact.attributes.get("prefix", ""),
                         fact.attributes.get("subsite", ""), fact.context))  # fmt: skip

    def _conflicting(self, kind: str, facts: list[Fact]) -> bool:
        """Whether these facts disagree. The reconcile stage alone decides (same
        prefix, same time point, not a refinement), so the summary never calls
        two values a conflict that case.json does not."""
        ids = {f.id for f in facts}
        return any(c.kind == kind and ids.intersection(c.fact_ids) for c in self.case.conflicts)

    # -- sections --------------------------------------------------------------------
    def build(self) -> Summary:
        case = self.case
        safety = self.safety()
        meta = self.meta()
        first = essentials(self)
        sections = [
            s
            for s in (
                self.section("essentials", first),
                self.diagnosis(),
                self.staging(),
                self.biomarkers(),
                self.treatment(),
                self.status(),
                self.section("background", background_lines(self)),
                self.section("patient_writes_section", patient_lines(self)),
                self.conflicts(),
                self.gaps(),
                self.attention(),
                self.timeline(),
            )
            if s is not None and s.lines
        ]
        reading = [*(safety.flags if safety else []), *(ln for s in sections for ln in s.lines)]
        sources = self._number(reading)
        disclaimer = kb.load("disclaimer")["disclaimer"]
        title = (
            f"{self.word('heading.title')} — {case.case_id}"
            if case.case_id
            else self.word("heading.title")
        )
        summary = Summary(
            lang=self.lang,
            title=title,
            subtitle=self.word("heading.subtitle"),
            case_id=case.case_id,
            meta=meta,
            safety=safety,
            sections=sections,
            sources=sources,
            disclaimer={
                "en": " ".join(disclaimer["en"].split()),
                "zh": "".join(disclaimer["zh"].split()),
            },
            disclaimer_heading=f"{label('heading.disclaimer', 'en')} · {label('heading.disclaimer', 'zh')}",
            sources_heading=self.word("heading.sources"),
            untranslated_note=self.word("heading.untranslated"),
            footer=f"{label('heading.footer', 'en')} · {label('heading.footer', 'zh')}",
            terminology_version=self.terms.version,
        )
        _redact(summary, self.redact)
        if self.zh:
            _full_width_separators(summary)
            _full_width_brackets(summary)
        return summary

    def section(self, key: str, lines: list[Line]) -> Section:
        return Section(key, self.word(f"heading.{key}"), lines)

    def safety(self) -> SafetyNotice | None:
        flags = self.case.safety_flags
        if not flags and not self.case.paused:
            return None
        texts = kb.load("disclaimer")["safety"]
        lines = []
        for flag in flags:
            lbl = self._flag_label(flag)
            parts = [Part(self._advice(flag), [])]
            parts[0].refs = self.ref(flag.evidence)
            lines.append(Line(lbl, parts, "note"))
        paused = None
        if self.case.paused:
            paused = {k: " ".join(str(v).split()) for k, v in texts["paused"].items()}
        # red: seek local care now; amber only: call the acute oncology helpline today
        key = "urgent" if any(f.level == "red" for f in flags) else "amber"
        urgent = {k: " ".join(str(v).split()) for k, v in texts[key].items()} if flags else {}
        if "zh" in urgent:
            urgent["zh"] = urgent["zh"].replace(" ", "")
        return SafetyNotice(urgent=urgent, paused=paused, flags=lines)

    def meta(self) -> list[Line]:
        case = self.case
        lines = [Line([Span(self.word("heading.case"))], [Part([Span(case.case_id or "—")])])]
        pseudonym = case.intake.get("pseudonym") if isinstance(case.intake, dict) else None
        if isinstance(pseudonym, str) and pseudonym.strip():
            lines.append(
                Line([Span(self.word("heading.patient"))], [Part([Span(pseudonym.strip())])])
            )
        programme = self.terms.by_key(f"programme.{case.programme}")
        prog = (programme.zh if self.zh else programme.en) if programme else case.programme
        lines.append(Line([Span(self.word("heading.programme"))], [Part([Span(prog)])]))
        if case.created:
            lines.append(
                Line([Span(self.word("heading.generated"))], [Part([Span(case.created[:10])])])
            )
        counted = [d for d in case.documents if d.duplicate_of is None]
        lines.append(
            Line([Span(self.word("heading.documents"))], [Part([Span(str(len(counted)))])])
        )
        return lines

    def diagnosis(self) -> Section:
        lines: list[Line] = []
        oncology = self.case.programme == "oncology"
        key_kinds = ONCOLOGY_DIAGNOSIS_KEY if oncology else ("diagnosis",)
        for kind in key_kinds:
            line = self.kind_line(kind, key_item=True)
            if kind == "cancer_type" and line is not None and line.status == "not_stated":
                named = cancer_type_from_histology(self)  # no TCGA study: the histology
                line = self.kind_line(kind, key_item=True, facts=named) if named else line
            if line:
                lines.append(line)
        sites = metastatic_line(self)
        if sites is not None:
            lines.append(sites)
        extra = DIAGNOSIS_EXTRA if oncology else ONCOLOGY_DIAGNOSIS_KEY + DIAGNOSIS_EXTRA[1:]
        for kind in extra:
            line = self.kind_line(kind, key_item=False)
            if line:
                lines.append(line)
        return self.section("diagnosis", lines)

    def staging(self) -> Section | None:
        oncology = self.case.programme == "oncology"
        tnm = [f for k in TNM_KINDS for f in self.visible(k)]
        if not oncology and not tnm and not self.visible("stage_group"):
            return None
        lines: list[Line] = []
        tnm = _fold_unprefixed(tnm)
        prefixes = sorted(
            {f.attributes.get("prefix", "") for f in tnm},
            key=lambda p: PREFIX_ORDER.index(p) if p in PREFIX_ORDER else len(PREFIX_ORDER),
        )
        for prefix in prefixes:
            lines.append(
                self._tnm_line(prefix, [f for f in tnm if f.attributes.get("prefix", "") == prefix])
            )
        if not tnm:
            lines.append(
                Line([Span(self.word("heading.tnm"))], [Part(self.not_stated())], "not_stated")
            )
        for kind, key_item in (("tnm_edition", bool(tnm)), ("stage_group", True)):
            line = self.kind_line(kind, key_item=key_item)
            if line:
                lines.append(line)
        negative = self.kind_line(
            "distant_staging",
            key_item=False,
            facts=[f for f in self.visible("distant_staging", ("asserted",))
                   if f.attributes.get("reported_by") != "patient"],
        )  # fmt: skip
        if negative is not None:
            lines.append(negative)
        return self.section("staging", lines)

    def _tnm_line(self, prefix: str, facts: list[Fact]) -> Line:
        key = PREFIX_KEYS.get(prefix, "stage_unprefixed")
        lbl = [Span(self.word(f"heading.{key}"))] if key in PREFIX_KEYS.values() else [Span(prefix)]
        parts: list[Part] = []
        conflict = False
        for kind in TNM_KINDS:
            groups: dict[str, list[Fact]] = {}
            for f in facts:
                if f.kind == kind:
                    groups.setdefault(normalise(f.value), []).append(f)
            kind_conflict = len(groups) > 1 and self._conflicting(
                kind, [f for group in groups.values() for f in group]
            )
            for i, group in enumerate(groups.values()):
                value = group[0].value.strip()
                shown = (
                    value if value.lower().startswith(prefix.lower()) and prefix else prefix + value
                )
                refs = sorted({n for f in group for n in self.fact_refs(f)})
                spans = [Span(shown)]
                note = self.note_for(group[0])
                if note:
                    spans += [Span(" ("), *note, Span(")")]
                parts.append(
                    Part(spans, refs, sep=(" ≠ " if kind_conflict else "; ") if i else " ")
                )
            if kind_conflict:
                conflict = True
                self._inline_conflicts.add(kind)
        if parts:
            parts[0].sep = ""
        note = [Span(self.word("heading.conflict"))] if conflict else []
        return Line(lbl, parts, "conflict" if conflict else "fact", note)

    def biomarkers(self) -> Section | None:
        lines = biomarker_lines(self)
        if not lines and self.case.programme != "oncology":
            return None
        if not lines:
            lines = [
                Line(
                    [Span(self.word("heading.biomarkers"))], [Part(self.not_stated())], "not_stated"
                )
            ]
        return self.section("biomarkers", lines)

    def treatment(self) -> Section:
        """One line per kind of treatment given, each course or procedure once with its
        status and dates (two procedures of different dates or sides are two items). The
        plan (everything planned and not given) opens the summary (render/essentials.py)."""
        lines: list[Line] = []
        for kind in TREATMENT_KINDS:
            facts = self.visible(kind)
            given = [f for f in facts if f.attributes.get("status") != "planned"]
            parts: list[Part] = []
            for group in _courses(given):
                parts.append(self.course_part(group, first=not parts))
            if parts:
                lines.append(Line(self.kind_label(kind), parts))
        if not lines:
            lines.insert(
                0,
                Line(
                    [Span(self.word("heading.treatment"))], [Part(self.not_stated())], "not_stated"
                ),
            )
        response = self.kind_line(
            "response", key_item=True, label_spans=[Span(self.word("heading.response"))]
        )
        if response is not None:
            lines.append(response)
        return self.section("treatment", lines)

    def status(self) -> Section:
        """Current medications, allergies, performance status, key labs, other conditions:
        one line each, items separated by semicolons."""
        lines = [
            *self.medication_lines(),
            self.allergy_line(),
            self.list_line("performance", "performance_status", key_item=True),
            self.list_line("labs", "lab", key_item=True),
            self.kind_line("serology", key_item=False),
            self.list_line("conditions", "comorbidity", key_item=False),
        ]
        return self.section("status", [ln for ln in lines if ln is not None])

    def group_part(self, group: list[Fact], fact: Fact, whens: list[str], *, first: bool) -> Part:
        """One value on a line: `fact` shown for its group of same-valued facts, citing the
        sources of them all, with its dates and its note."""
        refs = sorted({n for f in group for n in self.fact_refs(f)})
        spans = self.value(fact)
        if whens:
            spans = [*spans, Span(f" ({'; '.join(whens)})")]
        note = self.note_for(fact)
        if note:
            spans += [Span(" ("), *note, Span(")")]
        return Part(spans, refs, sep="" if first else "; ")

    def list_line(self, key: str, kind: str, *, key_item: bool) -> Line | None:
        label_spans = [Span(self.word(f"heading.{key}"))]
        facts = self.visible(kind)
        groups: dict[str, list[Fact]] = {}
        for f in facts:
            groups.setdefault(_item_key(f) + "|" + f.context, []).append(f)
        parts: list[Part] = []
        ordered = self._newest_first(list(groups.values()))
        several = _several_of_one(kind, ordered, self.case)
        for group in ordered:
            fact = max(group, key=lambda f: sum(1 for k in _MED_DETAIL if f.attributes.get(k)))
            part = self.group_part(group, fact, [], first=not parts)
            part.spans += self.date_note(group, current=id(group) in several)
            parts.append(part)
        if not parts:
            if not key_item:
                return None
            return Line(label_spans, [Part(self.not_stated())], "not_stated")
        return Line(label_spans, parts)

    # -- status and dates ------------------------------------------------------------
    def _date_of(self, group: list[Fact]) -> str:
        dates = [d for f in group if (d := own_date(self, f) or fact_date(self.case, f))]
        return max(dates) if dates else ""

    def _newest_first(self, groups: list[list[Fact]]) -> list[list[Fact]]:
        """Groups of one kind, the newest first (undated ones last, in reading order)."""
        if len(groups) < 2:
            return groups
        dated = sorted((g for g in groups if self._date_of(g)), key=self._date_of, reverse=True)
        return [*dated, *(g for g in groups if not self._date_of(g))]

    def _several_dates(self, groups: list[list[Fact]]) -> bool:
        return len({self._date_of(g) for g in groups if self._date_of(g)}) > 1

    def date_note(self, group: list[Fact], *, current: bool = False) -> list[Span]:
        """ " (2026-09-08)", " (2026-09-08; current)" or " (date not stated)"."""
        date = self._date_of(group)
        words = [date] if date else [self.word("heading.date_not_stated")]
        if current:
            words.append(self.word("heading.latest_value"))
        return [Span(f" ({'; '.join(words)})")]

    def course_status(self, group: list[Fact]) -> str:
        """The status of the newest statement that gives one; current only when the latest
        records confirm it."""
        said = [f for f in group if f.attributes.get("status")]
        if not said:
            return ""
        newest = max(said, key=lambda f: stated_on(self.case, f) or "")
        status = newest.attributes["status"]
        if status == "current" and not current_on_latest(self.case, newest, self.latest):
            when = stated_on(self.case, newest)
            if when:
                return self.word("heading.current_as_of", date=when)
        if status == "planned" and newest.attributes.get("intent") == "proposal":
            return self.word("heading.status_proposal")  # referred to discuss: not decided
        return self.word(f"heading.status_{status}")

    def course_when(self, group: list[Fact]) -> list[str]:
        """The course's own dates (start – end, a single date, the next cycle), else the
        date of the record stating it."""
        words: list[str] = []
        starts = _precise({f.attributes.get("start_date", "") for f in group})
        ends = _precise({f.attributes.get("end_date", "") for f in group})
        dates = _precise({f.attributes.get("date", "") for f in group})
        if starts and ends:
            words.append(f"{starts[0]} – {ends[-1]}")
        elif starts:
            words.append(self.word("heading.from_date", date=starts[0]))
        elif ends:
            words.append(self.word("heading.until_date", date=ends[-1]))
        if dates and not starts:
            words.append(", ".join(dates))
        nxt = sorted(
            {f.attributes["next_cycle_date"] for f in group if f.attributes.get("next_cycle_date")}
        )
        if nxt:
            words.append(self.word("heading.next_cycle", date=nxt[0]))
        nxt = sorted({f.attributes["next_date"] for f in group if f.attributes.get("next_date")})
        if nxt:
            words.append(self.word("heading.next_dose", date=nxt[0]))
        planned = any(f.attributes.get("status") == "planned" for f in group)
        if not words or planned:
            said = sorted(d for f in group if (d := stated_on(self.case, f)))
            words.append(
                self.word("heading.as_of", date=said[-1])
                if said
                else self.word("heading.date_not_stated")
            )
        return words

    def course_part(self, group: list[Fact], *, first: bool, status: bool = True) -> Part:
        """A treatment or medicine with its status and dates: "osimertinib (current; from
        2025-11-17)", "wide local excision, right (completed; 2026-03-03)"."""
        fact = max(group, key=lambda f: sum(1 for k in _MED_DETAIL if f.attributes.get(k)))
        refs = sorted({n for f in group for n in self.fact_refs(f)})
        spans = self.medicine(fact) if fact.kind == "medication" else self.value(fact)
        spans = [*spans, *planned_dose_spans(self, group), *dose_step_spans(self, group)]
        side = next((f.attributes["side"] for f in group if f.attributes.get("side")), "")
        if fact.kind == "radiotherapy":
            spans = [*spans, *radiotherapy_spans(self, group)]
            if side and any(side in f.attributes.get("site", "").lower().split() for f in group):
                side = ""  # "to the left breast" says its side
        if side:
            spans = [*spans, Span(", "), *self.text(side, "laterality")]
        said = self.course_status(group) if status else ""
        regimen = next((f.attributes["regimen"] for f in group if f.attributes.get("regimen")), "")
        course = self.word("heading.in_regimen", regimen=regimen) if regimen else ""
        words = [w for w in (course, said, *self.course_when(group)) if w]
        spans = [*spans, Span(f" ({'; '.join(words)})")]
        note = self.note_for(fact)
        if note:
            spans += [Span(" ("), *note, Span(")")]
        return Part(spans, refs, sep="" if first else "; ")

    def medicine(self, fact: Fact) -> list[Span]:
        """A medicine with its dose, route, frequency and schedule; in Chinese each piece
        through the table, so that a piece the table lacks never drops the others."""
        if not self.zh:
            return [Span(fact.display or fact.value)]
        a = fact.attributes
        spans: list[Span] = list(self.text(fact.value, "drug"))
        for piece, cats in (
            (a.get("dose", ""), ("dosing",)),
            (a.get("route", ""), ("dosing",)),
            (a.get("frequency", ""), ("dosing",)),
        ):
            if piece:
                said = self.text(piece, *cats)
                if said and not said[-1].untranslated:  # 每日最多四次，必要时
                    said[-1] = Span(_CJK_PRN.sub("，必要时", said[-1].text))
                spans += [Span(" "), *said]
        for qualifier in [q for q in a.get("schedule", "").split(", ") if q]:
            spans += [Span("，"), *self.schedule(qualifier)]
        return spans

    def schedule(self, qualifier: str) -> list[Span]:
        """One schedule qualifier in Chinese (terminology_zh.yaml schedule and weekday)."""
        days = [self.terms.lookup(d, ("weekday",)) for d in qualifier.split("/")]
        if all(days):  # "Mon/Wed/Fri", or one weekday of a weekly medicine ("Sun")
            return [Span("、".join(t.zh for t in days if t is not None))]
        for term in self.terms.in_category("schedule"):
            values = match_template(term.en, qualifier)
            if values is None:
                continue
            filled = {}
            for name, value in values.items():
                spans = self.text(value, "drug") if name == "drug" else [Span(value)]
                if any(s.untranslated for s in spans):
                    return self.text(qualifier, "schedule")
                filled[name] = "".join(s.text for s in spans)
            return [Span(term.zh.format(**filled))]
        return self.text(qualifier, "schedule", "dosing")

    def _med_groups(self, facts: list[Fact]) -> list[list[Fact]]:
        groups: dict[str, list[Fact]] = {}
        for f in facts:
            groups.setdefault(_item_key(f) + "|" + f.context, []).append(f)
        return list(groups.values())

    def medication_lines(self) -> list[Line]:
        """Current medications: only what is current on the latest record's date. Courses
        that ended, and medicines the latest records do not confirm, are earlier medications
        with their dates; planned ones are in the plan."""
        current: list[list[Fact]] = []
        earlier: list[list[Fact]] = []
        for group in self._med_groups(self.visible("medication")):
            said = [f for f in group if f.attributes.get("status")]
            newest = max(said, key=lambda f: stated_on(self.case, f) or "") if said else None
            status = newest.attributes["status"] if newest is not None else ""
            if status == "planned" and all(f.attributes.get("status") == "planned" for f in group):
                continue  # shown in the plan
            if newest is not None and current_on_latest(self.case, newest, self.latest):
                current.append(group)
            else:
                earlier.append(group)
        heading = (
            self.word("heading.medications_as_of", date=self.latest)
            if self.latest
            else self.word("heading.medications")
        )
        lines = []
        if current:
            parts = [self.course_part(g, first=i == 0, status=False) for i, g in enumerate(current)]
            lines.append(Line([Span(heading)], parts))
        else:
            lines.append(Line([Span(heading)], [Part(self.not_stated())], "not_stated"))
        if earlier:
            parts = [self.course_part(g, first=i == 0) for i, g in enumerate(earlier)]
            lines.append(Line([Span(self.word("heading.earlier_medications"))], parts))
        return lines

    def allergy_line(self) -> Line:
        line = self.list_line("allergies", "allergy", key_item=True)
        assert line is not None
        nkda = self.kind_line("no_known_allergies", key_item=False)
        if nkda is None:
            return line
        refs = sorted({n for p in nkda.parts for n in p.refs})
        part = Part(self.kind_label("no_known_allergies"), refs, sep="; ")
        if line.status == "not_stated":
            part.sep = ""
            return Line(line.label, [part])
        if all(
            f.attributes.get("type") == "intolerance"
            for f in self.visible("allergy", ("asserted",))
        ):  # an intolerance beside "no known drug allergies" is not a contradiction
            return Line(line.label, [*line.parts, part])
        return Line(
            line.label, [*line.parts, part], "conflict", [Span(self.word("heading.conflict"))]
        )

    def timeline(self) -> Section | None:
        """One compact line of clinical events, one item per date:
        date what[refs] · date what[refs] · ... Document dates (letters, reports) are left out,
        and so is anything dated on the patient's date of birth."""
        by_date: dict[str, tuple[str, list[list[Span]], list[int]]] = {}
        for event in sorted(self.case.timeline, key=lambda e: e.date):
            if event.kind in DOCUMENT_EVENTS or event.date[:10] in self.redact.birth_dates:
                continue
            date = _date(event.date, event.precision)
            shown = self._event(event)
            if not shown:
                continue
            _, items, refs = by_date.setdefault(date, (date, [], []))
            if shown not in items:
                items.append(shown)
            refs.extend(n for s in event.sources for n in self.ref(s))
        parts: list[Part] = []
        for date, items, refs in by_date.values():
            spans: list[Span] = [Span(f"{date} ")]
            for i, item in enumerate(_without_repeats(items)):
                spans += [Span("、" if self.zh else ", ")] if i else []
                spans += item
            parts.append(Part(spans, sorted(set(refs)), sep=" · " if parts else ""))
        return self.section("timeline", [Line([], parts)]) if parts else None

    def _event(self, event: TimelineEvent) -> list[Span]:
        """What happened, without the date the label repeats: "Treatment start: 17/08/2026;
        Systemic therapy regimen: R-GDP" -> "treatment start: R-GDP"."""
        values: list[str] = []
        for piece in (event.label or "").split(";"):
            head, _, tail = piece.partition(":")
            for text in (tail,) if tail.strip() else ():
                text = " ".join(text.split())
                if text and not _DATEISH.fullmatch(text) and text not in values:
                    values.append(text)
        term = self.terms.by_key(f"event.{event.kind}")
        if event.kind in ("treatment", "treatment_start", "treatment_end", "planned") and values:
            what = [] if event.kind == "treatment" else self._event_word(event, term)
            named = [
                s for v in values for s in (*self.text(v, "drug", "procedure", "event"), Span(", "))
            ]
            return [*what, *([Span("：" if self.zh else ": ")] if what else []), *named[:-1]]
        word = self._event_word(event, term)
        if values and event.kind not in ("diagnosis", "imaging", "biopsy", "admission",
                                         "discharge", "mdt"):  # fmt: skip
            named = [s for v in values for s in (*self.text(v, "event", "procedure"), Span(", "))]
            return [*word, Span("：" if self.zh else ": "), *named[:-1]]
        return word

    def _event_word(self, event: TimelineEvent, term: Any) -> list[Span]:
        if term is not None:
            return [Span(term.zh if self.zh else term.en)]
        return self.text(event.kind.replace("_", " "), "event")

    def conflicts(self) -> Section | None:
        """Conflicts not already shown on their own line (those carry "⚠ conflict")."""
        lines = []
        for conflict in self.case.conflicts:
            if conflict.kind in self._inline_conflicts:
                continue
            facts = [self.facts_by_id[i] for i in conflict.fact_ids if i in self.facts_by_id]
            parts: list[Part] = []
            values = conflict.values or sorted({f.value for f in facts})
            for i, value in enumerate(values):
                matching = [f for f in facts if f.value == value]
                refs = sorted({n for f in matching for n in self.fact_refs(f)})
                if matching:
                    spans = self.value(matching[0])
                else:
                    spans = self.text(value, *categories_for_kind(conflict.kind))
                parts.append(Part(spans, refs, sep="" if i == 0 else " ≠ "))
            note = (
                [Span(conflict.note)]
                if conflict.note and not self.zh
                else [Span(self.word("heading.conflict_note"))]
            )
            lines.append(Line(self.kind_label(conflict.kind), parts, "conflict", note))
        return self.section("conflicts", lines) if lines else None

    def gaps(self) -> Section | None:
        """One line per severity (essential, important), the gaps separated by semicolons;
        helpful ones are counted."""
        lines = []
        helpful = 0
        by_severity: dict[str, list[Part]] = {"essential": [], "important": []}
        for gap in self.case.gaps:
            parts = by_severity.get(gap.severity)
            if parts is None:
                helpful += 1
                continue
            refs = sorted({n for s in gap.evidence for n in self.ref(s)})
            parts.append(Part(self.gap_title(gap), refs, sep="; " if parts else ""))
        for severity, parts in by_severity.items():
            if parts:
                lines.append(Line([Span(self.word(f"severity.{severity}"))], parts, "note"))
        if helpful:
            lines.append(
                Line([], [Part([Span(self.word("heading.more_helpful", n=helpful))], sep="")])
            )
        return self.section("gaps", lines) if lines else None

    def gap_title(self, gap: Gap) -> list[Span]:
        """The gap's title; in Chinese the curated wording of its id (knowledge/
        terminology_zh.yaml gap_id), used only while the English title still reads as the
        entry was written for; otherwise English, marked."""
        if not self.zh:
            return [Span(gap.title)]
        base, _, detail = gap.id.partition(":")
        for term in self.terms.in_category("gap_id"):
            if term.key.split("~")[0] not in (gap.id, base):
                continue
            values = match_template(term.en, gap.title)
            if values is None:
                continue
            filled: dict[str, str] = {}
            for name, value in values.items():
                spans = self._placeholder(name, value, detail)
                if any(s.untranslated for s in spans):
                    return self.text(gap.title, "gap_id")
                filled[name] = "".join(s.text for s in spans)
            return [Span(_tight(term.zh.format(**filled)) if filled else term.zh)]
        return self.text(gap.title, "gap_id")

    def _placeholder(self, name: str, value: str, detail: str) -> list[Span]:
        day = _ISO_DAY.fullmatch(value.strip()) if name == "date" else None
        if day is not None:  # a date in Chinese text reads the Chinese way: 2026年9月10日
            y, m, d = day.groups()
            return [Span(f"{y}年{int(m)}月" + (f"{int(d)}日" if d else ""))]
        if name == "label" and detail in self.kinds:
            return self.kind_label(detail)
        if name == "treatments":  # "R-GDP, pembrolizumab, ...": each name through the table
            spans: list[Span] = []
            for i, treatment in enumerate(value.split(", ")):
                spans += [Span("、")] if i else []
                spans += (
                    [Span("……")]
                    if treatment == "..."
                    else self.terms.translate(treatment, ("drug", "procedure"))
                )
            return spans
        if name == "note":  # what the checklist adds (the latest one is too old...)
            for term in self.terms.in_category("gap_note"):
                values = match_template(term.en, value)
                if values is not None:
                    return [Span(term.zh.format(**values) if values else term.zh)]
            return [Span(value, untranslated=True)]
        return self.terms.translate(value, ("gap_term", "fact_kind", "procedure", "biomarker"))

    def gap_why(self, gap: Gap) -> list[Span]:
        """Why the gap's record matters; in Chinese the curated wording of its id
        (knowledge/terminology_zh.yaml gap_why, with gap_note for what the checklist adds),
        used only while the English still reads as the entry was written for; otherwise
        English, marked."""
        if not self.zh or not gap.why:
            return [Span(gap.why)] if gap.why else []
        base, _, detail = gap.id.partition(":")
        for term in self.terms.in_category("gap_why"):
            if term.key.split("~")[0] not in (gap.id, base):
                continue
            for english, chinese in (
                (term.en, term.zh),
                (f"{term.en} {{note}}", f"{term.zh}{{note}}"),
            ):
                values = match_template(english, gap.why)
                if values is None:
                    continue
                filled: dict[str, str] = {}
                for name, value in values.items():
                    spans = self._placeholder(name, value, detail)
                    if any(s.untranslated for s in spans):
                        return self.text(gap.why, "gap_why")
                    filled[name] = "".join(s.text for s in spans)
                return [Span(_tight(chinese.format(**filled)) if filled else chinese)]
        return self.text(gap.why, "gap_why")

    def gap_holder(self, gap: Gap) -> list[Span]:
        """Who usually holds the gap's record; in Chinese the curated wording
        (knowledge/terminology_zh.yaml gap_holder), else English, marked."""
        return self.text(gap.holder, "gap_holder") if gap.holder else []

    def _flag_label(self, flag: SafetyFlag) -> list[Span]:
        term = flag_term(
            "safety", flag.rule.split(".")[0], flag.category, flag.label or "", self.terms
        )
        if term is not None:
            return [Span(term.zh if self.zh else term.en)]
        return self.text(flag.label or flag.category, "safety", "diagnosis")

    def _advice(self, flag: SafetyFlag) -> list[Span]:
        """The flag's own advice. The general advice (call 999 / NHS 111, the case is paused)
        is said once by the notice above the flags, so it is not repeated per flag."""
        advice = " ".join((flag.advice or "").split())
        for key in ("general", "amber"):
            general = self.terms.by_key(f"safety_advice.{key}")
            if general is not None and normalise(advice).startswith(normalise(general.en)):
                advice = advice[len(general.en) :].strip()
        if not advice:
            return []
        if not self.zh:
            return [Span(advice)]
        term = flag_term(
            "safety_advice", flag.rule.split(".")[0], flag.category, advice, self.terms
        )
        if term is not None:
            return [Span(term.zh)]
        return [Span(advice, untranslated=True)]

    def attention(self) -> Section | None:
        lines = []
        for doc in self.case.attention:
            spans: list[Span] = []
            for reason in doc.problems or [doc.status]:
                spans += [Span("; ")] if spans else []
                spans += self.reason(reason)
            lines.append(Line([Span(doc.file_name)], [Part(spans, sep="")], "note"))
        return self.section("attention", lines) if lines else None

    def reason(self, text: str) -> list[Span]:
        """Why a document needs attention: English as the engine wrote it, or the curated
        Chinese of the same wording (knowledge/terminology_zh.yaml attention)."""
        if not self.zh:
            return [Span(text)]
        for term in self.terms.in_category("attention"):
            values = match_template(term.en, text)
            if values is not None:
                return [Span(term.zh.format(**values) if values else term.zh)]
        return self.text(text, "doc_type")


class Wording:
    """The summary's own wording of one case in `lang`, for other views of the case (the
    patient's pages): a value, a fact kind, a gap's title, a timeline event and free text
    read exactly as the summary reads them, through the same terminology table, with
    English the table does not cover marked untranslated. Never a second table."""

    def __init__(self, case: Case, lang: str) -> None:
        if lang not in LANGS:
            raise InputError(f"the language must be one of {', '.join(LANGS)}, not {lang!r}")
        self._builder = _Builder(case, lang)

    def value(self, fact: Fact) -> list[Span]:
        return self._builder.value(fact)

    def kind(self, kind: str) -> list[Span]:
        return self._builder.kind_label(kind)

    def gap_title(self, gap: Gap) -> list[Span]:
        return self._builder.gap_title(gap)

    def gap_why(self, gap: Gap) -> list[Span]:
        return self._builder.gap_why(gap)

    def gap_holder(self, gap: Gap) -> list[Span]:
        return self._builder.gap_holder(gap)

    def event(self, event: TimelineEvent) -> list[Span]:
        """What happened, without the date its label repeats ("treatment start: R-GDP")."""
        return self._builder._event(event)

    def text(self, english: str, *categories: str) -> list[Span]:
        return self._builder.text(english, *categories)

    def flag_label(self, flag: SafetyFlag) -> list[Span]:
        """A safety flag's name, as the summary's safety section names it."""
        return self._builder._flag_label(flag)

    def flag_advice(self, flag: SafetyFlag) -> list[Span]:
        """A safety flag's own advice (the general 999 / NHS 111 advice left out)."""
        return self._builder._advice(flag)

    def options_heading(self) -> str:
        """The heading of the options under discussion (conditional, not planned)."""
        return self._builder.word("heading.options")

    def options(self) -> list[tuple[list[Span], list[Fact]]]:
        """The options under discussion as the summary names them ("if HER2 amplified:
        trastuzumab, pertuzumab"), one per condition, each with the facts it names."""
        return [(part.spans, facts) for part, facts in option_parts(self._builder)]

    def not_a_finding(self, fact: Fact) -> bool:
        """Whether the summary shows the fact as something other than a finding: a result
        inside an "if …" clause or otherwise conditional ("If HER2 not amplified (ER
        positive …)"), a possible result where the records state one (pending or not), or
        a treatment a record discusses as an option (shown under its condition)."""
        b = self._builder
        if fact.context != "possible" or fact.attributes.get("reported_by") == "patient":
            return False
        if fact.kind in PLAN_KINDS:
            return in_condition(b, fact) or fact in option_facts(b, fact.kind)
        if fact.kind in BIOMARKER_KINDS:
            return bool(
                fact.attributes.get("hypothetical") or in_condition(b, fact) or b.visible(fact.kind)
            )
        return False


_ISO_DAY = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")
# a space the English template's placeholder left between two Chinese words ("做过的 骨扫描
# 检查"): Chinese puts none
_CJK_PRN = re.compile(r"(?<=[\u4e00-\u9fff])必要时$")
_CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff（），。：；、）]) +(?=[\u4e00-\u9fff（），。：；、])")


def _full_width_separators(summary: Summary) -> None:
    """Values of a Chinese line are parted by "；", not the English "; "."""
    lines = [*summary.meta, *(ln for s in summary.sections for ln in s.lines)]
    if summary.safety:
        lines += summary.safety.flags
    for line in lines:
        for part in line.parts:
            if part.sep == "; ":
                part.sep = "；"


_ASCII_BRACKETS = re.compile(r" \(([^()]*)\)")


def _zh_brackets(text: str) -> str:
    """ "奥希替尼 (当前; 2025-11-17起)" -> "奥希替尼（当前；2025-11-17起）". Only a bracket
    after a space: a code's own bracket (p.(Glu746_Ala750del), del(17p)) stays."""
    return _ASCII_BRACKETS.sub(
        lambda m: "（" + m.group(1).replace("; ", "；").replace(", ", "，") + "）", text
    )


def _full_width_brackets(summary: Summary) -> None:
    """A Chinese line's own brackets (status, dates, notes) are full-width, as its
    separators are: "(计划; 截至2026-09-08)" beside "；" reads as two typesettings. English
    kept as written ([EN]) keeps its marks."""
    lines = [*summary.meta, *(ln for s in summary.sections for ln in s.lines)]
    if summary.safety:
        lines += summary.safety.flags
    for line in lines:
        for part in line.parts:
            spans = part.spans
            opened = False
            for i, span in enumerate(spans):
                if span.untranslated:
                    continue
                text = _zh_brackets(span.text)
                if text == " (":
                    text, opened = "（", True
                elif opened and text.startswith(")"):
                    text, opened = "）" + text[1:], False
                if text != span.text:
                    spans[i] = Span(text)


def _tight(text: str) -> str:
    """Chinese text filled from a template, without spaces between Chinese words."""
    return _CJK_SPACE.sub("", text)


def document_event(event: TimelineEvent) -> bool:
    """An event that only says a document is dated (its letter or report date): the
    summary's timeline leaves it out, and so do other views of the timeline."""
    return event.kind in DOCUMENT_EVENTS


_NOT_IDENTIFIED = re.compile(
    r"(?i)\b(?:not identified|not seen)"
    r"(?:\s+in\s+(?:the|these|this|any)\s+(?:cores?|biops(?:y|ies)|samples?|specimens?|material|sections?))?"
)
_DATEISH = re.compile(
    r"(?i)(?:\d{1,4}(?:st|nd|rd|th)?|[/.\-]|\s|,|jan\w*|feb\w*|mar\w*|apr\w*|may|june?|"
    r"july?|aug\w*|sep\w*|oct\w*|nov\w*|dec\w*)+"
)


def _without_repeats(items: list[list[Span]]) -> list[list[Span]]:
    """Items whose words are all said by a longer item of the same date are dropped
    ("R-CHOP" beside "treatment end: R-CHOP")."""
    texts = ["".join(s.text for s in item).casefold() for item in items]
    return [
        item
        for i, item in enumerate(items)
        if not any(j != i and len(texts[j]) > len(texts[i]) and texts[i] in texts[j]
                   for j in range(len(items)))
    ]  # fmt: skip


def _fullest(group: list[Fact]) -> Fact:
    """The mention with the fullest wording, an asserted one first."""
    asserted = [f for f in group if f.context == "asserted"] or group
    return max(asserted, key=lambda f: (len(f.display or f.value), -group.index(f)))


def _fold_subsites(groups: list[list[Fact]]) -> list[list[Fact]]:
    """A primary site named only by its organ ("lung") joins the one subsite of that organ
    the records name ("upper lobe of lung"): the same site, said less precisely."""
    subsites: dict[tuple[str, str], list[list[Fact]]] = {}
    for group in groups:
        first = group[0]
        if first.kind == "primary_site" and first.attributes.get("subsite"):
            subsites.setdefault((normalise(first.value), first.context), []).append(group)
    if not subsites:
        return groups
    out: list[list[Fact]] = []
    for group in groups:
        first = group[0]
        home = subsites.get((normalise(first.value), first.context), [])
        if first.kind == "primary_site" and not first.attributes.get("subsite") and len(home) == 1:
            home[0].extend(group)
            continue
        out.append(group)
    return out


def _fold_unprefixed(tnm: list[Fact]) -> list[Fact]:
    """TNM read without a prefix, when every value is also given with one prefix (T2 N1
    beside cT2 cN1), joins that prefix's line instead of a line of its own."""
    bare = [f for f in tnm if not f.attributes.get("prefix", "")]
    if not bare:
        return tnm
    prefixed: dict[str, set[tuple[str, str]]] = {}
    for f in tnm:
        if f.attributes.get("prefix", ""):
            prefixed.setdefault(f.attributes["prefix"], set()).add((f.kind, normalise(f.value)))
    wanted = {(f.kind, normalise(f.value)) for f in bare}
    home = next((p for p, values in prefixed.items() if wanted <= values), None)
    if home is None:
        return tnm
    moved = [
        Fact(f.kind, f.value, f.source, f.context, f.display, {**f.attributes, "prefix": home},
             f.code, f.found_by, f.id, f.corrected_by, f.original_value)
        for f in bare
    ]  # fmt: skip
    return [f for f in tnm if f.attributes.get("prefix", "")] + moved


def _redact(summary: Summary, redact: Redactor) -> None:
    """Every text of the summary with the case's identifiers replaced by markers."""
    if not redact:
        return

    def spans(items: list[Span]) -> list[Span]:
        return [Span(redact(s.text), s.untranslated) for s in items]

    def line(ln: Line) -> None:
        ln.label = spans(ln.label)
        ln.note = spans(ln.note)
        for part in ln.parts:
            part.spans = spans(part.spans)

    summary.title = redact(summary.title)
    for ln in summary.meta:
        line(ln)
    if summary.safety is not None:
        for ln in summary.safety.flags:
            line(ln)
    for section in summary.sections:
        for ln in section.lines:
            line(ln)
    for item in summary.sources:
        item.where = redact(item.where)
        item.file = redact(item.file)
        item.snippet = redact(item.snippet)


def source_groups(summary: Summary) -> list[list[SourceItem]]:
    """The numbered sources, one list per document (they are numbered document by document)."""
    groups: list[list[SourceItem]] = []
    for item in summary.sources:
        if groups and groups[-1][0].file == item.file:
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups


def _window(
    text: str,
    start: int,
    end: int,
    pad: int = SNIPPET_PAD,
    keep_whole: list[tuple[int, int]] | None = None,
) -> str:
    """The verbatim text around [start, end), on its own line(s), whitespace collapsed; cut
    at whole words, with "…" where the line goes on, and never inside a `keep_whole` span
    (an identifier, which must be seen whole to be replaced by its marker)."""
    lo = max(0, start - pad)
    hi = min(len(text), end + pad)
    nl = text.rfind("\n", lo, start)
    if nl != -1:
        lo = nl + 1
    elif lo > 0:
        space = text.find(" ", lo, start)
        lo = space + 1 if space != -1 else lo
    nl = text.find("\n", end, hi)
    if nl != -1:
        hi = nl
    elif hi < len(text):
        space = text.rfind(" ", end, hi)
        hi = space if space != -1 else hi
    for a, b in keep_whole or ():
        if a < lo < b:
            lo = a
        if a < hi < b:
            hi = b
    head = "…" if lo > 0 and text[lo - 1] not in "\n" else ""
    tail = "…" if hi < len(text) and text[hi] not in "\n" else ""
    return head + " ".join(text[lo:hi].split()) + tail


def _clip(snippet: str, limit: int = 2 * QUOTE_PAD + 40) -> str:
    text = " ".join(snippet.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit] + "…"


def _when(fact: Fact) -> str:
    a = fact.attributes
    start = a.get("start_date") or a.get("date") or ""
    end = a.get("end_date") or ""
    if start and end:
        return f"{start} – {end}"
    return start or (f"– {end}" if end else "")


def _item_key(fact: Fact) -> str:
    """Same medicine at the same dose, however the frequency or route is worded, is one
    item ("amlodipine 5 mg once daily" = "amlodipine 5 mg orally once daily")."""
    if fact.kind == "medication":
        return f"{normalise(fact.value)}|{normalise(fact.attributes.get('dose', ''))}"
    # a drug of a regimen belongs to that course: bortezomib in VTD and in DVd are two items
    return normalise(fact.display or fact.value) + "|" + fact.attributes.get("regimen", "")


def _whens(group: list[Fact]) -> list[str]:
    """Each distinct date or date range of a treatment; a date that is the start or end of
    a range shown is not repeated."""
    found: list[str] = []
    for fact in group:
        when = _when(fact)
        if when and when not in found:
            found.append(when)
    ranges = [w for w in found if "–" in w]
    ends = {e.strip() for r in ranges for e in r.split("–")}
    return sorted(w for w in found if "–" in w or w not in ends)


def _precise(dates: set[str]) -> list[str]:
    """Distinct dates, in order, without one that a more precise date also says
    ("2025-11" beside "2025-11-17")."""
    found = {d for d in dates if d}
    return sorted(d for d in found if not any(o != d and o.startswith(d) for o in found))


def _compatible(a: str, b: str) -> bool:
    """Two values of a date or side that may be the same ("" is unknown; "2026" and
    "2026-03-03" may be one date, "2015" and "2026-03-03" never)."""
    return not a or not b or a.startswith(b) or b.startswith(a)


def _courses(facts: list[Fact]) -> list[list[Fact]]:
    """Mentions of one treatment gathered into courses. A procedure (surgery, radiotherapy,
    transplant) of another date or side is another event, and a drug given in two regimens
    (bortezomib in VTD, then in DVd) two courses, never merged; a mention without a date,
    side or regimen joins the one course it can belong to."""
    clusters: list[tuple[str, str, str, list[Fact]]] = []  # (date, side, regimen, facts)
    ordered = sorted(
        facts,
        key=lambda f: (
            not f.attributes.get("date"),
            not f.attributes.get("side"),
            not f.attributes.get("regimen"),
        ),
    )
    for fact in ordered:
        key = normalise(fact.value) + "|" + fact.context
        date = (
            (fact.attributes.get("date") or fact.attributes.get("start_date") or "")
            if fact.kind in DATED_ONCE
            else ""
        )
        side = fact.attributes.get("side", "")
        regimen = fact.attributes.get("regimen", "")
        fits = [
            i
            for i, (d, sd, rg, group) in enumerate(clusters)
            if normalise(group[0].value) + "|" + group[0].context == key
            and _compatible(d, date)
            and _compatible(sd, side)
            and _compatible(rg, regimen)
        ]
        if len(fits) > 1 and not regimen:
            # a drug named alone beside two courses of it: the course of its own status, and
            # one saying none the course current on the records ("while on bortezomib")
            status = fact.attributes.get("status") or "current"
            fits = [i for i in fits if clusters[i][3][0].attributes.get("status") == status]
        if len(fits) == 1:
            d, sd, rg, group = clusters[fits[0]]
            group.append(fact)
            clusters[fits[0]] = (d or date, sd or side, rg or regimen, group)
        else:
            clusters.append((date, side, regimen, [fact]))
    order = {id(f): i for i, f in enumerate(facts)}
    return sorted((g for _, _, _, g in clusters), key=lambda g: min(order[id(f)] for f in g))


def _several_of_one(kind: str, groups: list[list[Fact]], case: Case) -> set[int]:
    """For a list line (labs, performance status): the newest group of each analyte that
    has values of several dates, to be marked current."""
    by: dict[str, list[list[Fact]]] = {}
    for group in groups:
        key = group[0].attributes.get("analyte", "") if kind == "lab" else kind
        by.setdefault(key, []).append(group)
    marked: set[int] = set()
    for same in by.values():
        dates = {d for g in same for f in g if (d := fact_date(case, f))}
        if len(same) > 1 and len(dates) > 1:
            marked.add(id(same[0]))
    return marked


def _date(iso: str, precision: str) -> str:
    if precision == "year":
        return iso[:4]
    if precision == "month":
        return iso[:7]
    return iso[:10]


__all__ = [
    "LANGS",
    "Line",
    "Part",
    "SafetyNotice",
    "Section",
    "SourceItem",
    "Summary",
    "Wording",
    "build_summary",
    "document_event",
    "source_groups",
]
