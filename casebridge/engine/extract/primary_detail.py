"""The detail of the primary tumour's site (knowledge/primary_detail.yaml): the subsite a
report names within the primary's organ ("sigmoid colon", "upper lobe of lung"), and its
side, read only where the side is written with the primary's own organ.

A side belongs to the organ it is written with: "incidental 4 mm nodule in the right lower
lobe" is the lung's right, and in a sigmoid colon cancer report it is not the primary's
laterality (CAP protocols: laterality is an element of the primary tumour). Sentences that
call the organ normal ("Right breast normal") give no side either. A "Laterality:" field
always gives the primary's side. Of several candidate sides, one written in a sentence that
also names the primary's histology or site is preferred.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from casebridge.engine.case import Code, Document, Fact
from casebridge.engine.extract.context import alternation, context_of, sentence_bounds
from casebridge.engine.extract.spans import make_fact, pages
from casebridge.engine.extract.terms import compile_terms, key, normalise
from casebridge.engine.kb import load

if TYPE_CHECKING:
    from casebridge.engine.extract.tumour.mentions import Mention

ICDO3 = "urn:oid:2.16.840.1.113883.6.43.1"


@dataclass(frozen=True)
class Subsite:
    organ: str
    name: str
    icdo3: str


@dataclass(frozen=True)
class _Rules:
    subsites: re.Pattern[str]
    subsite_of: dict[str, tuple[Subsite, ...]]
    sided: re.Pattern[str]
    organ_of: dict[str, str]  # organ word key -> organ
    field: re.Pattern[str]
    normal: re.Pattern[str]


@lru_cache(maxsize=1)
def rules() -> _Rules:
    data: dict[str, Any] = load("primary_detail")
    subsite_of: dict[str, list[Subsite]] = {}
    terms: list[str] = []
    for item in data["subsites"]:
        sub = Subsite(str(item["organ"]), str(item["name"]), str(item.get("icdo3", "")))
        for term in item["terms"]:
            subsite_of.setdefault(key(str(term)), []).append(sub)
            terms.append(str(term))
    organ_of: dict[str, str] = {}
    words: list[str] = []
    for organ, organ_words in data["laterality_organs"].items():
        for w in organ_words:
            organ_of[key(str(w))] = str(organ)
            words.append(str(w))
    alternatives = alternation(words)
    return _Rules(
        subsites=compile_terms(terms),
        subsite_of={k: tuple(v) for k, v in subsite_of.items()},
        sided=re.compile(
            r"\b(left|right|bilateral|L|R)(?:[\s-]+sided)?\s+(?:(?:upper|lower|middle)\s+)?"
            r"(?:(?:outer|inner)\s+)?(" + alternatives + r")\b"
            r"|\b(" + alternatives + r")\s*,\s*(left|right)\b",
            re.IGNORECASE,
        ),
        organ_of=organ_of,
        field=re.compile(r"\blaterality\s*[:\-]\s*(left|right|bilateral|midline)\b", re.I),
        normal=re.compile(str(data["normal"]), re.IGNORECASE),
    )


def subsite(organ: str, mentions: list[Mention]) -> tuple[Subsite, Mention] | None:
    """The subsite of `organ` named by the strongest primary (not metastatic) mention of it."""
    r = rules()
    best: tuple[float, Subsite, Mention] | None = None
    for mention in mentions:
        if mention.entry.kind != "site" or mention.entry.name != organ:
            continue
        if mention.weight <= 0 or mention.role == "metastatic":
            continue
        text = mention.page.text
        if _landmark(text, mention.start, mention.end):
            continue
        words = text[mention.start : mention.end]
        for m in r.subsites.finditer(normalise(words)):
            for sub in r.subsite_of.get(key(m.group(0)), ()):
                if sub.organ == organ and (best is None or mention.weight > best[0]):
                    best = (mention.weight, sub, mention)
    return (best[1], best[2]) if best else None


def _landmark(text: str, start: int, end: int) -> bool:
    """A site named as a landmark, as normal or as absent ("6 cm from the caecum", "the
    sigmoid is normal", "no nipple discharge") is not where the primary is."""
    if re.search(r"\bfrom\s+(?:the\s+)?$", text[max(0, start - 12) : start], re.IGNORECASE):
        return True
    lo, hi = sentence_bounds(text, start, end)
    if rules().normal.search(text, lo, hi):
        return True
    return context_of(text, start, end) in ("negated", "family")


def refine_site(fact: Fact, organ: str, mentions: list[Mention]) -> None:
    """The primary_site fact shown as its subsite (attributes["subsite"], the display and the
    subsite's ICD-O-3 code); the value stays the organ, the key gaps, conflicts and FHIR
    read."""
    sub = _own_subsite(fact.attributes.get("as_written", ""), organ)
    if sub is None:
        found = subsite(organ, mentions)
        if found is None:
            return
        sub, _mention = found
    fact.attributes["subsite"] = sub.name
    fact.display = sub.name
    if sub.icdo3:
        fact.code = Code(ICDO3, sub.icdo3, sub.name)


def _own_subsite(words: str, organ: str) -> Subsite | None:
    """The subsite named in the primary's own words ("Adenocarcinoma of the ascending
    colon"): it wins over a stronger mention elsewhere, such as the site of a past
    polypectomy in the history ("Sigmoid colon polypectomy 2019")."""
    r = rules()
    for m in r.subsites.finditer(normalise(words)):
        for sub in r.subsite_of.get(key(m.group(0)), ()):
            if sub.organ == organ:
                return sub
    return None


def _side(raw: str) -> str:
    low = raw.lower()
    return {"l": "left", "r": "right"}.get(low, low)


def laterality(doc: Document, organ: str | None, mentions: list[Mention]) -> Fact | None:
    """The primary's side (see the module docstring), or None when no sentence of the
    primary's own organ gives one."""
    r = rules()
    primary_at = [
        (m.page.number, m.start)
        for m in mentions
        if m.weight > 0 and m.role != "metastatic" and m.entry.kind in ("site", "histology")
    ]
    fallback: Fact | None = None
    for page in pages(doc):
        text = page.text
        field = r.field.search(text)
        if field:
            return make_fact(
                doc, page, field, "laterality", field.group(1).lower(),
                found_by="primary_detail.laterality.field",
            )  # fmt: skip
        if organ is None:
            continue
        for m in r.sided.finditer(text):
            side_raw, word = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
            if side_raw in ("l", "r"):
                continue  # a lower-case l/r is not a side
            if r.organ_of.get(key(word)) != organ:
                continue
            lo, hi = sentence_bounds(text, m.start(), m.end())
            if r.normal.search(text, lo, hi):
                continue
            fact = make_fact(
                doc, page, m, "laterality", _side(side_raw),
                found_by="primary_detail.laterality",
            )  # fmt: skip
            if fact.context in ("negated", "family"):
                continue
            if any(n == page.number and lo <= s < hi for n, s in primary_at):
                return fact
            fallback = fallback or fact
    return fallback
