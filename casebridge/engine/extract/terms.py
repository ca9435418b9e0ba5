"""OCR-tolerant term matching shared by the pathology extractors.

Terms from the knowledge files are compiled into one trie-shaped regex over a
length-preserving normalisation of the page text (lower case, 0->o, 1/|/!->l,
i->l, accents folded), so a match's span is also its span in the original text.
"m" in a term also matches the Textract confusion "rn"; a space matches any run
of spaces and light punctuation, a hyphen may also be missing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_FOLD = {ord("0"): "o", ord("1"): "l", ord("|"): "l", ord("!"): "l", ord("i"): "l"}
_SEP = r"[\s,.;:()/\-]{1,4}"
_HYPHEN = r"[\s,.;:()/\-]{0,3}"
_NONWORD = re.compile(r"[^a-z0-9']+")


class _Folding(dict[int, str]):
    """str.translate table: OCR look-alikes together, accented letters to their base letter
    (one character for one, so spans keep their offsets); filled lazily per character."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        base = unicodedata.normalize("NFKD", ch)[:1] if not ch.isascii() else ch
        folded = base if base and base.isascii() else ch
        self[code] = folded
        return folded


_TABLE = _Folding(_FOLD)


def normalise(text: str) -> str:
    """Same length as `text`: lower case with OCR look-alikes folded together."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters change length when lowered
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return lowered.translate(_TABLE)


def key(text: str) -> str:
    """The lookup key of a term or of a matched stretch of text."""
    folded = normalise(text).replace("'", "").replace("\u2019", "")
    folded = _NONWORD.sub(" ", folded).strip()
    return folded.replace("rn", "m")


def _units(term: str) -> list[str]:
    """A term as a list of regex units, one per canonical character."""
    units: list[str] = []
    canon = normalise(term.strip())
    for ch in canon:
        if ch in "'\u2019":
            units.append("['\u2019]?")
        elif ch == "-":
            units.append(_HYPHEN)
        elif not ch.isalnum():
            if units and units[-1] not in (_SEP, _HYPHEN):
                units.append(_SEP)
        elif ch == "m":
            units.append("(?:m|rn)")
        else:
            units.append(re.escape(ch))
    while units and units[-1] in (_SEP, _HYPHEN, "['\u2019]?"):
        units.pop()
    return units


def _trie_regex(node: dict[str, dict], end: str) -> str:
    branches = [unit + _trie_regex(child, end) for unit, child in node.items() if unit != end]
    has_end = end in node
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # Greedy: the longer term is tried first, the shorter one is the backtrack.
    return "(?:" + body + ")?" if has_end else body


def compile_terms(terms: Iterable[str]) -> re.Pattern[str]:
    """One regex matching any of `terms` as whole words in normalise()d text,
    preferring the longest term at each position."""
    end = "\x00"
    root: dict[str, dict] = {}
    for term in terms:
        units = _units(term)
        if not units:
            continue
        node = root
        for unit in units:
            node = node.setdefault(unit, {})
        node[end] = {}
    body = _trie_regex(root, end)
    return re.compile(r"(?<![a-z0-9])" + body + r"(?![a-z0-9])")


_WORD = re.compile(r"[a-z]{7,}")


class Corrector:
    """Undoes Textract-style letter substitutions in normalise()d text, keeping its length:
    a word of 7+ letters one substitution away (two, for 9+ letters) from exactly one
    vocabulary word of the same length and the same first or last letter becomes that word.
    Words already in the vocabulary are left alone."""

    def __init__(self, words: Iterable[str]) -> None:
        self.vocab: set[str] = set()
        for word in words:
            for part in re.findall(r"[a-z]+", normalise(word)):
                if len(part) >= 5:
                    self.vocab.add(part)
        self.shapes: dict[tuple[int, str, int], list[str]] = {}
        for word in sorted(self.vocab):
            if len(word) >= 7:
                self.shapes.setdefault((len(word), word[0], 0), []).append(word)
                self.shapes.setdefault((len(word), word[-1], 1), []).append(word)
        self.cache: dict[str, str | None] = {}

    def fix(self, word: str) -> str | None:
        if word in self.cache:
            return self.cache[word]
        found: str | None = None
        if word not in self.vocab:
            n = len(word)
            limit = 1 if n < 9 else 2
            hits: set[str] = set()
            for cand in self.shapes.get((n, word[0], 0), []) + self.shapes.get(
                (n, word[-1], 1), []
            ):
                misses = 0
                for a, b in zip(word, cand, strict=True):
                    if a != b:
                        misses += 1
                        if misses > limit:
                            break
                else:
                    hits.add(cand)
            if len(hits) == 1:
                found = next(iter(hits))
        if len(self.cache) < 200_000:
            self.cache[word] = found
        return found

    def correct(self, norm: str) -> str:
        out: list[str] = []
        last = 0
        for m in _WORD.finditer(norm):
            fixed = self.fix(m.group(0))
            if fixed is not None:
                out.append(norm[last : m.start()])
                out.append(fixed)
                last = m.end()
        if not out:
            return norm
        out.append(norm[last:])
        return "".join(out)
