"""The vocabulary of the clinical course: every treatment, response, comorbidity, lab and
cue term of knowledge/drugs.yaml, treatments.yaml and labs.yaml compiled once into two trie
regexes (case-insensitive, and exact case for short abbreviations such as EC, AC, ICE, PD),
and the scan that finds them on a page in one pass."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from casebridge.engine.extract.context import compile_terms, term_key
from casebridge.engine.kb import load

CLASS_KIND = {
    "chemotherapy": "drug",
    "targeted": "targeted_therapy",
    "immunotherapy": "immunotherapy",
    "hormone": "hormone_therapy",
    "cellular": "cellular_therapy",
}


TREATMENT_KINDS = frozenset(
    [*CLASS_KIND.values(), "regimen", "surgery", "radiotherapy", "transplant"]
)


# ------------------------------------------------------------------ lexicon
@dataclass(frozen=True)
class Term:
    cat: str  # treatment, response, comorbidity, lab, imaging, cue
    kind: str  # fact kind (or event name for cues)
    value: str
    cls: str = ""
    components: tuple[str, ...] = ()
    ambiguous: bool = False
    units: tuple[str, ...] = ()
    short_ok: bool = False


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str
    terms: tuple[Term, ...]

    def first(self, cat: str) -> Term | None:
        return next((t for t in self.terms if t.cat == cat), None)


@dataclass
class _Lexicon:
    loose: re.Pattern[str]
    exact: re.Pattern[str]
    loose_terms: dict[str, tuple[Term, ...]]
    exact_terms: dict[str, tuple[Term, ...]]


def _is_exact(alias: str) -> bool:
    """Short abbreviations keep their case: "EC", "ICE", "PD", "Mg" (not "mg"), "Cr"."""
    size = sum(c.isalnum() for c in alias)
    return size <= 3 or (not any(c.islower() for c in alias) and size <= 5)


def _build(pairs: Iterable[tuple[str, Term, bool]]) -> _Lexicon:
    loose: dict[str, list[Term]] = {}
    exact: dict[str, list[Term]] = {}
    loose_aliases: list[str] = []
    exact_aliases: list[str] = []
    for alias, term, force_exact in pairs:
        alias = str(alias).strip()
        if not alias:
            continue
        if force_exact or _is_exact(alias):
            key = _exact_key(alias)
            exact_aliases.append(alias)
            bucket = exact.setdefault(key, [])
        else:
            key = term_key(alias)
            loose_aliases.append(alias)
            bucket = loose.setdefault(key, [])
        if term not in bucket and not any(
            t.cat == term.cat and t.kind == term.kind and t.cat in ("imaging", "cue")
            for t in bucket
        ):
            bucket.append(term)
    return _Lexicon(
        compile_terms(loose_aliases),
        compile_terms(exact_aliases, ignore_case=False),
        {k: tuple(v) for k, v in loose.items()},
        {k: tuple(v) for k, v in exact.items()},
    )


def _exact_key(text: str) -> str:
    return re.sub(r"[\s\-/‐–]+", "", text)


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    drugs = load("drugs")
    tx = load("treatments")
    labs = load("labs")
    pairs: list[tuple[str, Term, bool]] = []
    for d in drugs["drugs"]:
        term = Term(
            "treatment",
            CLASS_KIND[d["class"]],
            d["name"],
            cls=d["class"],
            ambiguous=bool(d.get("ambiguous")),
        )
        pairs += [(a, term, bool(d.get("exact"))) for a in [d["name"], *d.get("aliases", [])]]
    for r in drugs["regimens"]:
        term = Term(
            "treatment",
            "regimen",
            r["name"],
            cls="regimen",
            components=tuple(r.get("components", [])),
            ambiguous=bool(r.get("ambiguous")),
        )
        pairs += [(a, term, bool(r.get("exact"))) for a in [r["name"], *r.get("aliases", [])]]
    for kind in ("surgery", "radiotherapy", "transplant"):
        for e in tx[kind]:
            term = Term("treatment", kind, e["name"], cls=kind)
            pairs += [(a, term, False) for a in [e["name"], *e.get("aliases", [])]]
    ambiguous = {term_key(a) for a in tx.get("response_ambiguous", [])}
    for e in tx["response"]:
        for a in [e["name"], *e.get("aliases", [])]:
            term = Term("response", "response", e["name"], ambiguous=term_key(a) in ambiguous)
            pairs.append((a, term, False))
    ambiguous = {term_key(a) for a in tx.get("comorbidity_ambiguous", [])}
    for e in tx["comorbidity"]:
        for a in [e["name"], *e.get("aliases", [])]:
            term = Term("comorbidity", "comorbidity", e["name"], ambiguous=term_key(a) in ambiguous)
            pairs.append((a, term, False))
    for a in tx["imaging"]:
        pairs.append((a, Term("imaging", "imaging", str(a)), False))
    for event, cues in tx["event_cues"].items():
        for a in cues:
            pairs.append((a, Term("cue", event, str(a)), False))
    for e in labs["labs"]:
        short_ok = {term_key(a) for a in e.get("short_ok", [])}
        for a in [e["name"], *e.get("aliases", [])]:
            ok = len(term_key(a)) > 2 or term_key(a) in short_ok
            term = Term("lab", "lab", e["name"], units=tuple(e.get("units", [])), short_ok=ok)
            pairs.append((a, term, False))
    return _build(pairs)


def treatment_mentions(text: str) -> list[Mention]:
    """Every drug, regimen, treatment, lab and cue of the knowledge base named in the
    text (the engine's one lexicon; the emergency screen reads anticancer drugs with it)."""
    return _scan(text)


def _scan(text: str) -> list[Mention]:
    lex = _lexicon()
    found: list[Mention] = []
    for m in lex.loose.finditer(text):
        terms = lex.loose_terms.get(term_key(m.group()))
        if terms:
            found.append(Mention(m.start(), m.end(), m.group(), terms))
    for m in lex.exact.finditer(text):
        end = m.end()
        if end + 1 < len(text) and text[end] in "-/" and text[end + 1].isalnum():
            continue  # "PD-L1", "EC-1": a different word that starts the same
        terms = lex.exact_terms.get(_exact_key(m.group()))
        if terms:
            found.append(Mention(m.start(), end, m.group(), terms))
    found.sort(key=lambda x: (x.start, -(x.end - x.start)))
    kept: list[Mention] = []
    last_end = -1
    for mention in found:
        if mention.start >= last_end:
            kept.append(mention)
            last_end = mention.end
        elif kept and (mention.start, mention.end) == (kept[-1].start, kept[-1].end):
            # the same words in both lexicons ("PET" exact and loose): keep every reading
            prev = kept[-1]
            extra = tuple(t for t in mention.terms if t not in prev.terms)
            kept[-1] = Mention(prev.start, prev.end, prev.text, prev.terms + extra)
    return kept
