"""Haematolymphoid diagnoses: lymphomas, myeloma and leukaemias named as WHO-HAEM5 writes
them (knowledge/haematolymphoid.yaml), each a `histology` fact with its ICD-O-3 morphology.

A lymphoma or leukaemia letter names no organ, so the organ-and-type vote of
tumour/cancer_type.py finds no study for it ("follicular lymphoma" is no TCGA study) and would
leave the letter without a cancer diagnosis. This module reads the entity itself: one fact per
entity per document, from its first mention in the clinical context that matters most (asserted
before historical before possible; a negated or a relative's mention is not the patient's
diagnosis). The lymphoma another one came from ("transformed from follicular lymphoma") is
historical. Entities that are also TCGA studies (diffuse large B-cell lymphoma, acute myeloid
leukaemia) are left to tumour/cancer_type.py, which names the study too. A follicular
lymphoma's grade, as written after its name ("grade 1-2", "grade 3A"), is kept with it and as
its own `grade` fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from casebridge.engine.case import Code, Document, Fact
from casebridge.engine.extract.context import context_of
from casebridge.engine.extract.spans import make_fact, pages
from casebridge.engine.extract.terms import compile_terms, key, normalise
from casebridge.engine.kb import load

ICDO3 = "urn:oid:2.16.840.1.113883.6.43.1"
_RANK = {"asserted": 0, "historical": 1, "possible": 2}  # negated, family: not emitted


@dataclass(frozen=True)
class Entity:
    name: str
    icdo3: str
    lineage: str
    grades: bool
    malignant: bool


@dataclass(frozen=True)
class _Lexicon:
    pattern: re.Pattern[str]
    entities: dict[str, Entity]  # term key -> entity
    short: frozenset[str]  # keys written only in capitals ("CLL", "MZL")
    transformed: re.Pattern[str]
    fl_grade: re.Pattern[str]


def _short(term: str) -> bool:
    letters = [c for c in term if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


@lru_cache(maxsize=1)
def lexicon() -> _Lexicon:
    data: dict[str, Any] = load("haematolymphoid")
    entities: dict[str, Entity] = {}
    short: set[str] = set()
    words: set[str] = set()
    terms: list[str] = []
    for item in data["entities"]:
        if item.get("tcga"):
            continue  # named by tumour/cancer_type.py together with its study
        entity = Entity(
            name=str(item["name"]),
            icdo3=str(item.get("icdo3", "")),
            lineage=str(item.get("lineage", "")),
            grades=bool(item.get("grades", False)),
            malignant=bool(item.get("malignant", True)),
        )
        for term in item["terms"]:
            k = key(str(term))
            entities.setdefault(k, entity)
            terms.append(str(term))
            (short if _short(str(term)) else words).add(k)
    before = "|".join(re.escape(str(t)) for t in data["transformed_from"])
    return _Lexicon(
        pattern=compile_terms(terms),
        entities=entities,
        short=frozenset(short - words),
        transformed=re.compile(r"(?:" + before + r")\s+(?:an?\s+|the\s+|previous\s+)?$", re.I),
        fl_grade=re.compile(str(data["fl_grade"])),
    )


def _fl_grade(raw: str) -> str:
    grade = re.sub(r"\s+", "", raw).replace("–", "-").replace("/", "-").upper()
    roman = {"III": "3", "II": "2", "I": "1"}
    for numeral, digit in roman.items():
        if grade.startswith(numeral):
            grade = digit + grade[len(numeral) :]
            break
    return grade


def extract(doc: Document) -> list[Fact]:
    lex = lexicon()
    best: dict[str, tuple[int, Fact, Fact | None]] = {}
    for page in pages(doc):
        text = page.text
        for m in lex.pattern.finditer(normalise(text)):
            k = key(m.group(0))
            entity = lex.entities.get(k)
            if entity is None:
                continue
            start, end = m.span()
            if k in lex.short and not text[start:end].replace("/", "").isupper():
                continue  # short forms count only as written, in capitals
            context = context_of(text, start, end)
            if context in ("asserted", "possible") and lex.transformed.search(
                text[max(0, start - 40) : start]
            ):
                context = "historical"
            rank = _RANK.get(context)
            if rank is None:
                continue
            attributes = {"as_written": " ".join(text[start:end].split())}
            if entity.lineage:
                attributes["lineage"] = entity.lineage
            if not entity.malignant:
                attributes["behaviour"] = "uncertain (precursor)"
            display = entity.name
            grade_fact: Fact | None = None
            g = lex.fl_grade.match(text, end, min(len(text), end + 40)) if entity.grades else None
            if g:
                grade = _fl_grade(g.group(1))
                attributes["grade"] = grade
                display = f"{entity.name}, grade {grade}"
                grade_fact = make_fact(
                    doc,
                    page,
                    g.span(1),
                    "grade",
                    f"grade {grade}",
                    found_by="haem.grade.follicular",
                    context=context,
                    display=f"follicular lymphoma grade {grade}",
                    attributes={"system": "WHO follicular lymphoma grade"},
                )
            fact = make_fact(
                doc,
                page,
                (start, end),
                "histology",
                entity.name,
                found_by="haem.histology.term",
                context=context,
                display=display,
                attributes=attributes,
            )
            if entity.icdo3:
                fact.code = Code(ICDO3, entity.icdo3, entity.name)
            held = best.get(entity.name)
            if held is None or rank < held[0]:
                best[entity.name] = (rank, fact, grade_fact)
    facts: list[Fact] = []
    for _rank, fact, grade_fact in best.values():
        facts.append(fact)
        if grade_fact is not None:
            facts.append(grade_fact)
    return facts
