"""The site, histology and clue lexicon (knowledge/cancer_types.yaml, histology.yaml) and
the mentions of its terms in a document, each weighted by its report section and synoptic
field, and discounted when negated, a relative's, or a metastasis' site.

Separate because both the cancer-type vote and the primary-site detail (primary_detail.py)
read these mentions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from casebridge.engine.case import Document, Page
from casebridge.engine.extract.spans import pages
from casebridge.engine.extract.terms import Corrector, compile_terms, key, normalise
from casebridge.engine.kb import load


@dataclass(frozen=True)
class Entry:
    kind: str  # site, histology, clue
    name: str
    icdo3: str
    votes: tuple[tuple[str, float], ...]


@dataclass
class Mention:
    entry: Entry
    page: Page
    start: int
    end: int
    weight: float
    role: str = ""  # sites: "primary" (stated as the primary), "metastatic" (a metastasis)


@dataclass(frozen=True)
class Lexicon:
    pattern: re.Pattern[str]
    entries: dict[str, tuple[Entry, ...]]
    abbreviations: frozenset[str]  # keys listed only as capitalised short forms ("RUL", "IDC")
    sections: re.Pattern[str]
    section_weight: dict[str, float]
    fields: re.Pattern[str]
    field_weight: float
    studies: dict[str, str]
    corrector: Corrector


def _is_short_form(term: str) -> bool:
    letters = [c for c in term if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    types: dict[str, Any] = load("cancer_types")
    hist: dict[str, Any] = load("histology")
    entries: dict[str, list[Entry]] = {}
    terms: list[str] = []
    short: set[str] = set()
    words: set[str] = set()

    def add(kind: str, item: dict[str, Any]) -> None:
        votes = tuple((str(c), float(w)) for c, w in (item.get("codes") or {}).items())
        entry = Entry(kind, str(item["name"]), str(item.get("icdo3", "")), votes)
        for term in item["terms"]:
            k = key(str(term))
            bucket = entries.setdefault(k, [])
            if not any(e.kind == kind and e.name == entry.name for e in bucket):
                bucket.append(entry)
            terms.append(str(term))
            (short if _is_short_form(str(term)) else words).add(k)

    for item in hist["types"]:
        add("histology", item)
    for item in types["sites"]:
        add("site", item)
    for item in types["clues"]:
        add("clue", item)
    # A histology term that names its organ ("breast carcinoma", "adenocarcinoma of the
    # lung") is also a mention of that site.
    for k, bucket in list(entries.items()):
        if not any(e.kind == "histology" for e in bucket) or any(e.kind == "site" for e in bucket):
            continue
        parts = k.split()
        for n in range(min(4, len(parts)), 0, -1):
            grams = (" ".join(parts[i : i + n]) for i in range(len(parts) - n + 1))
            site = next(
                (
                    e
                    for g in grams
                    for e in entries.get(g, ())
                    if e.kind == "site" and g not in short
                ),
                None,
            )
            if site is not None:
                bucket.append(site)
                break

    section_weight: dict[str, float] = {}
    for group in types["sections"]:
        for term in group["terms"]:
            section_weight.setdefault(key(str(term)), float(group["weight"]))
    heading = compile_terms(section_weight)
    # A heading starts a line or sentence and is followed by ':' or '.' or a line break
    # (a short parenthesis may come between: "DIAGNOSIS (based on gross examination):").
    sections = re.compile(
        r"(?:^|(?<=[\n.:;]))[ \t\-*#>\d)(.]*(" + heading.pattern + r")[ \t]*"
        r"(?:\([^()\n]{0,60}\)[ \t]*)?(?:[:.\n]|$)",
        re.MULTILINE,
    )
    field_terms = [str(t) for t in types["fields"]["terms"]]
    fields = re.compile(
        r"(?:" + compile_terms(field_terms).pattern + r")[^:\n]{0,25}:[ \t]*$", re.MULTILINE
    )
    return Lexicon(
        pattern=compile_terms(terms),
        entries={k: tuple(v) for k, v in entries.items()},
        abbreviations=frozenset(short - words),
        sections=sections,
        section_weight=section_weight,
        fields=fields,
        field_weight=float(types["fields"]["weight"]),
        studies={str(k): str(v) for k, v in types["studies"].items()},
        corrector=Corrector(
            terms + list(section_weight) + field_terms + [str(w) for w in hist["known_words"]]
        ),
    )


# These cues are read in the original text (case-insensitively), not in the OCR-folded one.

_NEG_BEFORE = re.compile(
    r"\b(?:no|not|negative for|free of|without|absence of|absent|rule out|r/o|"
    r"ruled out|history of|h/o|previous|prior)\b",
    re.IGNORECASE,
)


_NEG_AFTER = re.compile(
    r"[^.;\n]{0,60}?(?:negative for|no (?:evidence of )?(?:residual )?(?:tumou?r|carcinoma|"
    r"malignancy|neoplasm|metasta)|free of|uninvolved|unremarkable|benign|"
    r"without (?:tumou?r|carcinoma|malignancy)|not involved|no pathologic)",
    re.IGNORECASE,
)


# A relative's illness: "mother had breast cancer", "FH: sister, ovarian cancer".
_FAMILY = re.compile(
    r"\b(?:mother|father|sister|brother|aunt|uncle|grandmother|grandfather|grandparent|cousin|"
    r"niece|nephew|sibling|relative|family\s+history|fh|fhx|maternal|paternal)s?\b",
    re.IGNORECASE,
)


# A site named as where the cancer spread, not where it began (ICD-O-3 topography codes the
# primary site only): "liver metastases", "bone mets", "secondary deposits in the liver",
# "metastatic to liver", "metastatic adenocarcinoma in the liver", "spread to the bones".
_METASTATIC_AFTER = re.compile(
    r"[ \t]*(?:\([^()\n]{0,20}\)[ \t]*)?[\-,]?[ \t]*(?:(?:and|or|/)\s+\w+\s+)?"
    r"(?:metasta\w*|mets\b|secondar(?:y|ies)\b|deposits?\b|lesions?\s+(?:suspicious\s+for|"
    r"consistent\s+with|in\s+keeping\s+with|compatible\s+with)\s+metasta)",
    re.IGNORECASE,
)


_METASTATIC_BEFORE = re.compile(
    r"(?:metasta\w*|mets|spread|secondar(?:y|ies)|deposits?)\b[^.;:\n]{0,60}?\b"
    r"(?:to|in|into|involving|within|at|throughout)\s+(?:the\s+|both\s+)?"
    r"(?:(?:left|right|bilateral|multiple|several)\s+)?$",
    re.IGNORECASE,
)


_METASTATIC_WORD = re.compile(r"\bmetasta\w*\s+(?:\w+\s+){0,3}$", re.IGNORECASE)


# Stated as the primary: "consistent with a lung primary", "of pulmonary origin".
_PRIMARY_AFTER = re.compile(r"[ \t]*(?:primary|origin)\b", re.IGNORECASE)


# A histology attached to the site that follows it: "adenocarcinoma of the uterine cervix".
_OF_SITE = re.compile(
    r"[ \t]*(?:\([^()\n]{0,40}\)[ \t]*)?,?[ \t]*(?:of|in|arising\s+(?:in|from)|involving|from)"
    r"\s+(?:the\s+)?",
    re.IGNORECASE,
)


_NEGATIVE_STAIN = re.compile(
    r"[\s:(),\-]{0,4}(?:is\s+|was\s+|are\s+)?(?:negative|neg\b|not\s+expressed|-ve\b|-(?=[\s,;.)]))",
    re.IGNORECASE,
)


_WINDOW = 70


_PAIR_BEFORE = 120  # characters before a histology searched for its specimen site


def _section_weights(lex: Lexicon, norm: str) -> list[tuple[int, float]]:
    marks: list[tuple[int, float]] = [(0, 1.0)]
    for m in lex.sections.finditer(norm):
        weight = lex.section_weight.get(key(m.group(1)))
        if weight is not None:
            marks.append((m.start(1), weight))
    return marks


def _weight_at(marks: list[tuple[int, float]], pos: int) -> float:
    weight = marks[0][1]
    for start, w in marks:
        if start > pos:
            break
        weight = w
    return weight


def _clause_before(text: str, start: int, reach: int = 40) -> str:
    """The text of the same clause (no '.', ';' or line break) up to `reach` characters
    before `start`."""
    tail = text[max(0, start - reach) : start]
    cut = max(tail.rfind("."), tail.rfind(";"), tail.rfind("\n"))
    return tail[cut + 1 :] if cut != -1 else tail


def _negated_before(text: str, start: int) -> bool:
    """A negation cue in the same clause, within 40 characters before a mention."""
    tail = _clause_before(text, start)
    return bool(tail.strip()) and _NEG_BEFORE.search(tail) is not None


def _abbreviation(written: str) -> bool:
    return written.isalpha() and written.isupper() and "I" not in written[1:]


def _site_role(text: str, start: int, end: int) -> str:
    after = text[end : end + 60]
    if _PRIMARY_AFTER.match(after):
        return "primary"
    if _METASTATIC_AFTER.match(after):
        return "metastatic"
    if _METASTATIC_BEFORE.search(_clause_before(text, start, 80)):
        return "metastatic"
    return ""


def find_mentions(doc: Document) -> list[Mention]:
    lex = lexicon()
    mentions: list[Mention] = []
    for page in pages(doc):
        text = page.text
        norm = lex.corrector.correct(normalise(text))
        marks = _section_weights(lex, norm)
        found_here: list[Mention] = []
        for m in lex.pattern.finditer(norm):
            k = key(m.group(0))
            found = lex.entries.get(k)
            if not found:
                continue
            start, end = m.span()
            if k in lex.abbreviations and not _abbreviation(text[start:end]):
                continue  # short forms count only as written, in capitals
            weight = _weight_at(marks, start)
            if lex.fields.search(norm, max(0, start - 45), start):
                weight *= lex.field_weight
            if _FAMILY.search(_clause_before(text, start, 60)):
                weight = 0.0  # a relative's cancer says nothing about the patient's
            for entry in found:
                w = weight
                role = ""
                if entry.kind == "site":
                    role = _site_role(text, start, end)
                    if role == "metastatic":
                        w = 0.0
                    elif _NEG_AFTER.match(text, end, min(len(text), end + _WINDOW)):
                        w *= 0.3
                elif _negated_before(text, start):
                    w *= 0.1
                elif entry.kind == "clue" and _NEGATIVE_STAIN.match(text, end, end + 30):
                    w *= 0.1  # "TTF-1: negative", "p40 not expressed"
                found_here.append(Mention(entry, page, start, end, w, role))
        _pair(text, found_here)
        mentions.extend(found_here)
    return mentions


def _pair(text: str, mentions: list[Mention]) -> None:
    """Pathology reports name the specimen site and then its diagnosis ("Lung, right upper
    lobe, lobectomy: adenocarcinoma") or the diagnosis and then its site ("adenocarcinoma of
    the uterine cervix"). The site paired with a stated histology gains that histology's
    weight; when the histology is a metastasis, its specimen site is a metastatic site."""
    sites = [m for m in mentions if m.entry.kind == "site"]
    if not sites:
        return
    for hist in mentions:
        if hist.entry.kind != "histology" or hist.weight < 0.5:
            continue
        metastatic = bool(_METASTATIC_WORD.search(_clause_before(text, hist.start, 40)))
        after = _OF_SITE.match(text, hist.end, min(len(text), hist.end + 60))
        if after:
            nxt = next((s for s in sites if s.start >= after.end()), None)
            if nxt is not None and nxt.start - after.end() <= 25 and nxt.role != "metastatic":
                if metastatic and not _PRIMARY_AFTER.match(text, nxt.end):
                    nxt.role, nxt.weight = "metastatic", 0.0
                else:
                    nxt.weight += hist.weight
                continue
        before = [s for s in sites if hist.start - _PAIR_BEFORE <= s.end <= hist.start]
        if not before:
            continue
        between = [
            m
            for m in mentions
            if m.entry.kind == "histology" and before[-1].end <= m.start < hist.start
        ]
        if between:
            continue
        for site in before:
            if metastatic:
                if site.role != "primary":
                    site.role, site.weight = "metastatic", 0.0
            elif site.role != "metastatic" and site is before[-1]:
                site.weight += hist.weight
