"""ConText-style assertion of a fact: asserted, negated, possible, historical or family.

A trigger phrase in the same sentence sets the context: a pre-trigger before the
fact (within `scope_words` words for negated/possible, anywhere earlier in the
sentence for family/historical), a post-trigger after it. A terminator ("but",
"however", ...) cuts a trigger's scope; a pseudo-trigger ("no change", "not
only", "No. 3", "prior to") is consumed so the shorter trigger inside it does
not fire. When several contexts are found, the order of `pre`/`post` in
knowledge/context_rules.yaml decides (family, negated, possible, historical).

All trigger lists are compiled once into one trie-shaped regex per side, so a
sentence is scanned once whatever the number of triggers (the idea of
NegEx/ConText, Chapman et al., J Biomed Inform 2001/2009; the speed of a trie).

`compile_terms` and `term_key` are the same machinery for other lexicons.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from casebridge.engine.kb import load

# Sentence ends: . ; ! (not inside a number, not after a title), a "?" that ends a
# question (right after a word: "? PE" is a trigger, not an end), ": ", a blank
# line, a line that starts a list item or a capitalised line, an UPPER-CASE heading.
_SENTENCE_END = re.compile(
    r"(?<!\b[MD]r)(?<!\bMrs)(?<!\bMs)(?<!\bProf)(?<!\bNo)(?<!\bvs)[.;!](?=\s|$)"
    r"|(?<=[\w)])\?(?=\s|$)"
    r"|:(?=\s)"
    r"|\n\s*\n"
    r"|\n(?=[ \t]*(?:[-•*·]|\d{1,2}[.)]\s|[A-Z]))"
)
_WORD = re.compile(r"\w+")
_WINDOW = 300  # characters either side searched for a sentence end


# ---------------------------------------------------------------- term tries
def term_key(text: str) -> str:
    """The lookup key of a term or of the text a compiled term matched:
    lower case, no spaces, hyphens or slashes ("R-CHOP", "r chop" -> "rchop")."""
    return _KEY_STRIP.sub("", text.lower())


_KEY_STRIP = re.compile(r"[\s\-/‐–]+")


def _atom(ch: str) -> str:
    if ch == " ":
        return r"\s+"
    if ch in "-/":
        return r"[-\s/‐–]?"
    return re.escape(ch)


def _emit(node: dict[str, Any], prev: str) -> str:
    alts = [_atom(ch) + _emit(child, ch) for ch, child in sorted(node.items()) if ch]
    if "" not in node:
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    end = r"(?!\w)" if (prev.isalnum() or prev == "_") else ""
    if not alts:
        return end
    return "(?:" + "|".join(alts) + "|" + end + ")"  # longer terms are tried first


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of the words (to embed in a larger pattern), longest first so
    a longer phrase wins over its prefix; spaces match any whitespace."""
    escaped = (re.escape(str(w)).replace(r"\ ", r"\s+") for w in words)
    return "|".join(sorted(escaped, key=len, reverse=True))


def compile_terms(terms: Iterable[str], *, ignore_case: bool = True) -> re.Pattern[str]:
    """One regex matching any of the terms, longest first, at word boundaries
    (only where the term starts/ends with a letter or digit, so "?" and "h/o"
    work). Spaces match any whitespace; "-" and "/" match "-", "/", a space or
    nothing. Built as a trie: fast whatever the number of terms."""
    word_root: dict[str, Any] = {}
    other_root: dict[str, Any] = {}
    for term in terms:
        t = " ".join(str(term).split())
        if not t:
            continue
        if ignore_case:
            t = t.lower()
        node = word_root if (t[0].isalnum() or t[0] == "_") else other_root
        for ch in t:
            node = node.setdefault(ch, {})
        node[""] = {}
    parts = []
    if word_root:
        parts.append(r"(?<!\w)" + _emit(word_root, ""))
    if other_root:
        parts.append(_emit(other_root, ""))
    if not parts:
        return re.compile(r"(?!x)x")
    return re.compile("|".join(parts), re.IGNORECASE if ignore_case else 0)


# ---------------------------------------------------------------- rules
@dataclass(frozen=True)
class _Side:
    pattern: re.Pattern[str]
    category: dict[str, str]  # term_key -> context, "pseudo" or "terminate"


@dataclass(frozen=True)
class _Rules:
    pre: _Side
    post: _Side
    order: tuple[str, ...]
    scoped: frozenset[str]  # contexts whose pre-triggers reach only scope_words words
    scope_words: int
    # A list item or line that opens with one of these sets the context of all of it:
    # "If HER2 amplified: refer for trastuzumab", "Father: ischaemic heart disease".
    line_prefix: tuple[tuple[str, re.Pattern[str]], ...] = ()


# A "?" before a fact ("?PE", "? lymphoma"): not after a word, followed by one.
_QUERY_PRE = re.compile(r"(?<![\w)?])\?(?=[ \t]?[\w(])")


