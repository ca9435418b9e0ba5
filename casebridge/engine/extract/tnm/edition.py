"""The TNM edition: the one the report writes ("AJCC 8th edition"), and the one that applies
when it writes none (the edition in force on the document's date).

Separate because T inference reads it to settle where the AJCC editions disagree.
"""

from __future__ import annotations

import re

from casebridge.engine.extract.tnm.knowledge import _kb, _lower
from casebridge.engine.extract.tnm.written import Hit

_EDITION_SYSTEM = re.compile(r"(?P<sys>ajcc|uicc|tnm)[\s,(:\-]{0,4}$")


def _edition_hits(text: str) -> list[Hit]:
    kb = _kb()
    out: list[Hit] = []
    low = _lower(text)
    if "ed" not in low and "ajcc" not in low:
        return out
    for m in kb.edition.finditer(low):
        start = m.start()
        if m.group("ord"):
            ed = kb.ordinals.get(m.group("ord"))
            sys_m = _EDITION_SYSTEM.search(low, max(0, start - 9), start)
            system = sys_m.group("sys").upper() if sys_m else ""
            if sys_m:
                start = sys_m.start()
        else:
            ed = kb.years.get(m.group("year") or "")
            system = "AJCC"
        if not ed:
            continue
        if not system:
            near = low[max(0, m.start() - 40) : m.start()]
            system = "AJCC" if "ajcc" in near else "UICC" if "uicc" in near else ""
            if not system and "tnm" not in near and "stag" not in near:
                # "7th edition" alone, with no staging word near, is some other book.
                after = low[m.end() : m.end() + 30]
                if "tnm" not in after and "ajcc" not in after and "stag" not in after:
                    continue
        if system == "TNM":
            system = ""
        value = f"{system} {ed}".strip()
        written = text[start : m.end()]
        out.append(Hit("tnm_edition", value, start, m.end(), "", written, "tnm.edition"))
    return out


def _edition_of(text: str) -> str | None:
    eds = {h.value.split()[-1] for h in _edition_hits(text)}
    return eds.pop() if len(eds) == 1 else None


# The year from which each AJCC edition applies (cases diagnosed from 1 January).
_EDITION_FROM = ((2018, "8th"), (2010, "7th"), (2003, "6th"), (1998, "5th"))


def resolve_edition(text: str, document_date: str | None = None) -> tuple[str | None, str]:
    """(edition, basis) used where the editions disagree: the edition the report writes;
    else the one in force on the document's date (AJCC 8th for cases from 1 January 2018,
    7th from 2010, 6th from 2003, 5th from 1998); else `undated_edition` of
    ajcc_t_rules.yaml, which is null: (None, "not stated"), and a T is then inferred only
    where the editions agree (see infer_t)."""
    written = _edition_of(text)
    if written:
        return written, "written"
    year = (document_date or "")[:4]
    if year.isdigit():
        for since, edition in _EDITION_FROM:
            if int(year) >= since:
                return edition, "dated"
        return None, "not stated"
    if _kb().undated_edition:
        return _kb().undated_edition, "assumed"
    return None, "not stated"
