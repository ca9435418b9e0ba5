"""The tumour's histologic grade in the grading system the report uses (Nottingham, WHO CNS,
Gleason/ISUP grade group, Fuhrman/WHO-ISUP, FIGO), and the words that make a "grade" something
else (an adverse-event grade, a block or slide number).

Separate because it is the largest of the CAP elements, with its own patterns per system.
"""

from __future__ import annotations

import re

from casebridge.engine.case import Document, Fact, Page
from casebridge.engine.extract.context import context_of
from casebridge.engine.extract.spans import make_fact
from casebridge.engine.extract.terms import key, normalise
from casebridge.engine.extract.tumour.mentions import lexicon

# Element names and value sets follow the CAP cancer protocols (Tumor Size, Histologic Grade,
# Margins, Regional Lymph Nodes, Lymphovascular Invasion) and the grading systems they cite:
# Nottingham (Elston-Ellis), WHO CNS, Gleason/ISUP grade group, Fuhrman/WHO-ISUP, FIGO.

_GRADE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "gleason",
        re.compile(
            r"\bgleason(?:'?s)?\s*(?:score|grade|sum|pattern)?\s*(?:is|of|[:=])?\s*"
            r"(\d)\s*\+\s*(\d)(?:\s*=\s*(\d{1,2}))?",
            re.IGNORECASE,
        ),
    ),
    (
        "grade group",
        re.compile(r"\b(?:isup\s+)?grade\s+group\s*[:=]?\s*([1-5])\b", re.IGNORECASE),
    ),
    (
        "nottingham",
        re.compile(
            r"\b(?:nottingham|elston(?:[- ]ellis)?|modified\s+bloom[- ]richardson|"
            r"(?:scarff[- ])?bloom[- ]richardson|sbr)"
            r"(?:\s+(?:combined|histologic|histological))?\s*(?:grade|score)?\s*[:=]?\s*"
            r"(?:grade\s*)?([1-3]|i{1,3})\b(?!\s*\+)(?:\s*\(?(?:of|/)\s*3\)?)?",
            re.IGNORECASE,
        ),
    ),
    (
        "fuhrman",
        re.compile(
            r"\bfuhrman(?:'?s)?\s*(?:nuclear\s*)?(?:grade)?\s*[:=]?\s*(?:grade\s*)?"
            r"([1-4]|iv|i{1,3})\b",
            re.IGNORECASE,
        ),
    ),
    (
        "who/isup",
        re.compile(
            r"\b(?:who/isup|isup)\s*(?:nucleolar\s*)?grade\s*[:=]?\s*([1-4]|iv|i{1,3})\b",
            re.IGNORECASE,
        ),
    ),
    (
        "who",
        re.compile(r"\bwho\s+grade\s*[:=]?\s*(iv|i{1,3}|[1-4])\b", re.IGNORECASE),
    ),
    (
        "figo",
        re.compile(r"\bfigo\s+(?:grade\s*)?([1-3]|i{1,3})\b", re.IGNORECASE),
    ),
    (
        "differentiation",
        re.compile(
            r"\b(well|moderately|poorly)[\s\-]+(?:to\s+(?:well|moderately|poorly)[\s\-]+)?"
            r"differentiated\b|\b(undifferentiated)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "histologic grade",
        re.compile(
            r"\b(?:histologic(?:al)?|nuclear|tumou?r|overall|combined)\s+grade\s*"
            r"(?:is\s+)?[:=]?\s*(?:grade\s*)?(g?[1-4]|iv|i{1,3}|high|low|intermediate)\b",
            re.IGNORECASE,
        ),
    ),
    (
        # "grade 2", "Grade II", "grade: 3", "grade 2 of 3" as letters and reports write it.
        "grade",
        re.compile(
            r"(?<![\w\-/])grade\s*(?:is\s+)?[:=]?\s*([1-4]|IV|I{1,3}|iv|i{1,3})(?![\w+.,\-–]\d)"
            r"(?!\w)(?:\s*(?:/|of|out\s+of)\s*(?:3|4|III|IV)\b)?",
            re.IGNORECASE,
        ),
    ),
    (
        # AJCC histologic grade codes: G1-G4, GX ("G2, pT3 N0").
        "g code",
        re.compile(r"(?<![\w/\-])G([1-4X])(?![\w+\-/])"),
    ),
    (
        "high/low grade",
        re.compile(
            r"\b(high|low|intermediate)[\s\-]+grade\b(?![\s\-]+(?:dysplasia|intraepithelial|"
            r"pin\b|prostatic\s+intraepithelial|squamous\s+intraepithelial|sil\b|hsil\b|lsil\b|"
            r"cin\b|dcis\b|ductal\s+carcinoma\s+in\s+situ|in\s+situ|glandular\s+dysplasia|"
            r"adenoma|tubular|urothelial\s+dysplasia|uptake|fdg|avid\w*|activity|metabolic|"
            r"fever|pyrexia|inflammat\w*|enhancement|signal|stenosis|obstruction|"
            r"[bt][\s\-]?cell|lymphoma|non[\s\-]?hodgkin|transformation))",
            re.IGNORECASE,
        ),
    ),
)


