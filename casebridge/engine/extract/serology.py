"""Viral serology read as clinicians read it (knowledge/serology.yaml).

"Hepatitis B core antibody positive, surface antigen negative" is one hepatitis B panel: past
(resolved) or occult exposure, not hepatitis B. Each marker's result is read where it is
written (after the marker, "HBsAg: not detected", or before it, "negative for HBsAg"; two
markers joined by "and" or "/" share the result after the second); the results of one virus
written together (no blank line between, within `_PANEL_GAP` characters) make one panel, and
the panel gives one `serology` fact whose value is the first reading of the data file whose
markers all have the stated results, else only the results themselves. Nothing is read into a
marker the record does not give. `supersede` drops the comorbidity the course extractor reads
from the same words ("hepatitis B" in "hepatitis B core antibody positive").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from casebridge.engine.case import Document, Fact
from casebridge.engine.extract.context import alternation, compile_terms, term_key
from casebridge.engine.extract.spans import make_fact, pages
from casebridge.engine.kb import load

_PANEL_GAP = 160  # characters between two results of one panel
_AFTER = 30  # characters after a marker searched for its result
_CONTEXT_BEFORE = 160  # characters before a bare marker searched for its virus
_NAMED_BEFORE = 40  # a condition named this close before a panel is the panel's heading


@dataclass(frozen=True)
class Reading:
    when: tuple[tuple[str, str], ...]
    absent: tuple[str, ...]
    reading: str


@dataclass(frozen=True)
class Virus:
    code: str
    label: str
    markers: dict[str, str]  # term key -> marker
    order: tuple[str, ...]  # markers in the data file's order
    bare: frozenset[str]
    context: re.Pattern[str] | None
    readings: tuple[Reading, ...]
    supersedes: frozenset[str]


@dataclass(frozen=True)
class _Rules:
    pattern: re.Pattern[str]
    by_term: dict[str, Virus]
    result_after: re.Pattern[str]
    result_before: re.Pattern[str]
    polarity: dict[str, str]
    viruses: tuple[Virus, ...]


@dataclass
class Result:
    virus: Virus
    marker: str
    result: str  # positive / negative
    words: str  # the result as written
    start: int
    end: int


@lru_cache(maxsize=1)
def rules() -> _Rules:
    data: dict[str, Any] = load("serology")
    polarity: dict[str, str] = {}
    for sign, words in data["results"].items():
        for w in words:
            polarity[" ".join(str(w).lower().split())] = str(sign)
    words_re = alternation(polarity)
    viruses: list[Virus] = []
    by_term: dict[str, Virus] = {}
    terms: list[str] = []
    for code, item in data["viruses"].items():
        markers: dict[str, str] = {}
        for marker, marker_terms in item["markers"].items():
            for term in marker_terms:
                markers[term_key(str(term))] = str(marker)
                terms.append(str(term))
        context = "|".join(str(c) for c in item.get("context") or [])
        readings = tuple(
            Reading(
                tuple((str(k), str(v)) for k, v in r["when"].items()),
                tuple(str(a) for a in r.get("absent") or []),
                str(r["reading"]),
            )
            for r in item["readings"]
        )
        virus = Virus(
            code=str(code),
            label=str(item["label"]),
            markers=markers,
            order=tuple(str(m) for m in item["markers"]),
            bare=frozenset(term_key(str(b)) for b in item.get("bare") or []),
            context=re.compile(context, re.IGNORECASE) if context else None,
            readings=readings,
            supersedes=frozenset(str(s).lower() for s in item.get("supersedes") or []),
        )
        viruses.append(virus)
        for k in markers:
            by_term.setdefault(k, virus)
    return _Rules(
        pattern=compile_terms(terms),
        by_term=by_term,
        result_after=re.compile(
            r"(?:\s*\([^()\n]{0,12}\))?[\s:=,\-]*(?:(?:test|screen|assay|result)\s+)?"
            r"(?:(?:is|was|were|are)\s+)?(?:(?:both|also|all)\s+)?(" + words_re + r")(?![\w+])",
            re.IGNORECASE,
        ),
        result_before=re.compile(r"(" + words_re + r")\s+(?:for|to)\s+$", re.IGNORECASE),
        polarity=polarity,
        viruses=tuple(viruses),
    )


def _sign(r: _Rules, words: str) -> str:
    return r.polarity.get(" ".join(words.lower().split()), "")


def _results(text: str) -> list[Result]:
    r = rules()
    found: list[tuple[Virus, str, int, int]] = []
    for m in r.pattern.finditer(text):
        k = term_key(m.group(0))
        virus = r.by_term.get(k)
        if virus is None:
            continue
        if k in virus.bare and not (
            virus.context
            and virus.context.search(text, max(0, m.start() - _CONTEXT_BEFORE), m.start())
        ):
            continue
        found.append((virus, virus.markers[k], m.start(), m.end()))
    results: list[Result] = []
    pending: list[tuple[Virus, str, int, int]] = []  # markers waiting for a shared result
    for virus, marker, start, end in found:
        after = r.result_after.match(text, end, min(len(text), end + _AFTER))
        before = r.result_before.search(text, max(0, start - 25), start)
        if after:
            words, stop = after.group(1), after.end()
        elif before:
            words, stop = before.group(1), end
        else:
            joined = re.match(r"\s*(?:,|and|/|&)\s*", text[end : end + 8])
            pending = [*pending, (virus, marker, start, end)] if joined else []
            continue
        sign = _sign(r, words)
        for v, mk, s, _e in pending:
            if v is virus:
                results.append(Result(v, mk, sign, words, s, stop))
        pending = []
        results.append(
            Result(virus, marker, sign, words, start if not before else before.start(), stop)
        )
    return results


def _panels(text: str, results: list[Result]) -> list[list[Result]]:
    panels: list[list[Result]] = []
    for res in sorted(results, key=lambda x: x.start):
        for panel in reversed(panels):
            if panel[0].virus is not res.virus:
                continue
            gap = text[panel[-1].end : res.start]
            if res.start - panel[-1].end <= _PANEL_GAP and not re.search(r"\n\s*\n", gap):
                panel.append(res)
                break
            break
        else:
            panels.append([res])
    return panels


def _reading(panel: list[Result]) -> tuple[str, dict[str, str]]:
    virus = panel[0].virus
    stated: dict[str, str] = {}
    for res in panel:
        stated.setdefault(res.marker, res.result)
    for reading in virus.readings:
        if all(stated.get(m) == v for m, v in reading.when) and not any(
            a in stated for a in reading.absent
        ):
            return reading.reading, stated
    shown = "; ".join(f"{m} {stated[m]}" for m in virus.order if m in stated)
    return f"{virus.label} serology: {shown}", stated


def extract(doc: Document) -> list[Fact]:
    facts: list[Fact] = []
    for page in pages(doc):
        text = page.text
        for panel in _panels(text, _results(text)):
            virus = panel[0].virus
            value, stated = _reading(panel)
            attributes = {"virus": virus.code}
            for marker in virus.order:
                if marker in stated:
                    attributes[marker] = stated[marker]
            results = "; ".join(f"{m} {stated[m]}" for m in virus.order if m in stated)
            attributes["results"] = results
            fact = make_fact(
                doc,
                page,
                (panel[0].start, panel[-1].end),
                "serology",
                value,
                found_by=f"serology.{virus.code.lower()}",
                context="asserted",
                display=value,
                attributes=attributes,
            )
            facts.append(fact)
    return facts


def supersede(facts: list[Fact]) -> list[Fact]:
    """The facts without the comorbidities a serology panel's own words gave ("hepatitis
    B" read from "hepatitis B core antibody positive", or from its heading "Hepatitis B
    serology: core antibody positive")."""
    panels = [
        f
        for f in facts
        if f.kind == "serology" and f.source is not None and f.attributes.get("virus")
    ]
    if not panels:
        return facts
    by_code = {v.code: v for v in rules().viruses}
    kept: list[Fact] = []
    for fact in facts:
        src = fact.source
        if fact.kind == "comorbidity" and src is not None:
            value = fact.value.strip().lower()
            if any(
                p.source is not None
                and p.source.document_id == src.document_id
                and p.source.page == src.page
                and src.start < p.source.end
                and p.source.start <= src.end + _NAMED_BEFORE
                and value in by_code[p.attributes["virus"]].supersedes
                for p in panels
            ):
                continue
        kept.append(fact)
    return kept
