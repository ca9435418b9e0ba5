"""The stage group ("Stage IIIA"), its prefix, and whether it is stated for a recurrence.

Separate from the T, N and M categories: a different written form with its own traps
("T Stage: 3" is a category field, "stage 2 pressure ulcer" not a cancer's stage).
"""

from __future__ import annotations

import re

from casebridge.engine.extract.tnm.knowledge import _KB, _kb, _lower
from casebridge.engine.extract.tnm.written import Hit


def _stage_hits(text: str) -> list[Hit]:
    kb = _kb()
    out: list[Hit] = []
    for m in kb.stage.finditer(_lower(text)):
        if _FIELD_LETTER.search(text, max(0, m.start() - 4), m.start()):
            continue  # "T Stage: 3 N Stage: 0": a category field, not a stage group
        around = text[max(0, m.start() - 30) : m.end() + 30]
        if kb.stage_not_cancer.search(around):
            continue
        value = (m.group("sg") + (m.group("ss") or "")).upper()
        before = text[max(0, m.start() - 25) : m.start()]
        prefix = next((p for p, rx in kb.stage_prefix if rx.search(before)), "")
        word = m.group(0).lower()
        if not prefix:
            if word.startswith("patholog"):
                prefix = "p"
            elif word.startswith("clinical"):
                prefix = "c"
        if not prefix and _at_recurrence(kb, text, m.start(), m.end()):
            prefix = "r"
        written = text[m.start() : m.end()]
        out.append(Hit("stage_group", value, m.start(), m.end(), prefix, written, "tnm.stage"))
    return out


def _at_recurrence(kb: _KB, text: str, start: int, end: int) -> bool:
    """Whether the stage at text[start:end] is stated for a relapse or recurrence: the
    time cue nearest to it in its sentence is a recurrence one (knowledge/tnm.yaml
    stage_recurrence). A "neoadjuvant" anywhere in the sentence rules it out."""
    from casebridge.engine.extract.context import sentence_bounds

    lo, hi = sentence_bounds(text, start, end)
    best: tuple[int, bool] | None = None
    for m in kb.stage_time.finditer(text, lo, hi):
        if m.group("skip"):
            if "neoadjuvant" in m.group(0).lower():
                return False
            continue
        if m.start() < end and start < m.end():
            continue
        gap = start - m.end() if m.end() <= start else m.start() - end
        if best is None or gap < best[0]:
            best = (gap, bool(m.group("rec")))
    return best is not None and best[1]


_FIELD_LETTER = re.compile(r"(?<![A-Za-z])[TNM]\.?\s*$")
