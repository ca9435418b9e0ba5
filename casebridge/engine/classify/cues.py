"""The weighted cues of knowledge/doc_types.yaml, compiled once for fast matching.

Text and cue phrases are cut into the same tokens (runs of letters, runs of digits,
single punctuation marks, line breaks), so a phrase matches on word boundaries and
"x-ray", "H&E" or "病理报告" need no special handling. Cues are indexed by their first
token: one pass over a document's tokens finds every phrase it contains, which
keeps a document of a few pages well under a millisecond.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from casebridge.engine import kb
from casebridge.engine.case import DOC_TYPES

WHERE = ("title", "heading", "any", "pattern")
MEDICAL = "_medical"  # pseudo-type under which the medical vocabulary is indexed

TOKEN = re.compile(r"[a-zµ]+|[0-9]+|\n|[^\sa-zµ0-9]")


def tokens(text: str) -> list[str]:
    """Lower-cased tokens; line breaks are kept as "\\n" tokens."""
    return TOKEN.findall(text.lower())


@dataclass(frozen=True)
class Cue:
    doc_type: str  # a DOC_TYPES name, or MEDICAL for the medical vocabulary
    where: str  # title, heading, any, pattern
    phrase: str  # the phrase as written (lower-cased), or the regular expression
    weight: float
    regex: re.Pattern[str] | None = None  # only for `pattern` cues


@dataclass(frozen=True)
class Medical:
    strong_weight: float
    suffixes: tuple[str, ...]
    not_medical: frozenset[str]
    min_score: float
    min_score_short: float
    short_words: int


@dataclass(frozen=True)
class Rules:
    index: dict[str, list[tuple[str, ...]]]  # first token -> phrases (as tokens) it starts
    cues_of: dict[tuple[str, ...], tuple[Cue, ...]]
    patterns: tuple[Cue, ...]
    title_tokens: int
    strong_score: float
    medical: Medical


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"E004: doc_types.yaml: weight {value!r} under {where} is not a number")
    return float(value)


def _phrase_cues(data: dict[str, Any]) -> tuple[list[Cue], list[Cue]]:
    phrases: list[Cue] = []
    patterns: list[Cue] = []
    for doc_type, sections in (data.get("types") or {}).items():
        if doc_type not in DOC_TYPES:
            raise ValueError(f"E004: doc_types.yaml names unknown type {doc_type!r}")
        for where, entries in (sections or {}).items():
            if where not in WHERE:
                raise ValueError(f"E004: doc_types.yaml: {doc_type} has unknown section {where!r}")
            for key, value in (entries or {}).items():
                if not isinstance(key, str) or not key.strip():
                    raise ValueError(f"E004: doc_types.yaml: {doc_type}.{where} key {key!r}")
                weight = _number(value, f"{doc_type}.{where}.{key}")
                if weight <= 0:
                    continue
                if where == "pattern":
                    patterns.append(Cue(doc_type, where, key, weight, re.compile(key)))
                else:
                    phrases.append(Cue(doc_type, where, " ".join(key.lower().split()), weight))
    med = data.get("medical") or {}
    strong = {str(t).lower() for t in med.get("strong_terms", [])}
    weak = {str(t).lower() for t in med.get("weak_terms", [])} - strong
    for terms, weight in ((strong, med.get("strong", 2)), (weak, med.get("weak", 1))):
        for term in sorted(terms):
            number = _number(weight, f"medical.{term}")
            phrases.append(Cue(MEDICAL, "any", term, number))
            if term.isascii() and term.isalpha() and not term.endswith("s"):
                # the plural counts as the same term (the phrase names it)
                phrases.append(Cue(MEDICAL, "plural", term, number))
    return phrases, patterns


def compile_rules(data: dict[str, Any]) -> Rules:
    """Build the matcher from the YAML mapping (kept apart from loading, for tests)."""
    phrases, patterns = _phrase_cues(data)
    grouped: dict[tuple[str, ...], list[Cue]] = {}
    for cue in phrases:
        key = tuple(t for t in tokens(cue.phrase) if t != "\n")
        if cue.where == "plural" and len(key) == 1:
            key = (key[0] + "s",)
        if key:
            grouped.setdefault(key, []).append(cue)
    index: dict[str, list[tuple[str, ...]]] = {}
    for key in grouped:
        index.setdefault(key[0], []).append(key)
    med = data.get("medical") or {}
    return Rules(
        index=index,
        cues_of={key: tuple(cues) for key, cues in grouped.items()},
        patterns=tuple(patterns),
        title_tokens=int(data.get("title_tokens", 60)),
        strong_score=float(data.get("strong_score", 10.0)),
        medical=Medical(
            strong_weight=float(med.get("strong", 2)),
            suffixes=tuple(str(x).lower() for x in med.get("suffixes", [])),
            not_medical=frozenset(str(x).lower() for x in med.get("not_medical", [])),
            min_score=float(med.get("min_score", 3)),
            min_score_short=float(med.get("min_score_short", 2)),
            short_words=int(med.get("short_words", 40)),
        ),
    )


@lru_cache(maxsize=1)
def rules() -> Rules:
    data = kb.load("doc_types")
    if not isinstance(data, dict):
        raise ValueError("E004: doc_types.yaml is not a mapping")
    return compile_rules(data)
