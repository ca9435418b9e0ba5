"""The case's facts as the patient reads them: rows and lines from the engine's
JSON (cached per reading), where the records disagree, and a page of them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.urls import reverse

from casebridge.engine.case import NOT_STATED, Fact, Source
from casebridge.engine.case import Case as EngineCase
from casebridge.engine.render.summary import Wording
from casebridge.engine.terminology import Span
from casebridge.engine.terminology import label as term_label
from casebridge.engine.timeline import TREATMENT_EVENTS
from casebridge.web.cases.lib import EngineView
from casebridge.web.portal.facts import group_fact_rows
from casebridge.web.portal.lib.timeline import date_words
from casebridge.web.portal.lib.wording import CONTEXT_TEXT, kind_label

# facts about a relative, not the patient: listed apart, never among the patient's own
FAMILY_KINDS = frozenset({"family_history"})


def is_family(kind: str, context: str) -> bool:
    return context == "family" or kind in FAMILY_KINDS


def only_dates_a_document(fact: Fact) -> bool:
    """A "dated event" that only says when a letter or report was written: noise on
    the patient's pages (the summary's timeline leaves these out too)."""
    return fact.kind == "event_date" and fact.attributes.get("event") in ("letter", "report")


@dataclass
class FactRow:
    id: str
    kind: str
    label: str
    value: str
    context: str
    context_text: Any
    source: Source | None
    corrected: bool


def fact_rows(engine: EngineCase) -> list[FactRow]:
    """Facts stated by the records (or added by a person), in the engine's order."""
    rows: list[FactRow] = []
    for fact in engine.facts:
        if fact.value == NOT_STATED or only_dates_a_document(fact):
            continue
        rows.append(
            FactRow(
                id=fact.id,
                kind=fact.kind,
                label=kind_label(fact.kind),
                value=fact.display or fact.value,
                context=fact.context,
                context_text=CONTEXT_TEXT.get(fact.context, ""),
                source=fact.source,
                corrected=fact.corrected_by is not None,
            )
        )
    return rows


def cached_fact_rows(view: EngineView) -> list[FactRow]:
    """fact_rows of a read-only EngineView, computed once per version of the case."""
    return view.derived("portal.fact_rows", fact_rows)


# -- the facts, grouped, with their links built once -----------------------------------

FACTS_PER_PAGE = 100  # groups per page of the full list of facts


@dataclass(frozen=True)
class SourceLink:
    url: str
    file_name: str
    page: int


@dataclass
class DisagreeingValue:
    spans: list[Span]  # the value in the page's language (untranslated English marked)
    sources: list[SourceLink]


@dataclass
class Disagreement:
    """The engine's conflict (engine.conflicts) between the records on one fact kind:
    each value with the places that say it."""

    kind: str
    label: str
    values: list[DisagreeingValue]


@dataclass
class FactLine:
    """One row of the facts table: a kind's value with every place it was read."""

    kind: str
    label: str
    value: str
    context_text: Any
    corrected: bool
    by_person: bool
    first_of_kind: bool
    sources: list[SourceLink]
    spans: list[Span] = field(default_factory=list)  # the value in the page's language
    context: str = "asserted"
    family: bool = False  # about a relative: listed apart ("In your family")
    disagreement: Disagreement | None = None  # the records disagree on this value

    @property
    def count(self) -> int:
        return len(self.sources)

    @property
    def first(self) -> SourceLink | None:
        return self.sources[0] if self.sources else None


def fact_lines(view: EngineView, pseudonym: str, lang: str) -> list[FactLine]:
    """The facts grouped by kind and value (facts.group_fact_rows), each
    source's link built from one reverse() per case rather than one per row;
    computed once per reading of the case and language. In Chinese each value
    reads as the summary reads it (the engine's Wording, its terminology table),
    English it does not cover marked. The patient's own facts come first, their
    family's after them (`family`); a value the records disagree on carries the
    engine's conflict (`disagreement`)."""

    def compute(engine: EngineCase) -> list[FactLine]:
        marker = "0FACT0"
        pattern = reverse("portal:fact_source", args=[pseudonym, marker])
        head, _sep, tail = pattern.partition(marker)

        def link(fact_id: str, source: Source) -> SourceLink:
            return SourceLink(f"{head}{fact_id}{tail}", source.file_name, source.page)

        words = Wording(engine, "zh" if lang == "zh" else "en")
        facts = {f.id: f for f in engine.facts}
        conflicts = disagreements(engine, words, link)
        own: list[FactLine] = []
        family: list[FactLine] = []
        quotes: list[str] = []
        for group in group_fact_rows(cached_fact_rows(view)):
            of_group = [facts[i] for i in group.ids if i in facts]
            if of_group and all(words.not_a_finding(f) for f in of_group):
                continue  # a condition's value or an option: listed under its condition
            fact = next((facts[i] for i in group.ids if i in facts), None)
            spans = [Span(group.value)]
            context = fact.context if fact is not None else "asserted"
            context_text = group.context_text
            if fact is not None and fact.kind == "patient_statement":
                quoted = patient_words(fact, lang)
                said = quoted[-1].text.strip("\u201c\u201d…") if quoted else ""
                if not said or any(_same_passage(said, q) for q in quotes):
                    continue  # a fragment of the note with no kind, or a passage already shown
                quotes.append(said)
                spans = quoted
                # what the patient asks ("If HER2 is negative: …") is not a possible finding
                if context == "possible":
                    context, context_text = "asserted", ""
            elif fact is not None and fact.kind == "event_date":
                spans = [Span(dated_event_words(fact, lang))]
            elif lang == "zh" and fact is not None and group.kind != "cancer_type":
                spans = words.value(fact)
            disagreement = next((d for ids, d in conflicts if ids.intersection(group.ids)), None)
            line = FactLine(
                kind=group.kind,
                label=group.label,
                value=group.value,
                context_text=context_text,
                corrected=group.corrected,
                by_person=group.by_person,
                first_of_kind=group.first_of_kind,
                sources=[link(row.id, row.source) for row in group.rows],
                spans=spans,
                context=context,
                family=is_family(group.kind, fact.context if fact is not None else ""),
                disagreement=disagreement,
            )
            (family if line.family else own).append(line)
        return _first_of_kind([*own, *_option_lines(words, link), *family])

    return view.derived(f"portal.fact_lines.{pseudonym}.{lang}", compute)


