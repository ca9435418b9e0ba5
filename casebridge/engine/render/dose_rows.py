"""A medicine's dose steps and a radiotherapy's dose and site on its row: "degarelix, 240 mg subcutaneous loading dose, then
80 mg subcutaneous every 28 days" (extract/dose_steps.py). In Chinese each step goes through
the table; a step the table lacks leaves the steps whole in English, marked (never half
translated)."""

from __future__ import annotations

import re
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
        text = _zh_step(b, body)
        if text is None:
            return [Span("，"), Span(steps, untranslated=True)]
        pieces.append(b.word("heading.then_step", step=text) if word else text)
    return [Span("，" + "，".join(pieces))]


_TAIL = re.compile(r"(?i)^(?P<head>.*?)(?:\s+(?P<tail>for\s+\d{1,3}\s+(?:days?|weeks?)))?$")


def _zh_step(b: _Builder, body: str) -> str | None:
    """One step in Chinese, clause by clause ("20 mg once daily for 7 days" ->
    "20 mg 每日一次，共7天"; "each once daily" -> "各每日一次"), or None if a clause is
    not in the table."""
    out: list[str] = []
    for clause in (c for c in re.split(r"\s*,\s*", body) if c):
        m = _TAIL.match(clause)
        head, tail = (m.group("head"), m.group("tail")) if m else (clause, None)
        lead = ""
        if head.lower().startswith("each "):
            lead, head = "各", head[5:]
        said = [*b.text(head, "dosing")] if head else []
        if tail:
            said += [Span("，"), *b.schedule(" ".join(tail.split()))]
        if not said or any(s.untranslated for s in said):
            return None
        out.append(lead + "".join(s.text for s in said))
    return "，".join(out)


def radiotherapy_spans(b: _Builder, group: list[Fact]) -> list[Span]:
    """A radiotherapy's dose, fractions and site: ", 60 Gy in 20 fractions, to prostate and
    seminal vesicles" (in Chinese "，60 Gy/20次，照射部位：前列腺"); nothing when unstated."""
    fact = max(
        group, key=lambda f: sum(1 for k in ("dose_gy", "fractions", "site") if k in f.attributes)
    )
    a = fact.attributes
    spans: list[Span] = []
    sep = "，" if b.zh else ", "
    gy, n = a.get("dose_gy", ""), a.get("fractions", "")
    if gy and n:
        said = a.get("dose", "") if not b.zh else ""
        spans.append(Span(sep + (said or b.word("heading.rt_dose", gy=gy, n=n))))
    elif gy:
        spans.append(Span(f"{sep}{gy} Gy"))  # a unit is a code in both languages
    site = a.get("site", "")
    if site:
        spans += [Span(sep), *_site(b, site)]
    return spans


def _site(b: _Builder, site: str) -> list[Span]:
    """ "to prostate and seminal vesicles"; in Chinese each site through the table
    ("照射部位：前列腺及精囊"), or the site whole in English, marked."""
    if not b.zh:
        return [Span(b.word("heading.rt_site", site=site))]
    names = [n for n in re.split(r"\s*,\s*|\s+and\s+", site) if n]
    said = [b.text(n, "site", "laterality") for n in names]
    if not said or any(not t or any(s.untranslated for s in t) for t in said):
        return [Span(b.word("heading.rt_site", site="")), Span(site, untranslated=True)]
    zh = ["".join(s.text for s in t) for t in said]
    joined = zh[0] if len(zh) == 1 else "、".join(zh[:-1]) + "及" + zh[-1]
    return [Span(b.word("heading.rt_site", site=joined))]


_PROCEDURES = frozenset({"medication", "surgery", "radiotherapy", "transplant", "cellular_therapy"})


def planned_dose_spans(b: _Builder, group: list[Fact]) -> list[Span]:
    """A planned systemic course's dose and interval: "carboplatin AUC 5, every 21 days"
    (the plan is what the reviewing team weighs; a course given shows its dates)."""
    if not group or group[0].kind in _PROCEDURES:
        return []
    if any(
        f.attributes.get("status") != "planned" or f.attributes.get("dose_steps") for f in group
    ):
        return []
    dose = next((f.attributes["dose"] for f in group if f.attributes.get("dose")), "")
    interval = next((f.attributes["interval"] for f in group if f.attributes.get("interval")), "")
    spans: list[Span] = []
    if dose:
        spans += [Span(" "), *b.text(dose, "dosing")]
    if interval:
        spans += [Span("，" if b.zh else ", "), *b.text(interval, "dosing")]
    return spans