# Words after a "grade N" that make it an adverse-event grade (CTCAE), not the tumour's.
_TOXICITY = re.compile(
    r"\s*(?:\(?[a-z ]{0,12}\)?\s*)?(?:toxicit|diarrh|rash|neuropath|mucositis|nausea|vomit|fatigue|"
    r"neutropeni|anaemi|anemi|thrombocytopeni|hand[- ]foot|palmar|pneumonitis|colitis|"
    r"hepatitis|dermatitis|stomatitis|oesophagitis|esophagitis|reaction|infusion|"
    r"adverse|ctcae|lymphoedema|lymphedema|oedema|edema|haemorrhage|hemorrhage|"
    r"intraepithelial|dysplasia|pin\b|cin\b|dcis\b|in\s+situ)",
    re.IGNORECASE,
)


_BEFORE_TOXICITY = re.compile(
    r"(?:ctcae|toxicity|adverse\s+event|dcis|in\s+situ)[^.;\n]{0,25}$", re.I
)


_NOT_TUMOUR_G = re.compile(r"(?:block|cassette|slide|section|level|station|gauge)\s*$", re.I)


# Nottingham components after a grade: "(3+2+2)", "(score 7)", "tubules 3, pleomorphism 2,
# mitoses 2" (Elston & Ellis 1991: 3-5 grade 1, 6-7 grade 2, 8-9 grade 3).
_NOTTINGHAM_PARTS = re.compile(
    r"[\s:,]*\(?\s*(?:score\s*)?([1-3])\s*\+\s*([1-3])\s*\+\s*([1-3])(?:\s*=\s*\d)?"
    r"|[\s:,]*\(?\s*tubul\w*(?:\s+formation)?\s*:?\s*([1-3])[,;\s]+(?:nuclear\s+)?"
    r"pleomorphism\s*:?\s*([1-3])[,;\s]+mito\w*(?:\s+count)?\s*:?\s*([1-3])",
    re.IGNORECASE,
)


_NOTTINGHAM_SCORE = re.compile(
    r"\b(?:nottingham|elston|bloom[- ]richardson|sbr)\w*\s*(?:combined\s+)?(?:histologic\s+)?"
    r"(?:score|grade)?\s*[:=]?\s*\(?([1-3])\s*\+\s*([1-3])\s*\+\s*([1-3])",
    re.IGNORECASE,
)


_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}


# Words one of which must be in the text before a grade pattern is tried (speed only).
_GRADE_CUES: dict[str, tuple[str, ...]] = {
    "gleason": ("gleason",),
    "grade group": ("group",),
    "nottingham": ("nottingham", "elston", "bloom", "sbr"),
    "fuhrman": ("fuhrman",),
    "who/isup": ("isup",),
    "who": ("who",),
    "figo": ("figo",),
    "differentiation": ("differentiated",),
    "histologic grade": ("grade",),
    "grade": ("grade",),
    "g code": ("g1", "g2", "g3", "g4", "gx"),
    "high/low grade": ("grade",),
}


# Three-tier grades that mean the same whatever the wording ("grade 2", "G2", "Nottingham
# grade 2", "FIGO grade 2") share one value, so documents can be compared.
_TIERED = ("nottingham", "figo", "histologic grade", "grade", "g code")


def _grade_ok(system: str, text: str, m: re.Match[str]) -> bool:
    if system in ("grade", "histologic grade", "g code", "high/low grade"):
        if _TOXICITY.match(text, m.end(), m.end() + 40):
            return False
        if _BEFORE_TOXICITY.search(text, max(0, m.start() - 40), m.start()):
            return False
    if system == "grade":
        before = text[max(0, m.start() - 25) : m.start()].lower()
        if re.search(
            r"(?:gleason|who|figo|fuhrman|isup|nuclear|histologic(?:al)?|tumou?r|"
            r"nottingham|grade\s+group|masaoka|clark|ecog)\s*$",
            before,
        ):
            return False  # read by the system's own pattern
    near = _NOT_TUMOUR_G.search(text, max(0, m.start() - 12), m.start())
    return not (system == "g code" and near)


# The clause after a grade that a post-trigger must sit in ("No low-grade component is
# seen" is negated; "grade 3, HER2 is negative" is not: the comma ends the grade's clause).
_GRADE_CLAUSE_END = re.compile(r"[,;:()\n]|[.!?](?=\s|$)")


