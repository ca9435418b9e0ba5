"""Reading a TNM category as the report writes it: "pT2N0M0", "pT2 N1a MX", OCR-damaged
"pT2NOMX" or "pTla", a bare "T2" only when joined to another category or near a staging word.

Separate from inference (infer_t, nodes): this is the finder that decides whether a report
'states' a category, and its OCR normalisation of the letters and digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from casebridge.engine.extract.tnm.checklist import (
    _DEFINED_BARE,
    _FIELD,
    _NOS,
    _PT_HEADING,
    _drop_option_lists,
)
from casebridge.engine.extract.tnm.knowledge import _KB, _kb, _lower

# After a bare "NO"/"No" (OCR for N0): anything but a following English word.
_O_GUARD = (
    r"(?:(?=[\s,;/.]{0,3}(?:p|c)?M\s?[01XxOo](?![A-Za-z0-9]))"  # "NO Mx": an M category follows
    r"|(?![A-LN-Za-z0-9])(?!\s+[a-z])(?!\s+[A-Z]{3,})(?!\s+[A-Z][a-z]))"
)


@dataclass(frozen=True)
class Hit:
    """One category written in the text: kind, normalised value, span, prefix."""

    kind: str
    value: str
    start: int
    end: int
    prefix: str
    written: str
    rule: str
    inherited: bool = False  # the prefix was written once before the group, not on this one


_OCR_DIGIT = {"O": "0", "o": "0", "l": "1", "I": "1", "i": "1"}


def _digit(v: str) -> str:
    return _OCR_DIGIT.get(v, v)


def _normal(kb: _KB, kind: str, letter: str, main: str, sub: str, extra: str = "") -> str:
    """The closed-set value (fact_kinds.yaml): the most specific form that exists."""
    main = _digit(main)
    if main in ("X", "x"):
        return letter + "X"
    if main.lower() == "is":
        return "Tis"
    sub = sub.lower()
    sub = sub[:1] + sub[1:].replace("l", "1").replace("i", "1")  # "pTlbl": T1b1
    for candidate in (letter + main + sub + extra, letter + main + sub, letter + main + sub[:1]):
        if candidate in kb.values[kind]:
            return candidate
    return letter + main


def _prefix(raw: str | None) -> str:
    return (raw or "").lower()


_T_CORE = re.compile(r"T\s?[0-4XxlIOi]")


_N_CORE = re.compile(r"N\s?[0-3XxOo]")


_M_CORE = re.compile(r"M\s?[01XxOo]")


def _scan(full: re.Pattern[str], core: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """full.finditer(text), faster: `full` is tried only where its category letter (found by
    the literal-led `core`) stands, with up to two prefix characters before it."""
    out: list[re.Match[str]] = []
    last = 0
    for c in core.finditer(text):
        at = c.start()
        for pos in (at - 2, at - 1, at):
            if pos < last:
                continue
            m = full.match(text, pos)
            if m:
                out.append(m)
                last = m.end()
                break
    return out


_PADDING = re.compile(r"\s{2,}")


def _has_context(kb: _KB, text: str, start: int) -> bool:
    """A staging word within the context window before `start`. OCR of a form's columns
    pads lines with runs of spaces; a run counts as one space, as on the page."""
    window = kb.context_window
    if kb.staging_context.search(text, max(0, start - window), start):
        return True
    before = text[max(0, start - 8 * window) : start]
    if not _PADDING.search(before):
        return False
    return kb.staging_context.search(_PADDING.sub(" ", before)[-window:]) is not None


def explicit_hits(text: str) -> list[Hit]:
    """Every T, N and M category the text writes, in order. This is the finder that
    decides whether a report 'states' a category."""
    kb = _kb()
    hits: list[Hit] = []
    taken: list[tuple[int, int]] = []
    for m in _scan(kb.t_token, _T_CORE, text):
        pre = _prefix(m.group("tpre"))
        tv = m.group("tv")
        if kb.not_staging_after.match(text, m.end()):
            continue
        run: list[Hit] = []
        pos = m.end()
        n = kb.n_after.match(text, pos)
        if n and n.group("nv") in "Oo" and not re.match(_O_GUARD, text[n.end() :]):
            n = None
        if n:
            run.append(_n_hit(kb, n, "tnm.explicit.run"))
            pos = n.end()
        mm = kb.m_after.match(text, pos) if n else None
        if mm:
            run.append(_m_hit(kb, mm, "tnm.explicit.run"))
        run = [_group_prefix(h, pre) for h in run]
        strong = pre in ("p", "yp", "yc", "c", "r") or bool(run) or bool(m.group("tsfx"))
        if not strong and _DEFINED_BARE.match(text, m.end()):
            strong = True  # "Extension: T3, Tumor extends beyond the pancreas"
        if not strong and _NOS.match(text, m.end()):
            strong = True  # "T2, NOS": a staging form's category, substage not specified
        if tv in "lIOi" and not strong:
            continue  # "TO THE", "TI": OCR letters only next to a prefix or in a TNM string
        if (
            tv.lower() == "is"
            and not run
            and _SPACED_IS.match(m.group(0))
            and not _IS_END.match(text, m.end())
        ):
            continue  # "rT is'ATC": OCR debris; the spaced "T is" is read only as a unit
        if pre == "a" and not run:
            continue
        if not strong and not _has_context(kb, text, m.start()):
            continue
        value = _normal(kb, "t_category", "T", tv, m.group("tsub") or "")
        rule = "tnm.explicit.t"
        if _HEDGE.search(text, max(0, m.start() - 30), m.start()):
            rule = "tnm.explicit.hedged"
            if _CURRENT.search(text, max(0, m.start() - 80), m.start()):
                rule = "tnm.explicit.current"  # "according to the current TNM ... would be pT3"
        hits.append(Hit("t_category", value, m.start(), m.end(), pre, m.group(0), rule))
        hits.extend(run)
        taken.append((m.start(), run[-1].end if run else m.end()))

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    low = _lower(text)
    for m in _PT_HEADING.finditer(low) if "(pt)" in low else ():
        if free(m.start("tpre"), m.end()):
            value = _normal(kb, "t_category", "T", m.group("tv"), m.group("tsub") or "")
            hits.append(
                Hit(
                    "t_category",
                    value,
                    m.start("tpre"),
                    m.end(),
                    m.group("tpre").lower(),
                    text[m.start("tpre") : m.end()],
                    "tnm.explicit.heading",
                )
            )

    for m in _FIELD.finditer(text) if "tage" in text or "TAGE" in text else ():
        letter = m.group("k").upper()
        value_raw = m.group("v")
        if (letter == "N" and value_raw in "4is") or (letter == "M" and value_raw not in "01Xx"):
            continue
        if m.group("k2") and m.group("k2").upper() != letter:
            continue
        if not free(m.start("v"), m.end()):
            continue
        kind = {"T": "t_category", "N": "n_category", "M": "m_category"}[letter]
        value = _normal(kb, kind, letter, value_raw, m.group("sub") or "")
        pre = _prefix(m.group("pre"))
        hits.append(Hit(kind, value, m.start(), m.end(), pre, m.group(0), "tnm.explicit.field"))
        taken.append((m.start(), m.end()))

    for m in _scan(kb.n_token, _N_CORE, text):
        if not free(m.start(), m.end()):
            continue
        pre = _prefix(m.group("npre"))
        nv = m.group("nv")
        if nv in "Oo" and not pre:
            continue
        if not pre and not _has_context(kb, text, m.start()):
            continue
        if not pre and kb.n_station_after.match(low, m.end()):
            continue  # "sixteen N1 lymph nodes": a class of nodal stations, not the category
        if nv in "Oo" and not re.match(_O_GUARD, text[m.end() :]):
            continue
        hit = _n_hit(kb, m, "tnm.explicit.n")
        hits.append(hit)
        taken.append((m.start(), m.end()))
        mm = kb.m_after.match(text, m.end())
        if mm:
            hits.append(_group_prefix(_m_hit(kb, mm, "tnm.explicit.run"), hit.prefix))
            taken.append((mm.start(), mm.end()))
    for m in _scan(kb.m_token, _M_CORE, text):
        if not free(m.start(), m.end()):
            continue
        pre = _prefix(m.group("mpre"))
        mv = m.group("mv")
        if not pre and (mv in "Oo" or not _has_context(kb, text, m.start())):
            continue
        hits.append(_m_hit(kb, m, "tnm.explicit.m"))
    hits.sort(key=lambda h: h.start)
    return _drop_option_lists(text, hits)


# "pT is" (in situ, written with a space) stands alone: a separator or the end follows.
_SPACED_IS = re.compile(r".*T\s(?:is|IS)", re.DOTALL)


_IS_END = re.compile(r"\s*(?:[,;.)/]|$)")


# "formally pT4 according to the 2002 scheme, but ... designated pT3": a category
# mentioned only to be set aside.
_HEDGE = re.compile(
    r"\b(?:formally|technically|would\s+be|would\s+qualify\s+as|could\s+be)\W{0,3}$",
    re.IGNORECASE,
)


# "According to the actual TNM classification it would be pT3": the category restated under
# the current edition of the classification (German "aktuell": current) supersedes the one
# first written (AJCC 8th ch. 1: a case is staged by the edition in use).
_CURRENT = re.compile(
    r"according\s+to\s+the\s+(?:actual|current|new|newest|latest|present)\s+"
    r"(?:tnm|ajcc|uicc)",
    re.IGNORECASE,
)


def _n_hit(kb: _KB, m: re.Match[str], rule: str) -> Hit:
    sfx = (m.group("nsfx") or "").replace(" ", "")
    extra = sfx if sfx in ("(i+)", "mi") else ""
    value = _normal(kb, "n_category", "N", m.group("nv"), m.group("nsub") or "", extra)
    start = m.start("npre") if m.group("npre") else m.start("nv") - 1
    while not m.group("npre") and start > m.start() and m.string[start] != "N":
        start -= 1  # back over a space between the letter and the digit ("N 1")
    written = m.string[start : m.end()].strip()
    return Hit("n_category", value, start, m.end(), _prefix(m.group("npre")), written, rule)


# AJCC 8th (ch. 1): a prefix written once before a TNM group ("cT2a N2 M1b", "pT2 N1a")
# classifies the whole group. The M category takes it only when clinical or recurrent: "pM0"
# is not a valid category and a pathological M needs a microscopically proven metastasis,
# which a pT written before the group does not show.
_M_TAKES = frozenset({"c", "yc", "r"})


def _group_prefix(hit: Hit, prefix: str) -> Hit:
    """The hit with the prefix of its group when it has none of its own."""
    if not prefix or hit.prefix:
        return hit
    if hit.kind == "m_category" and prefix not in _M_TAKES:
        return hit
    return replace(hit, prefix=prefix, inherited=True)


def _m_hit(kb: _KB, m: re.Match[str], rule: str) -> Hit:
    value = _normal(kb, "m_category", "M", m.group("mv"), m.group("msub") or "")
    start = m.start("mpre") if m.group("mpre") else m.string.rfind("M", m.start(), m.start("mv"))
    written = m.string[start : m.end()].strip()
    return Hit("m_category", value, start, m.end(), _prefix(m.group("mpre")), written, rule)
