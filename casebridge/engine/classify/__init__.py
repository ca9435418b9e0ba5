"""Document stage 'classify': what kind of record is this document?

Reads the document's text and scores each type in case.DOC_TYPES by the weighted
cues of knowledge/doc_types.yaml (report titles, section headings, set phrases);
the highest score wins. Deterministic, no model: a few hundred microseconds a
document. DICOM files are imaging studies by their media type alone. A text with
no medical vocabulary at all is called "other" and flagged for a person to check,
since it was probably uploaded by mistake.

A note the patient or their family wrote (classify/author.py) is "other" whatever
clinical words it repeats, except a medication list, which stays one; either way the
document's metadata["author"] is "patient", so its statements are kept as the
patient's account rather than as clinical findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from casebridge.engine.case import DOC_TYPES, Case, Document
from casebridge.engine.classify.author import PATIENT, authorship
from casebridge.engine.classify.cues import MEDICAL, TOKEN, Cue, Rules, rules
from casebridge.engine.registry import component

NOT_MEDICAL = "This does not look like a medical record: please check it was meant to be uploaded."
TOO_SHORT = (
    "This document has too little text to tell what kind of record it is: "
    "please check it is complete."
)
NO_TEXT = (
    "No readable text was found in this document (it may be a blank page or a poor scan), "
    "so its type is not known: please check the file, or upload a clearer copy."
)
DICOM = "application/dicom"
MIN_TYPE_SCORE = 2.0  # below this, a medical text is "other" (type not recognised)
GARBLED_SHARE = 0.5  # fewer real words than this share of letter/symbol runs: OCR noise
MAX_CHARS = 100_000  # the type shows in the first pages; a long bundle is read this far
FEW_WORDS = 8  # a text this short that names nothing medical is too short to judge

_WORD = re.compile(r"[a-zµ]+|[\u3400-\u9fff]")
_PLAIN_MARKS = frozenset("\n.,;:()[]%£$€/-–'\"&+=*#@!?")
_REAL_WORD = re.compile(r"(?!.*(.)\1\1\1)[a-z]*[aeiouy][a-z]*")
_SINGLE = re.compile(r"(?<![a-z])[a-z](?![a-z])")
_LETTER_SPACE = re.compile(r"(?<=\S) (?=\S)")
_GAP = re.compile(r"[ \t]{2,}")
_BULLET = frozenset({"-", "*", "•", ")", "(", "#", "[", "]"})
_SENTENCE_END = frozenset({".", "!", "?", "。"})
_BOUNDARY = frozenset({".", ",", ";", ":", "|", "："})
_COLON = frozenset({":", "："})


@dataclass
class Classification:
    doc_type: str
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)
    cues: dict[str, list[str]] = field(default_factory=dict)  # type -> cues found
    medical_score: float = 0.0
    medical: bool = True
    readable: bool = True
    too_short: bool = False
    author: str = ""  # "patient" for a note the patient or their family wrote


def _unspace(low: str) -> str:
    """Undo letter-spaced OCR ("p a t h o l o g y   r e p o r t"): when most words are a
    single letter, single spaces are dropped and wider gaps become word breaks."""
    singles = len(_SINGLE.findall(low, 0, 4000))
    if singles < 20 or singles < 0.6 * len(_WORD.findall(low, 0, 4000)):
        return low
    return _GAP.sub(" ", _LETTER_SPACE.sub("", low))


def _garbled(toks: list[str]) -> bool:
    """Mostly not words (stray letters, odd symbols, barcode strokes like "iiiii"; digits
    and ordinary punctuation aside): a poor scan rather than a non-medical document."""
    marks = [t for t in toks if t[0].isalpha() or not (t.isdigit() or t in _PLAIN_MARKS)]
    words = sum(1 for t in marks if len(t) > 1 and _REAL_WORD.fullmatch(t))
    return words < GARBLED_SHARE * len(marks)


def find_phrases(toks: list[str], r: Rules) -> dict[tuple[str, ...], list[int]]:
    """Start positions of every indexed phrase found in the tokens."""
    found: dict[tuple[str, ...], list[int]] = {}
    index = r.index
    n = len(toks)
    for i, tok in enumerate(toks):
        candidates = index.get(tok)
        if candidates is None:
            continue
        for key in candidates:
            size = len(key)
            if size == 1 or (
                i + size <= n
                and toks[i + 1] == key[1]
                and (size == 2 or tuple(toks[i : i + size]) == key)
            ):
                found.setdefault(key, []).append(i)
    return found


def _is_title(toks: list[str], start: int) -> bool:
    """Near the top and leading its line (after at most two words, as in "Urgent CT
    thorax" or "Exam: CT head"), not a mention inside a sentence."""
    words = 0
    k = start - 1
    while k >= 0:
        tok = toks[k]
        if tok == "\n" or tok in _COLON or tok == "|":
            return True
        if tok in _SENTENCE_END:
            return False
        if tok[0].isalpha():
            words += 1
            if words > 2:
                return False
        k -= 1
    return True


def _is_heading(toks: list[str], start: int, end: int) -> bool:
    """A section heading: the phrase at the start of a line (after a bullet or number, or
    up to three qualifying words, as in "Secondary discharge diagnoses:") followed by a
    colon; or the phrase alone on its line."""
    n = len(toks)
    colon = end < n and toks[end] in _COLON
    if not colon and end < n and toks[end] != "\n":
        return False
    words = 0
    k = start - 1
    while k >= 0 and start - k <= 8:
        tok = toks[k]
        if tok == "\n" or tok in _BOUNDARY:
            return True
        if tok in _BULLET or tok.isdigit():
            k -= 1
            continue
        if not colon or not tok[0].isalpha():
            return False
        words += 1
        if words > 3:
            return False
        k -= 1
    return k < 0


def _inside(longest: dict[int, int], start: int, end: int) -> bool:
    """Whether a longer heading found at or just before `start` covers [start, end)."""
    if longest.get(start, end) > end:
        return True
    return any(longest.get(s, -1) >= end for s in range(start - 8, start))


def score_tokens(
    toks: list[str], low: str, r: Rules
) -> tuple[dict[str, float], dict[str, list[str]], float]:
    """Each type's score, the cues that gave it, and the medical-vocabulary score."""
    scores = dict.fromkeys(DOC_TYPES, 0.0)
    found: dict[str, list[str]] = {}
    medical: dict[str, float] = {}
    headings: dict[str, list[tuple[int, int, Cue]]] = {}
    for key, starts in find_phrases(toks, r).items():
        size = len(key)
        for cue in r.cues_of[key]:
            if cue.where == "title":
                hit = any(s < r.title_tokens and _is_title(toks, s) for s in starts)
            elif cue.where == "heading":
                spans = [(s, s + size) for s in starts if _is_heading(toks, s, s + size)]
                headings.setdefault(cue.doc_type, []).extend((a, b, cue) for a, b in spans)
                continue
            else:
                hit = True
            if not hit:
                continue
            if cue.doc_type == MEDICAL:
                medical[cue.phrase] = cue.weight
                continue
            scores[cue.doc_type] += cue.weight
            found.setdefault(cue.doc_type, []).append(f"{cue.where}:{cue.phrase}")
    for doc_type, found_spans in headings.items():
        # "Present illness:" inside "History of present illness:" is one heading, counted
        # for the longer phrase only.
        longest: dict[int, int] = {}
        for a, b, _cue in found_spans:
            longest[a] = max(b, longest.get(a, b))
        counted: set[str] = set()
        for a, b, cue in found_spans:
            if cue.phrase in counted or _inside(longest, a, b):
                continue
            counted.add(cue.phrase)
            scores[doc_type] += cue.weight
            found.setdefault(doc_type, []).append(f"heading:{cue.phrase}")
    for cue in r.patterns:
        if cue.regex is not None and cue.regex.search(low):
            scores[cue.doc_type] += cue.weight
            found.setdefault(cue.doc_type, []).append(f"pattern:{cue.phrase}")
    med = r.medical
    for tok in set(toks):
        if (
            len(tok) >= 6
            and tok not in medical
            and tok not in med.not_medical
            and tok.endswith(med.suffixes)
            and tok[0].isalpha()
        ):
            medical[tok] = med.strong_weight
    return scores, found, sum(medical.values())


def classify_text(text: str, media_type: str = "", r: Rules | None = None) -> Classification:
    """The type of a document from its text (and media type), with a confidence in [0, 1]."""
    if media_type == DICOM:
        return Classification("imaging_study", 1.0)
    r = r or rules()
    if not text or not text.strip():
        return Classification("other", 0.0, readable=False)
    low = _unspace(text[:MAX_CHARS].lower())
    toks = TOKEN.findall(low)
    scores, found, med = score_tokens(toks, low, r)
    words = len(_WORD.findall(low))
    if words >= FEW_WORDS:
        own = authorship(text[:MAX_CHARS], toks, words)
        if own.author == PATIENT:
            return _patient_note(scores, found, med, own.patient_score, own.cues)
    needed = r.medical.min_score_short if words < r.medical.short_words else r.medical.min_score
    if med < needed:
        # Nothing medical: type cues alone ("Dear", "Results:") do not make a record.
        if words < FEW_WORDS:
            return Classification("other", 0.0, scores, found, med, too_short=True)
        if _garbled(toks):
            # mostly symbols and stray digits: a poor scan, not a non-medical document
            return Classification("other", 0.0, scores, found, med, readable=False)
        confidence = 0.9 if med == 0 else 0.6
        return Classification("other", confidence, scores, found, med, medical=False)
    ranked = sorted(DOC_TYPES, key=lambda t: (-scores[t], DOC_TYPES.index(t)))
    best, runner_up = ranked[0], ranked[1]
    top, second = scores[best], scores[runner_up]
    if top < MIN_TYPE_SCORE:
        # A medical text, but no type's cues: say so rather than guess.
        return Classification("other", 0.3, scores, found, med)
    strength = min(1.0, top / r.strong_score)
    margin = (top - second) / top
    confidence = round(max(0.0, min(1.0, strength * (0.5 + 0.5 * margin))), 3)
    return Classification(best, confidence, scores, found, med)


PATIENT_KEEPS = ("medication_list",)  # a family's medication list is still one


def _patient_note(
    scores: dict[str, float],
    found: dict[str, list[str]],
    med: float,
    patient_score: float,
    cues: list[str],
) -> Classification:
    """A note the patient or family wrote: "other" (its clinical words are the patient's
    account, not a record's findings), or a medication list when it is mainly one."""
    best = max(DOC_TYPES, key=lambda t: (scores[t], -DOC_TYPES.index(t)))
    doc_type = best if best in PATIENT_KEEPS and scores[best] >= MIN_TYPE_SCORE else "other"
    confidence = round(min(1.0, patient_score / 10.0), 3)
    found = {**found, "_author": cues}
    return Classification(doc_type, confidence, scores, found, med, author=PATIENT)


def classify_document(doc: Document) -> Classification:
    return classify_text(doc.text, doc.media_type)


@component(
    "classify",
    level="document",
    reads=("document.pages",),
    writes=("document.doc_type", "document.doc_type_confidence", "document.metadata"),
)
def classify(case: Case, doc: Document) -> None:
    result = classify_document(doc)
    doc.doc_type = result.doc_type
    doc.doc_type_confidence = result.confidence
    if result.author:
        doc.metadata["author"] = result.author
    elif doc.metadata.get("author") == PATIENT:
        del doc.metadata["author"]  # re-classified: no longer read as the patient's own note
    if not result.readable:
        if not doc.problems:
            doc.needs_attention(NO_TEXT)
    elif result.too_short:
        doc.needs_attention(TOO_SHORT)
    elif not result.medical:
        doc.needs_attention(NOT_MEDICAL)