_GRADE_CLAUSE_REACH = 60


def grade_context(text: str, start: int, end: int) -> str:
    """The ConText assertion of a grade at text[start:end] (extract/context.py), with
    post-triggers read only in the grade's own clause."""
    stop = _GRADE_CLAUSE_END.search(text, end, end + _GRADE_CLAUSE_REACH)
    hi = stop.start() if stop else min(len(text), end + _GRADE_CLAUSE_REACH)
    return context_of(_mask_type_names(text[:hi], start), start, end)


def _mask_type_names(text: str, start: int, reach: int = 300) -> str:
    """The text with the histological type names just before `start` blanked out: a type
    name is never a negation cue ("carcinoma of no special type, grade 2")."""
    lo = max(0, start - reach)
    lex = lexicon()
    spans = [
        (lo + m.start(), lo + m.end())
        for m in lex.pattern.finditer(normalise(text[lo:start]))
        if any(e.kind == "histology" for e in lex.entries.get(key(m.group(0)), ()))
    ]
    if not spans:
        return text
    chars = list(text)
    for a, b in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


def _first_grade(text: str, low: str) -> tuple[str, str, re.Match[str], str] | None:
    """The first grade the text asserts, with its context. A negated grade ("no low-grade
    component") or a relative's is skipped: it says nothing about this tumour's grade."""
    for system, pattern in _GRADE_PATTERNS:
        if not any(cue in low for cue in _GRADE_CUES[system]):
            continue
        for m in pattern.finditer(text):
            if not _grade_ok(system, text, m):
                continue
            ctx = grade_context(text, m.start(), m.end())
            if ctx in ("negated", "family"):
                continue
            return system, _grade_value(system, m), m, ctx
    if "+" in low:
        for ns in _NOTTINGHAM_SCORE.finditer(text):
            ctx = grade_context(text, ns.start(), ns.end())
            if ctx not in ("negated", "family"):
                grade = f"grade {_nottingham_from_parts(ns.groups())}"
                return "nottingham", grade, ns, ctx
    return None


def _nottingham_from_parts(parts: tuple[str | None, ...]) -> str:
    total = sum(int(p) for p in parts if p)
    return "3" if total >= 8 else "2" if total >= 6 else "1"


def _grade_value(system: str, m: re.Match[str]) -> str:
    if system == "gleason":
        a, b = int(m.group(1)), int(m.group(2))
        return f"Gleason {a}+{b}={a + b}"
    if system == "differentiation":
        word = (m.group(1) or m.group(2)).lower()
        return f"{word} differentiated" if word != "undifferentiated" else "undifferentiated"
    raw = m.group(1).lower()
    if system == "high/low grade":
        return f"{raw} grade"
    number = _ROMAN.get(raw, raw.lstrip("g"))
    if system in _TIERED:
        if number in ("high", "low", "intermediate"):
            return f"{number} grade"
        return f"grade {number.upper() if number == 'x' else number}"
    label = {
        "grade group": "Grade Group",
        "fuhrman": "Fuhrman grade",
        "who/isup": "WHO/ISUP grade",
        "who": "WHO grade",
    }[system]
    return f"{label} {number}"


_GRADE_LABEL = {
    "nottingham": "Nottingham grade",
    "figo": "FIGO grade",
    "g code": "G",
}


def _grade_fact(doc: Document, page: Page, text: str, low: str) -> Fact | None:
    grade = _first_grade(text, low)
    if not grade:
        return None
    system, value, gm, ctx = grade
    attributes = {"system": system, "as_written": " ".join(gm.group(0).split())}
    end = gm.end()
    display = value
    if system in _TIERED and value.startswith("grade "):
        number = value.split()[-1]
        label = _GRADE_LABEL.get(system, "grade")
        display = f"G{number}" if system == "g code" else f"{label} {number}"
        parts = _NOTTINGHAM_PARTS.match(text, gm.end(), gm.end() + 80)
        if "+" in gm.group(0):  # the score itself: "Nottingham score 3+3+2"
            parts = gm
        if parts and system in ("nottingham", "grade", "histologic grade"):
            scores = [g for g in parts.groups() if g]
            attributes["system"] = "nottingham"
            attributes["components"] = "+".join(scores)
            display = f"Nottingham grade {number} ({'+'.join(scores)})"
            end = parts.end()
    return make_fact(
        doc,
        page,
        (gm.start(), end),
        "grade",
        value,
        found_by=f"tumour.grade.{system.replace('/', '_').replace(' ', '_')}",
        context=ctx,
        display=display,
        attributes=attributes,
    )