def _same_passage(a: str, b: str) -> bool:
    """Two quotations of one passage of the note (each fact quotes its sentence, the
    longer ones cut with "…"): the shorter one's opening words are in the other."""
    short, long_ = sorted((a, b), key=len)
    return short[:40] in long_


def patient_words(fact: Fact, lang: str) -> list[Span]:
    """A passage of the patient's own note, quoted as written after "the patient writes:"
    ("患者写道：“…”"; Latin-script words marked untranslated on a Chinese page); none for
    a fragment with no kind of its own (the note's date, a value without its sentence)."""
    quote = " ".join(str(fact.attributes.get("quote", "")).split())
    about = str(fact.attributes.get("about", ""))
    if not quote or not about or about == "event_date":
        return []
    code = "zh" if lang == "zh" else "en"
    head = term_label("heading.patient_writes_quote", code)
    latin = code == "zh" and bool(re.search(r"[A-Za-z]", quote))
    return [Span(head), Span(f"\u201c{quote}\u201d", untranslated=latin)]


def _option_lines(words: Wording, link: Any) -> list[FactLine]:
    """The options a record discusses under a condition, as the summary names them
    ("if HER2 amplified: trastuzumab, pertuzumab"): never a finding or a treatment."""
    heading = words.options_heading()
    lines = []
    for spans, option in words.options():
        places: dict[tuple[str, int], SourceLink] = {}
        for f in option:
            if f.source is not None:
                places.setdefault((f.source.document_id, f.source.page), link(f.id, f.source))
        lines.append(
            FactLine(
                kind="options",
                label=heading,
                value="".join(s.text for s in spans),
                context_text="",
                corrected=False,
                by_person=False,
                first_of_kind=False,
                sources=list(places.values()),
                spans=spans,
            )
        )
    return lines


def dated_event_words(fact: Fact, lang: str) -> str:
    """A dated event as the timeline says it: "MDT meeting: 10 Sep 2026" /
    "MDT 讨论：2026年9月10日" (the event's name from the terminology table)."""
    attrs = fact.attributes
    event = attrs.get("event") or "event"
    code = "zh" if lang == "zh" else "en"
    what = term_label(f"event.{event}", code)
    if what == f"event.{event}":
        what = event.replace("_", " ")
    what = what[:1].upper() + what[1:] if code == "en" else what
    if attrs.get("status") == "planned" and event not in ("letter", "report"):
        # still to come, as the timeline marks it: "booked" (or "planned", a treatment)
        mark = "planned" if event in TREATMENT_EVENTS else "booked"
        marked = term_label(f"event.{mark}", code)
        what = f"{what}（{marked}）" if code == "zh" else f"{what} ({marked})"
    iso = attrs.get("date") or fact.value
    when = date_words(iso, attrs.get("precision") or "day", code)
    return f"{what}：{when}" if code == "zh" else f"{what}: {when}"


def _first_of_kind(lines: list[FactLine]) -> list[FactLine]:
    """The lines with `first_of_kind` set on the first of each run of one kind (the
    patient's own and their family's are separate runs)."""
    return [
        FactLine(
            **{
                **line.__dict__,
                "first_of_kind": before is None
                or (before.kind, before.family) != (line.kind, line.family),
            }
        )
        for before, line in zip([None, *lines], lines, strict=False)
    ]


def disagreements(
    engine: EngineCase, words: Wording, link: Any
) -> list[tuple[set[str], Disagreement]]:
    """The engine's conflicts (engine.conflicts, as the summary shows them), each
    with the ids of its facts: every value, worded as the summary words it, with
    each place (document page) that says it, once."""
    facts = {f.id: f for f in engine.facts}
    found: list[tuple[set[str], Disagreement]] = []
    for conflict in engine.conflicts:
        involved = [facts[i] for i in conflict.fact_ids if i in facts]
        values: list[DisagreeingValue] = []
        for value in conflict.values or sorted({f.value for f in involved}):
            matching = [f for f in involved if f.value == value]
            spans = words.value(matching[0]) if matching else words.text(value)
            places: list[SourceLink] = []
            seen: set[tuple[str, int]] = set()
            for fact in matching:
                if fact.source is None or (fact.source.document_id, fact.source.page) in seen:
                    continue
                seen.add((fact.source.document_id, fact.source.page))
                places.append(link(fact.id, fact.source))
            values.append(DisagreeingValue(spans, places))
        if len(values) > 1:
            label = "".join(s.text for s in words.kind(conflict.kind))
            found.append((set(conflict.fact_ids), Disagreement(conflict.kind, label, values)))
    return found


def fact_page(lines: list[FactLine], number: Any) -> Page:
    """One page of the full list of facts (FACTS_PER_PAGE rows)."""
    return Paginator(lines, FACTS_PER_PAGE).get_page(number)


# -- the overview's records ----------------------------------------------------------------


def find_fact(engine: EngineCase, fact_id: str) -> Fact | None:
    return next((f for f in engine.facts if f.id == fact_id), None)