def _side(groups: dict[str, list[str]]) -> _Side:
    category: dict[str, str] = {}
    terms: list[str] = []
    for cat, items in groups.items():
        for term in items or []:
            term = str(term)
            category.setdefault(term_key(term) or term, cat)
            terms.append(term)
    return _Side(compile_terms(terms), category)


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    data = load("context_rules")
    # Context triggers first: a phrase listed both as a trigger and as a pseudo-trigger
    # (e.g. "not excluded") is a trigger on the side where it is listed as one.
    pre_groups = {**data["pre"], "terminate": data["terminate"], "pseudo": data.get("pseudo", [])}
    pre_groups = {k: [t for t in v if t != "?"] for k, v in pre_groups.items()}
    post_groups = {**data["post"], "terminate": data["terminate"], "pseudo": data.get("pseudo", [])}
    order = tuple(dict.fromkeys([*data["pre"], *data["post"]]))
    prefixes = tuple(
        (str(cat), re.compile(r"(?:" + compile_terms(terms).pattern + r")", re.IGNORECASE))
        for cat, terms in (data.get("line_prefix") or {}).items()
        if terms
    )
    return _Rules(
        pre=_side(pre_groups),
        post=_side(post_groups),
        order=order,
        scoped=frozenset(data.get("scoped", ["negated", "possible"])),
        scope_words=int(data.get("scope_words", 12)),
        line_prefix=prefixes,
    )


# The start of a list item or line: a bullet or number, or a new line after a blank one.
_ITEM_START = re.compile(r"\n\s*\n|\n(?=[ \t]*(?:[-•*·]|\d{1,2}[.)]\s|[A-Z]))")
_SENTENCE_STOP = re.compile(r"[.;!?](?=\s|$)")
_BULLET_LEAD = re.compile(r"[ \t]*(?:[-•*·]|\d{1,2}[.)])?[ \t]*")


def _item_prefix(text: str, lo: int) -> str:
    """The words of the list item (or line) before the sentence that starts at `lo`:
    "If HER2 amplified: " for "refer for trastuzumab" in "• If HER2 amplified: refer ..."."""
    start = max(0, lo - _WINDOW)
    item = start
    for m in _ITEM_START.finditer(text, start, lo):
        if m.end() <= lo:
            item = m.end()
    lead = _BULLET_LEAD.match(text, item, lo)
    prefix = text[lead.end() if lead else item : lo]
    # only a clause of the same item ("If ...:"), never an earlier full sentence
    return "" if _SENTENCE_STOP.search(prefix) else prefix


def _inside_closed_brackets(between: str) -> bool:
    """A trigger inside brackets that close before the fact does not reach it:
    "rituximab (no infusion reaction), gemcitabine" keeps gemcitabine asserted."""
    depth = 0
    for ch in between:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return True
    return False


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """[lo, hi) of the sentence holding text[start:end] (looking at most 300
    characters either way)."""
    lo = max(0, start - _WINDOW)
    # (search a little past `start`: the look-aheads must see the fact's first letters)
    for m in _SENTENCE_END.finditer(text, lo, min(len(text), start + 2)):
        if m.end() <= start:
            lo = m.end()
    nxt = _SENTENCE_END.search(text, end, end + _WINDOW)
    hi = nxt.end() if nxt else min(len(text), end + _WINDOW)
    return lo, hi


def _query_before(text: str, lo: int, start: int) -> int | None:
    if "?" not in text[lo:start]:
        return None
    last = None
    for m in _QUERY_PRE.finditer(text, lo, min(len(text), start + 2)):
        if m.end() <= start:  # (the look-ahead needs to see the fact's first letter)
            last = m.end()
    return last


def context_of(text: str, start: int, end: int) -> str:
    """The assertion context of the fact at text[start:end]."""
    rules = _rules()
    lo, hi = sentence_bounds(text, start, end)
    found: dict[str, int] = {}  # context -> end of its last trigger
    for m in rules.pre.pattern.finditer(text, lo, start):
        cat = rules.pre.category.get(term_key(m.group()), "")
        if cat == "terminate":
            found.clear()
        elif cat and cat != "pseudo" and not _inside_closed_brackets(text[m.end() : start]):
            found[cat] = m.end()
    if rules.line_prefix:
        prefix = _item_prefix(text, lo)
        if prefix.strip():
            for cat, pattern in rules.line_prefix:
                if pattern.match(prefix) and cat not in found:
                    found[cat] = start  # the whole item is in scope
    q = _query_before(text, lo, start)
    if q is not None and ("possible" not in found or found["possible"] < q):
        found["possible"] = q
    if found:
        for cat in list(found):
            if cat in rules.scoped:
                gap = text[found[cat] : start]
                if len(_WORD.findall(gap)) > rules.scope_words:
                    del found[cat]
    for m in rules.post.pattern.finditer(text, end, hi):
        cat = rules.post.category.get(term_key(m.group()), "")
        if cat == "terminate":
            break
        if cat and cat != "pseudo":
            found.setdefault(cat, m.start())
    if "possible" not in found and _is_question(text, end, hi):
        found["possible"] = hi  # a question asks; it does not state
    for cat in rules.order:
        if cat in found:
            return cat
    return "asserted"


def _is_question(text: str, end: int, hi: int) -> bool:
    tail = text[end:hi].rstrip()
    return tail.endswith("?") and len(tail) > 1 and (tail[-2].isalnum() or tail[-2] == ")")
