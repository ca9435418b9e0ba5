"""ConText-style assertion of a fact: asserted, negated, possible, historical or family.

A trigger phrase in the same sentence, before the fact (or after it, for the
post-triggers), and not cut off by a terminator, sets the context. Triggers
live in knowledge/context_rules.yaml.
"""

from __future__ import annotations

import re
from functools import lru_cache

from casebridge.engine.kb import load

_SENTENCE_END = re.compile(r"(?<!\d)[.;:!?](?!\d)\s|\n\s*\n|\n(?=[A-Z][A-Z ]{3,}:)")


@lru_cache(maxsize=1)
def _rules() -> tuple[list[tuple[str, re.Pattern[str]]], list[tuple[str, re.Pattern[str]]], re.Pattern[str]]:
    data = load("context_rules")

    def compile_terms(terms: list[str]) -> re.Pattern[str]:
        alts = sorted((re.escape(t).replace(r"\ ", r"\s+") for t in terms), key=len, reverse=True)
        return re.compile(r"\b(?:" + "|".join(alts) + r")\b", re.IGNORECASE)

    pre = [(ctx, compile_terms(terms)) for ctx, terms in data["pre"].items()]
    post = [(ctx, compile_terms(terms)) for ctx, terms in data["post"].items()]
    return pre, post, compile_terms(data["terminate"])


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    lo = 0
    for m in _SENTENCE_END.finditer(text, max(0, start - 300), start):
        lo = m.end()
    m = _SENTENCE_END.search(text, end, end + 300)
    hi = m.start() if m else min(len(text), end + 300)
    return lo, hi


def context_of(text: str, start: int, end: int) -> str:
    pre, post, terminate = _rules()
    lo, hi = _sentence_bounds(text, start, end)
    before = text[lo:start]
    stops = [m.end() for m in terminate.finditer(before)]
    if stops:
        before = before[stops[-1] :]
    for ctx, pattern in pre:
        if pattern.search(before):
            return ctx
    after = text[end:hi]
    cut = terminate.search(after)
    if cut:
        after = after[: cut.start()]
    for ctx, pattern in post:
        if pattern.search(after):
            return ctx
    return "asserted"
