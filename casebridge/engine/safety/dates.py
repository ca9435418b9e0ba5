"""Dates in a text for the emergency screen: is a phrase dated before the screen's
`recent_days`? A full date, a Chinese year ("2019年"), a month with no year ("in
September", "3月"), a day and month ("10 November"), or "three weeks ago" / "两个月前";
a month or day named without a year means its latest occurrence up to today.
"""

from __future__ import annotations

import datetime as _dt
import re

from casebridge.engine.safety.quantities import NUM, number
from casebridge.engine.timeline import find_dates, latest_date

_UNIT_DAYS = {
    "day": 1,
    "天": 1,
    "日": 1,
    "week": 7,
    "周": 7,
    "星期": 7,
    "fortnight": 14,
    "month": 30,
    "个月": 30,
    "月": 30,
    "year": 365,
    "年": 365,
}
_AGO = re.compile(
    NUM
    + r"\s*\+?\s*(days?|weeks?|fortnights?|months?|years?|天|日|周|星期|个月|月|年)\s*(?:ago|前|以前|之前)",
    re.IGNORECASE,
)
_ZH_YEAR = re.compile(r"((?:19|20)\d\d)\s*年")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
# "in September", "last March", "back in June": a month with no day (find_dates reads
# full dates); "may" only after a preposition, being also a verb
_EN_MONTH = re.compile(
    r"\b(?:in|last|since|back in|during|from|early|late|mid|end of|start of|beginning of)\s+"
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b",
    re.IGNORECASE,
)
_EN_YEAR_AFTER = re.compile(r"\s*,?\s*(?:19|20)\d\d")
# A day and month without a year ("given 10 November", "on 6th Nov"): its latest
# occurrence up to today.
_EN_DAY_MONTH = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
    r"|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+(\d{1,2})(?:st|nd|rd|th)?\b(?!\s*[:.]\d)",
    re.IGNORECASE,
)
# The part of a month a prefix names: "early November" was over by the 10th.
_MONTH_PART_DAY = {"early": 10, "start of": 10, "beginning of": 10, "mid": 20}
_ZH_MONTH = re.compile(r"(?<![\d年])(\d{1,2})\s*月(?:份|初|中|底|末)?(?!\d)")


def dated_past(piece: str, today: _dt.date, limit: _dt.date, recent_days: int) -> bool:
    """Does a date in `piece` (a full date, a year, a month, a day and month, "three
    weeks ago") fall wholly before `limit`?"""
    for _s, _e, iso, _precision in find_dates(piece):
        last = latest_date(iso)
        if last is not None and last < limit:
            return True
    for m in _ZH_YEAR.finditer(piece):
        if int(m.group(1)) < limit.year:
            return True
    for m in _EN_MONTH.finditer(piece):
        month = _MONTHS[m.group(1).lower()[:3]]
        if _EN_YEAR_AFTER.match(piece, m.end()):
            continue  # "March 2026": find_dates read it
        prefix = m.group(0)[: m.start(1) - m.start()].strip().lower()
        if _month_past(today, limit, month, _MONTH_PART_DAY.get(prefix)):
            return True
    for m in _EN_DAY_MONTH.finditer(piece):
        if _EN_YEAR_AFTER.match(piece, m.end()):
            continue
        day, name = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        if 1 <= int(day) <= 31 and _month_past(today, limit, _MONTHS[name.lower()[:3]], int(day)):
            return True
    for m in _ZH_MONTH.finditer(piece):
        month = int(m.group(1))
        no_year = not _ZH_YEAR.search(piece[max(0, m.start() - 6) : m.start()])
        if 1 <= month <= 12 and no_year and _month_past(today, limit, month):
            return True
    for m in _AGO.finditer(piece):
        n = number(m.group(1))
        unit = m.group(2).lower().rstrip("s")
        days = _UNIT_DAYS.get(
            unit, _UNIT_DAYS.get(unit[:1] if unit[:1] in "天日周月年" else unit, 1)
        )
        if n is not None and n * days > recent_days:
            return True
    return False


def _month_past(today: _dt.date, limit: _dt.date, month: int, day: int | None = None) -> bool:
    """A month (or a day of it) named without a year means its latest occurrence up
    to today; is all of it older than recent_days?"""
    year = today.year if month <= today.month else today.year - 1
    last = _dt.date(year + month // 12, month % 12 + 1, 1) - _dt.timedelta(days=1)
    if day is not None:
        last = last.replace(day=min(day, last.day))
        if last > today:
            last = last.replace(year=last.year - 1)
    return last < limit
