"""Who wrote a document: a clinician, or the patient (or their family)?

A patient's own note ("my questions for the doctors", "Dad's treatment timeline", a
medication list "updated by" a daughter) holds the patient's account, not clinical findings.
It is recognised by weighted signs in knowledge/doc_types.yaml `authorship`: first-person
wording and questions, kinship words for the patient, a named lay author, and the absence of
clinical framing (a salutation to a doctor, a sign-off, a reporting clinician). A note is
patient-written when its patient score reaches `min_score` and beats its clinical score.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from casebridge.engine import kb
from casebridge.engine.classify.cues import tokens

PATIENT = "patient"

_FIRST_PERSON = frozenset({"i", "my", "me", "we", "our", "us"})
_SENTENCE_BREAK = re.compile(r"[.?!]|\n[ \t]*\n")
_QUESTION_REACH = 200  # characters before a "?" searched for the start of its question
_FIRST_PERSON_WORD = re.compile(r"\b(?:I|my|me|we|our|us|Dad|Mum|Mam|he|she)\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Phrases:
    weight: dict[str, tuple[str, float]]  # tokens joined by spaces -> (side, weight)
    by_first: dict[str, tuple[str, ...]]  # first token -> the phrases it starts


@dataclass(frozen=True)
class _Rules:
    phrases: _Phrases
    lay_verbs: tuple[str, ...]  # "written by", ...: a cheap test before the patterns
    lay_author: re.Pattern[str]
    lay_kin: re.Pattern[str]
    min_score: float
    lay_author_weight: float
    questions: int
    questions_weight: float
    share: float
    share_weight: float


@dataclass
class Authorship:
    author: str  # "patient" or "" (not recognised as the patient's own)
    patient_score: float
    clinical_score: float
    cues: list[str] = field(default_factory=list)


def _phrases(sides: dict[str, dict[str, Any] | None]) -> _Phrases:
    weight: dict[str, tuple[str, float]] = {}
    by_first: dict[str, list[str]] = {}
    for side, items in sides.items():
        for phrase, value in (items or {}).items():
            toks = [t for t in tokens(str(phrase)) if t != "\n"]
            if toks and isinstance(value, int | float) and not isinstance(value, bool):
                key = " ".join(toks)
                weight[key] = (side, float(value))
                by_first.setdefault(toks[0], []).append(key)
    return _Phrases(weight, {k: tuple(v) for k, v in by_first.items()})


def _alts(words: Any) -> str:
    items = sorted((str(w) for w in words or []), key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in items) or "(?!x)x"


def _lay_patterns(spec: dict[str, Any]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """ "Written by Carys (daughter)", "typed by my wife Abena", "Updated by Carys 12/09/2026":
    a kinship word, or a capitalised first name with no professional title or role."""
    verbs, kin = _alts(spec.get("verbs")), _alts(spec.get("kin"))
    titles, roles = _alts(spec.get("titles")), _alts(spec.get("roles"))
    author = re.compile(
        r"\b(?i:" + verbs + r")\s+(?i:by)\s+"
        r"(?:(?i:(?:my|his|her|their|our)\s+(?:" + kin + r"))\b"
        r"|(?!(?i:" + titles + r")\b)[A-Z][a-z]{2,}\b"
        r"(?![^\n.;]{0,30}?\b(?i:" + roles + r")\b))"
    )
    by_kin = re.compile(
        r"\b(?:" + verbs + r")\s+by\b[^\n.]{0,40}\((?:" + kin + r")\)", re.IGNORECASE
    )
    return author, by_kin


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    data = kb.load("doc_types")
    spec: dict[str, Any] = (data.get("authorship") if isinstance(data, dict) else None) or {}
    lay: dict[str, Any] = spec.get("lay_author") or {}
    author, by_kin = _lay_patterns(lay)
    return _Rules(
        lay_verbs=tuple(" ".join(str(v).lower().split()) + " by" for v in lay.get("verbs", [])),
        lay_author=author,
        lay_kin=by_kin,
        phrases=_phrases({"patient": spec.get("patient"), "clinical": spec.get("clinical")}),
        min_score=float(spec.get("min_score", 5)),
        lay_author_weight=float(spec.get("lay_author_weight", 5)),
        questions=int(spec.get("first_person_questions", 2)),
        questions_weight=float(spec.get("first_person_questions_weight", 3)),
        share=float(spec.get("first_person_share", 0.03)),
        share_weight=float(spec.get("first_person_weight", 2)),
    )


def _found(toks: list[str], counts: Counter[str], phrases: _Phrases) -> dict[str, dict[str, float]]:
    """side -> {phrase: weight} of the phrases the tokens hold, each counted once. A "\n"
    token between two words breaks a phrase."""
    found: dict[str, dict[str, float]] = {"patient": {}, "clinical": {}}
    joined = ""
    for first in counts.keys() & phrases.by_first.keys():
        for key in phrases.by_first[first]:
            if " " in key:
                joined = joined or " " + " ".join(toks) + " "
                if f" {key} " not in joined:
                    continue
            side, weight = phrases.weight[key]
            found[side][key] = weight
    return found


def _first_person_questions(text: str) -> int:
    """Questions (sentences ending in "?") that speak in the first person or of the
    patient as family do ("Should I...?", "Does that matter for Dad?")."""
    count = 0
    at = text.find("?")
    while at != -1:
        lo = max(0, at - _QUESTION_REACH)
        head = text[lo:at]
        breaks = [b.end() for b in _SENTENCE_BREAK.finditer(head)]
        question = head[breaks[-1] :] if breaks else head
        if _FIRST_PERSON_WORD.search(question):
            count += 1
        at = text.find("?", at + 1)
    return count


def authorship(
    text: str, toks: list[str] | None = None, words: int | None = None, max_chars: int = 20_000
) -> Authorship:
    """Whether `text` reads as written by the patient or their family (see the module
    docstring), with the scores and the cues found. `toks` (classify.cues.tokens) and
    `words` (its number of words) may be passed when the caller has them already."""
    rules = _rules()
    text = text[:max_chars]
    if toks is None:
        toks = tokens(text)
    if words is None:
        words = sum(1 for t in toks if t[0].isalpha())
    cues: list[str] = []
    counts = Counter(toks)
    found = _found(toks, counts, rules.phrases)
    patient, clinical = found["patient"], found["clinical"]
    p_score = sum(patient.values())
    cues.extend(f"patient:{k}" for k in patient)
    low = text.lower()
    lay = None
    if any(verb in low for verb in rules.lay_verbs):
        lay = rules.lay_author.search(text) or rules.lay_kin.search(text)
    if lay:
        p_score += rules.lay_author_weight
        cues.append(f"lay author:{' '.join(lay.group(0).split())}")
    asked = _first_person_questions(text)
    if asked >= rules.questions:
        p_score += rules.questions_weight
        cues.append(f"first-person questions:{asked}")
    if words:
        share = sum(counts[t] for t in _FIRST_PERSON) / words
        if share >= rules.share:
            p_score += rules.share_weight
            cues.append(f"first person:{share:.2f}")
    c_score = sum(clinical.values())
    cues.extend(f"clinical:{k}" for k in clinical)
    author = PATIENT if p_score >= rules.min_score and p_score > c_score else ""
    return Authorship(author, round(p_score, 2), round(c_score, 2), cues)
