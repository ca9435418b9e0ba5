"""A medicine's dose steps on its row: "degarelix, 240 mg subcutaneous loading dose, then
80 mg subcutaneous every 28 days" (extract/dose_steps.py). In Chinese each step goes through
the table; a step the table lacks leaves the steps whole in English, marked (never half
translated)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from casebridge.engine.case import Fact
from casebridge.engine.extract.dose_steps import split_steps
from casebridge.engine.terminology import Span

if TYPE_CHECKING:
    from casebridge.engine.render.summary import _Builder


def dose_step_spans(b: _Builder, group: list[Fact]) -> list[Span]:
    """The steps of the group's fullest statement, after a comma; nothing without steps."""
    said = [f.attributes["dose_steps"] for f in group if f.attributes.get("dose_steps")]
    if not said:
        return []
    steps = max(said, key=len)
    if not b.zh:
        return [Span(f", {steps}")]
    pieces: list[str] = []
    for word, body in split_steps(steps):
        zh = b.text(body, "dosing", "schedule")
        if not zh or any(s.untranslated for s in zh):
            return [Span("，"), Span(steps, untranslated=True)]
        text = "".join(s.text for s in zh)
        pieces.append(b.word("heading.then_step", step=text) if word else text)
    return [Span("，" + "，".join(pieces))]
