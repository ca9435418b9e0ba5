"""Dose steps of one medicine: "Degarelix 240 mg loading dose, then 80 mg every 28 days",
"venetoclax 20 mg once daily for 7 days, then 50 mg, ... then 400 mg once daily".

A clause that opens with a step word (knowledge/dose_steps.yaml) and goes on with a dose
continues the prescription of the medicine named before it on the same line: it is never a
medicine of its own (no medicine called "then"). The medicine keeps its doses as written, in
order, in attributes["dose_steps"] ("240 mg subcutaneous loading dose, then 80 mg
subcutaneous every 28 days"); for a medicine-list item, whose own dose is its attributes,
only the steps after it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from casebridge.engine.case import Fact
from casebridge.engine.extract.course_page import _Page
from casebridge.engine.extract.lexicon import TREATMENT_KINDS
from casebridge.engine.kb import load

_DRUG_KINDS = TREATMENT_KINDS | {"medication"}
_DOSE = r"\d+(?:\.\d+)?[ \t]?(?:mg/m2|mg/m²|mg/kg|mg|g|micrograms?|mcg|units?|IU|Gy)(?![\w/])"
_FIRST_DOSE = re.compile(rf"(?i){_DOSE}")
# the words of the first dose end where the item goes on to say when it was given
_FIRST_END = re.compile(
    r"(?i)\b(?:given|started|starting|commenced|completed|from|since|planned)\b"
    r"|\d{1,2}/\d{1,2}/\d{2,4}|[;(]|\.(?=\s|$)"
)
# a step ends at a semicolon, bracket, line or sentence end, or at a comma that goes on with
# other words than the step's own ("then 50 mg, 100 mg, each once daily for 7 days, ongoing")
_STEP_END = re.compile(
    r"[;(\n]|\.(?=\s|$)"
    r"|,(?![ \t]*(?:\d|(?:each|every|for|on|days?|cycles?|weekly|daily|once|twice)\b))"
)


@lru_cache(maxsize=1)
def _rules() -> tuple[re.Pattern[str], frozenset[str]]:
    words = [str(w) for w in load("dose_steps")["step_words"]["words"]]
    escaped = sorted((re.escape(w).replace(r"\ ", r"[ \t]+") for w in words), key=len, reverse=True)
    step = re.compile(rf"(?i)(?<![\w-])(?:{'|'.join(escaped)})[ \t]+(?={_DOSE})")
    return step, frozenset(w.lower().split()[0] for w in words)


def is_step_word(name: str) -> bool:
    """Whether a "medicine name" opens with a step word ("then 400 mg once daily", an item
    "then reducing to 30 mg")."""
    words = name.lower().split()
    return bool(words) and words[0] in _rules()[1]


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(" ,")


def read_dose_steps(p: _Page) -> None:
    """Drop the medicines named by a step word and give each step to the medicine before it."""
    step_re, _ = _rules()
    p.facts[:] = [f for f in p.facts if not (f.kind == "medication" and is_step_word(f.value))]
    text = p.text
    steps: dict[int, list[tuple[int, str]]] = {}  # owner's start -> (step start, step words)
    found = list(step_re.finditer(text))
    for i, m in enumerate(found):
        line_start = text.rfind("\n", 0, m.start()) + 1
        owners = [f for f in p.facts if _on_line(f, line_start, m.start())]
        if not owners:
            continue
        owner = max(f.source.start for f in owners if f.source is not None)
        stop = _STEP_END.search(text, m.end())
        end = stop.start() if stop else len(text)
        if i + 1 < len(found) and found[i + 1].start() < end:
            end = found[i + 1].start()
        steps.setdefault(owner, []).append((m.start(), _tidy(text[m.start() : end])))
    for owner, said in steps.items():
        _give(p, owner, said)


def _on_line(f: Fact, line_start: int, before: int) -> bool:
    return (
        f.kind in _DRUG_KINDS
        and f.source is not None
        and line_start <= f.source.start
        and f.source.end <= before
    )


def _give(p: _Page, owner: int, said: list[tuple[int, str]]) -> None:
    first_step = said[0][0]
    steps = [s for _, s in said]
    for f in p.facts:
        if f.source is None or f.source.start != owner or f.kind not in _DRUG_KINDS:
            continue
        parts = list(steps)
        if f.kind != "medication":  # a list item's own dose is its attributes already
            lead = _FIRST_DOSE.search(p.text, f.source.end, first_step)
            if lead is not None:
                stop = _FIRST_END.search(p.text, lead.start(), first_step)
                first = _tidy(p.text[lead.start() : stop.start() if stop else first_step])
                if first:
                    parts.insert(0, first)
        f.attributes["dose_steps"] = ", ".join(parts)


def split_steps(text: str) -> list[tuple[str, str]]:
    """A medicine's dose steps as (step word, its dose words): "240 mg, then 80 mg every 28
    days" -> [("", "240 mg"), ("then", "80 mg every 28 days")]."""
    step_re, _ = _rules()
    out: list[tuple[str, str]] = []
    pos, word = 0, ""
    for m in step_re.finditer(text):
        body = _tidy(text[pos : m.start()])
        if body:
            out.append((word, body))
        pos, word = m.end(), " ".join(m.group().split())
    body = _tidy(text[pos:])
    if body:
        out.append((word, body))
    return out


# ------------------------------------------------------------------ a course's interval
_NOT_SYSTEMIC = frozenset({"surgery", "radiotherapy", "transplant", "cellular_therapy"})
_CLAUSE_STOP = re.compile(r"[;\n]|\.(?=\s|$)|,\s*then\b")


@lru_cache(maxsize=1)
def _interval_rule() -> re.Pattern[str]:
    words = sorted(
        (str(w) for w in load("dose_steps")["intervals"]["words"]), key=len, reverse=True
    )
    alt = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
    number = r"\d{1,2}|two|three|four|five|six"
    return re.compile(rf"(?i)\b(?:every\s+(?:{number})\s+(?:days|weeks)|{alt})\b")


def read_course_doses(p: _Page) -> None:
    """A systemic course's interval written in its drug's clause ("carboplatin AUC 5 and
    pemetrexed 500 mg/m2 every 21 days": both every 21 days): attributes["interval"]."""
    interval_re = _interval_rule()
    text = p.text
    for f in p.facts:
        if f.kind not in TREATMENT_KINDS or f.kind in _NOT_SYSTEMIC or f.source is None:
            continue
        end = f.source.end
        stop = _CLAUSE_STOP.search(text, end)
        found = interval_re.search(text, end, stop.start() if stop else len(text))
        if found and "interval" not in f.attributes:
            f.attributes["interval"] = " ".join(found.group().split())
