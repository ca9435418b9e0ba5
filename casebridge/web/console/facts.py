"""A fact's value as the console shows and compares it: the words a person reads
(a cancer type's clinical name, never its TCGA code), whether a typed value is
what is shown already, and whether it looks like another kind of fact (from the
knowledge base's kinds: their closed sets of values and their names)."""

from __future__ import annotations

import functools
import re
from typing import Any

from casebridge.engine import terminology
from casebridge.engine.kb import fact_kinds
from casebridge.web.cases.lib import fact_kind_label


def _fold(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def value_words(kind: str, value: str | None, lang: str = "en") -> str:
    """A value in plain words: a code of a closed set the terminology names (a
    cancer type's "BRCA") by its name, anything else as it is."""
    if not value:
        return ""
    term = terminology.table().by_key(f"{kind}.{value.strip().upper()}")
    if term is None:
        return value
    return term.zh if lang == "zh" else term.en


def shown_forms(fact: Any) -> set[str]:
    """Every way the fact's value is shown (folded): its value, its wording, the
    name of its code in English and Chinese."""
    forms = {fact.value, fact.display}
    forms |= {value_words(fact.kind, fact.value, lang) for lang in ("en", "zh")}
    return {_fold(form) for form in forms if form}


def unchanged(fact: Any, typed: str) -> bool:
    """Whether `typed` is the value as shown already (case and spaces aside)."""
    return _fold(typed) in shown_forms(fact)


@functools.cache
def _closed_sets() -> dict[str, frozenset[str]]:
    """Each kind with a closed set of values: the values and their names, folded."""
    sets = {}
    for kind, spec in fact_kinds().items():
        values = [str(v) for v in spec.get("values") or []]
        if values:
            names = {value_words(kind, v, lang) for v in values for lang in ("en", "zh")}
            sets[kind] = frozenset(_fold(v) for v in {*values, *names})
    return sets


def looks_like(kind: str, typed: str) -> str | None:
    """The other kind a typed value looks like, or None when it fits `kind`:
    a value only another kind's closed set holds ("T2" for a grade), or words that start
    with another kind's name ("grade 2" for a cancer type). A value outside its
    own kind's closed set with no other kind in sight is `kind` itself."""
    folded = _fold(typed)
    if not folded:
        return None
    closed = _closed_sets()
    if folded in closed.get(kind, frozenset()):
        return None
    owners = [other for other, values in closed.items() if folded in values]
    if len(owners) == 1 and owners[0] != kind:  # "positive" names no one kind
        return owners[0]
    for other in fact_kinds():
        name = _fold(fact_kind_label(other, "en"))
        first = re.split(r"[\s(/]", name, maxsplit=1)[0]
        if other != kind and len(first) > 2 and re.match(rf"{re.escape(first)}\b", folded):
            return other
    if kind in closed:
        return kind  # fits no kind named, nor its own closed set
    return None
