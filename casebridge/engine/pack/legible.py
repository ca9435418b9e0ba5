"""Is an identifier of the case still legible among the words Tesseract read,
even misread? The exact patterns of render/redact.py miss "Whitc0mbe",
"999 O47 l320" or "Whitcornbe"; a reader does not.

Each identifier gives needles: its whole value and the parts redact.py hides on
their own (a distinctive name or address word, a postcode, a Chinese street and
number), each in a canonical form where the letters and digits OCR confuses are
one (0/O, 1/l/I/|, 5/S, 8/B, 2/Z, rn/m, vv/w), without spaces or punctuation.
A needle is then looked for in each line Tesseract read:

- shorter than 6 characters: only as whole words, exactly (after the confusions
  are folded): "Jane" is not found in "Janet", nor "Kaur" in "Lane";
- longer: anywhere in the line with 1 edit (2 from 10 characters for letters);
  mostly-digit needles get 1 edit only from 8 digits: ten digits with two
  wrong would match some line of a page of results too often.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from casebridge.engine.pack.words import Word
from casebridge.engine.render import redact

_FOLD = (("rn", "m"), ("vv", "w"), ("0", "o"), ("1", "l"), ("i", "l"), ("|", "l"), ("!", "l"),
         ("5", "s"), ("8", "b"), ("2", "z"))  # fmt: skip
_DROP = re.compile(r"[^0-9a-z\u3400-\u9fff\uf900-\ufaff]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def canonical(text: str) -> str:
    out = unicodedata.normalize("NFKC", text).casefold()
    for a, b in _FOLD:
        out = out.replace(a, b)
    return _DROP.sub("", out)


@dataclass(frozen=True)
class Needle:
    text: str  # canonical
    edits: int
    whole: bool  # matched only as whole words


def needles(values: Iterable[tuple[str, str]]) -> list[Needle]:
    """The needles of identifiers given as (kind, value), as Redactor.values holds them."""
    found: dict[str, Needle] = {}
    for kind, value in values:
        for raw in _parts(kind, value):
            text = canonical(raw)
            if len(text) < 3 and not (_CJK.search(text) and len(text) >= 2):
                continue  # an initial, a two-letter word: nothing to tell it by
            found.setdefault(text, _needle(text, raw))
    return list(found.values())


def _needle(text: str, raw: str) -> Needle:
    if _CJK.search(text):
        # Chinese names are two to four characters: exactly, wherever they stand
        return Needle(text, 0 if len(text) < 8 else 1, whole=False)
    digits = sum(c.isdigit() for c in raw) > sum(c.isalnum() for c in raw) / 2
    if digits:
        return Needle(text, 1 if len(text) >= 8 else 0, whole=len(text) < 6)
    if len(text) < 6:
        return Needle(text, 0, whole=True)
    return Needle(text, 2 if len(text) >= 10 else 1, whole=False)


def _parts(kind: str, value: str) -> list[str]:
    out = [value]
    if kind == "person_name":
        words = [w.strip(".,'’") for w in value.split()]
        out += [
            w
            for w in words
            if len(w) >= 3 and w.isalpha() and w[0].isupper()
            and w.lower() not in redact.TITLES and w.lower() not in redact.NOT_NAMES
        ]  # fmt: skip
        if _CJK.search(value) and len(value) <= 4 and not value.endswith(redact.HONORIFICS):
            surname = value[:2] if len(value) == 4 else value[0]
            out += [surname + h for h in redact.HONORIFICS[:2]]
    elif kind == "date_of_birth":
        day = redact.parse_date(value)
        if day is not None:
            d, m, y = day.day, day.month, day.year
            out += [
                f"{d:02d}{m:02d}{y}", f"{d}{m}{y}", f"{d:02d}{m:02d}{y % 100:02d}",
                f"{y}{m:02d}{d:02d}", f"{y}年{m}月{d}日",
                f"{d}{redact.MONTH_NAMES[m - 1]}{y}", f"{d}{redact.MONTH_NAMES[m - 1][:3]}{y}",
            ]  # fmt: skip
    elif kind in ("address", "postcode"):
        out += [m.group(0) for m in redact.UK_POSTCODE.finditer(value.upper())]
        out += [
            p
            for p in re.split(r"[\s,，|]+", value)
            if len(p) >= 4 and p.isalpha() and p[0].isupper()
            and p.lower() not in redact.STREET_WORDS and p.lower() not in redact.NOT_NAMES
        ]  # fmt: skip
        out += redact.zh_address_parts(value)
    return out


def hits(words: Sequence[Word], found: Sequence[Needle]) -> list[list[int]]:
    """For each near match of a needle, the indices of the words it covers."""
    lines: dict[tuple[int, int, int], list[int]] = {}
    for index, word in enumerate(words):
        lines.setdefault(word.line, []).append(index)
    out: list[list[int]] = []
    for members in lines.values():
        forms = [canonical(words[i].text) for i in members]
        hay = "".join(forms)
        if not hay:
            continue
        owner = [i for i, form in zip(members, forms, strict=True) for _ in form]
        starts = []
        at = 0
        for form in forms:
            starts.append(at)
            at += len(form)
        for needle in found:
            if needle.whole:
                out += _whole(needle.text, forms, starts, members)
            elif _may_hold(hay, needle):
                for start, end in _near(needle.text, hay, needle.edits):
                    out.append(sorted(set(owner[start:end])))
    return out


def _whole(needle: str, forms: list[str], starts: list[int], members: list[int]) -> list[list[int]]:
    """Runs of whole words whose forms put together are the needle."""
    out = []
    for first in range(len(forms)):
        joined = ""
        for last in range(first, len(forms)):
            joined += forms[last]
            if len(joined) >= len(needle):
                if joined == needle:
                    out.append(members[first : last + 1])
                break
    return out


def _may_hold(hay: str, needle: Needle) -> bool:
    """With k edits, one of k + 1 pieces of the needle is in the hay as it is
    (a quick test before the slower one)."""
    k = needle.edits
    size = len(needle.text) // (k + 1)
    if size == 0:
        return True
    return any(needle.text[i * size : (i + 1) * size] in hay for i in range(k + 1))


def _near(needle: str, hay: str, edits: int) -> list[tuple[int, int]]:
    """[start, end) of each stretch of `hay` within `edits` edits of `needle`
    (Sellers: edit distance to the best substring ending at each place)."""
    m = len(needle)
    previous = list(range(m + 1))
    ends: list[tuple[int, int]] = []  # (end, distance) of each run's best end
    last = -2
    for j, char in enumerate(hay):
        current = [0]
        for i in range(1, m + 1):
            cost = 0 if needle[i - 1] == char else 1
            current.append(min(previous[i] + 1, current[i - 1] + 1, previous[i - 1] + cost))
        if current[m] <= edits:
            if last == j - 1 and ends:  # the same occurrence, ending one later
                if current[m] < ends[-1][1]:
                    ends[-1] = (j + 1, current[m])
            else:
                ends.append((j + 1, current[m]))
            last = j
        previous = current
    return [(max(0, end - m), end) for end, _ in ends]
