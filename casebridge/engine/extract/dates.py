"""UK (day-first) dates in the forms clinical documents use, as (ISO, precision).

    12/03/2024, 12.03.24, 12-3-2024      -> ("2024-03-12", "day")   day first, always
    03/25/2024                           -> ("2024-03-25", "day")   month first only when
                                                                    the day-first reading is
                                                                    impossible (25 > 12)
    12 March 2024, 12th Mar 2024, March 12, 2024, 12-Mar-2024  -> day precision
    March 2024, Mar-2024                 -> ("2024-03", "month")
    2024-03-12, 2024/03/12               -> ISO, day precision
    in 2019, since 2019, (2019)          -> ("2019", "year"), only in a date-like context

Impossible dates (31/02/2024, 00/01/2024) are rejected, never guessed.
Two-digit years pivot on the current year: 24 -> 2024, 45 -> 1945.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

MONTHS: dict[str, int] = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}

# "May" is only a month when capitalised ("may 20 mg" is a verb and a dose).
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|(?-i:May|MAY)|June?|July?"
    r"|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])"
_YEAR4 = r"(?:19|20)\d\d"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # 2024-03-12, 2024/03/12
    (
        "iso",
        re.compile(
            rf"(?<![\w./-])(?P<y>{_YEAR4})(?P<s>[-/.])(?P<m>0?[1-9]|1[0-2])(?P=s)(?P<d>{_DAY})"
            r"(?![\w/]|[.-]\d)"
        ),
    ),
    # the first month of a range that states its year only once:
    # "February to June 2022", "12 Nov - 3 Feb 2024" (the first is read as "February 2022")
    (
        "range_start",
        re.compile(
            rf"(?<![\w./-])(?:(?P<d>{_DAY})(?:st|nd|rd|th)?\s+)?(?P<m>{_MONTH})\.?"
            rf"(?=\s*(?:-|–|to|until|till)\s*(?:(?P<d2>{_DAY})(?:st|nd|rd|th)?\s+)?"
            rf"(?P<m2>{_MONTH})\.?,?\s+(?P<y>{_YEAR4})(?![\w/]|[.-]\d))",
            re.IGNORECASE,
        ),
    ),
    # 12/03/2024, 12.03.24, 12-3-2024
    (
        "numeric",
        re.compile(
            r"(?<![\w./-])(?P<a>\d{1,2})(?P<s>[/.-])(?P<b>\d{1,2})(?P=s)(?P<y>\d{4}|\d{2})"
            r"(?![\w/]|[.-]\d)"
        ),
    ),
    # 12 March 2024, 12th of Mar. 2024, 12-Mar-24, 12Mar2024
    (
        "dmy",
        re.compile(
            rf"(?<![\w./-])(?P<d>{_DAY})(?:st|nd|rd|th)?(?:\s+of)?[\s-]*(?P<m>{_MONTH})\.?,?"
            rf"[\s-]*(?P<y>{_YEAR4}|'?\d{{2}})(?![\w/]|[.-]\d)",
            re.IGNORECASE,
        ),
    ),
    # March 12, 2024 / March 12th 2024 (a month name makes the order unambiguous)
    (
        "mdy",
        re.compile(
            rf"(?<![\w./-])(?P<m>{_MONTH})\.?\s+(?P<d>{_DAY})(?:st|nd|rd|th)?,?\s+"
            rf"(?P<y>{_YEAR4})(?![\w/]|[.-]\d)",
            re.IGNORECASE,
        ),
    ),
    # March 2024, Mar-2024, March, 2024
    (
        "my",
        re.compile(
            rf"(?<![\w./-])(?P<m>{_MONTH})\.?,?[\s-]+(?P<y>{_YEAR4})(?![\w/]|[.-]\d)",
            re.IGNORECASE,
        ),
    ),
    # 03/2024 (month/year)
    (
        "numeric_my",
        re.compile(r"(?<![\w./-])(?P<m>0?[1-9]|1[0-2])/(?P<y>(?:19|20)\d\d)(?![\w/]|[.-]\d)"),
    ),
]

# A bare year counts only after words that make it a date ("in 2019", "since 2019", "(2019)").
_YEAR = re.compile(r"(?P<y>(?:19|20)\d\d)(?![\w/%]|[.-]\d|\s*(?i:mg|g|ml|cm|mm|units?)\b)")
_YEAR_CUE = re.compile(
    r"(?i)(?:\b(?:in|since|from|until|till|during|by|early|late|mid|summer|winter|spring"
    r"|autumn|year|circa|c\.|to|diagnosed)\s+|\bmid-|\(\s*)$"
)

# Cheap anchors: the full patterns run only in small windows around them (scanning a
# page once per anchor kind instead of once per pattern keeps extraction fast).
_NUM_ANCHOR = re.compile(r"\d[/.\-]\d")
_MONTH_ANCHOR = re.compile(r"(?i)(?=[adfjmnos])\b" + _MONTH)
_FAMILY = {
    "iso": "num",
    "range_start": "month",
    "numeric": "num",
    "dmy": "month",
    "mdy": "month",
    "my": "month",
    "numeric_my": "num",
}
_REACH = {"num": (6, 14), "month": (16, 34)}  # characters before / after an anchor

_PIVOT = (_dt.date.today().year % 100) + 1  # two-digit years up to next year are 20xx


@dataclass(frozen=True)
class DateMatch:
    start: int
    end: int
    iso: str
    precision: str  # day, month, year
    text: str


def _year(raw: str) -> int:
    raw = raw.lstrip("'")
    y = int(raw)
    if len(raw) == 2:
        y += 2000 if y <= _PIVOT else 1900
    return y


def _iso(y: int, m: int, d: int | None) -> str | None:
    if not 1900 <= y <= 2099:
        return None
    if d is None:
        return f"{y:04d}-{m:02d}" if 1 <= m <= 12 else None
    try:
        return _dt.date(y, m, d).isoformat()
    except ValueError:
        return None


def _month(name: str) -> int:
    return MONTHS[name[:3].lower()]


def _convert(form: str, m: re.Match[str]) -> tuple[str, str] | None:
    g = m.groupdict()
    if form == "iso":
        iso = _iso(int(g["y"]), int(g["m"]), int(g["d"]))
        return (iso, "day") if iso else None
    if form == "numeric":
        a, b, y = int(g["a"]), int(g["b"]), _year(g["y"])
        if g["s"] == "." and len(g["y"]) == 2 and b > 12:
            return None  # "12.13.14" is a version or a measurement, not a date
        if b <= 12:
            iso = _iso(y, b, a)  # day first, the UK convention
        elif a <= 12:
            iso = _iso(y, a, b)  # only month-first reading is possible
        else:
            iso = None
        return (iso, "day") if iso else None
    if form in ("dmy", "mdy"):
        iso = _iso(_year(g["y"]), _month(g["m"]), int(g["d"]))
        return (iso, "day") if iso else None
    if form in ("my", "numeric_my"):
        month = _month(g["m"]) if form == "my" else int(g["m"])
        iso = _iso(_year(g["y"]), month, None)
        return (iso, "month") if iso else None
    if form == "range_start":
        y, m1, m2 = int(g["y"]), _month(g["m"]), _month(g["m2"])
        if m1 > m2:
            y -= 1  # "November to February 2024" starts in November 2023
        if g["d"]:
            iso = _iso(y, m1, int(g["d"]))
            return (iso, "day") if iso else None
        iso = _iso(y, m1, None)
        return (iso, "month") if iso else None
    return None


def find_dates(text: str, start: int = 0, end: int | None = None) -> list[DateMatch]:
    """Every date in text[start:end], left to right, without overlaps (the most
    precise reading of a span wins: "12 March 2024" is one date, not also "March 2024")."""
    stop = len(text) if end is None else end
    found: list[DateMatch] = []
    taken: list[tuple[int, int]] = []
    windows = {
        family: _windows(anchor, text, start, stop, *_REACH[family])
        for family, anchor in (("num", _NUM_ANCHOR), ("month", _MONTH_ANCHOR))
    }
    for form, pattern in _PATTERNS:
        for lo, hi in windows[_FAMILY[form]]:
            pos = lo
            while True:
                m = pattern.search(text, pos, hi)
                if m is None:
                    break
                s, e = m.span()
                if any(s < te and ts < e for ts, te in taken):
                    pos = s + 1  # a date may start inside a longer, rejected reading
                    continue
                pos = e
                taken.append((s, e))  # an impossible date is rejected whole, not re-read
                parsed = _convert(form, m)
                if parsed is None:
                    continue
                found.append(DateMatch(s, e, parsed[0], parsed[1], m.group()))
    for m in _YEAR.finditer(text, start, stop):
        s, e = m.span()
        glued = s > 0 and (text[s - 1].isalnum() or text[s - 1] in "./-_")
        if glued and text[max(0, s - 4) : s].lower() != "mid-":
            continue
        if any(s < te and ts < e for ts, te in taken):
            continue
        if not _YEAR_CUE.search(text, max(start, s - 12), s):
            continue
        taken.append((s, e))
        found.append(DateMatch(s, e, m.group("y"), "year", m.group()))
    found.sort(key=lambda d: d.start)
    return found


def _windows(
    anchor: re.Pattern[str], text: str, start: int, stop: int, before: int, after: int
) -> list[tuple[int, int]]:
    """Merged [lo, hi) windows around every anchor match in text[start:stop]."""
    out: list[tuple[int, int]] = []
    for m in anchor.finditer(text, start, stop):
        lo, hi = max(start, m.start() - before), min(stop, m.end() + after)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def parse_date(text: str) -> tuple[str, str] | None:
    """The one date a short string holds, as (ISO, precision), or None.
    A bare year is accepted here, since the caller says the string is a date."""
    stripped = text.strip().rstrip(".,;")
    if re.fullmatch(r"(?:19|20)\d\d", stripped):
        return stripped, "year"
    # The engine's own ISO month ("2024-03") and the compact ISO/DICOM form
    # ("20240312"): never read out of prose, only from a value said to be a date.
    if re.fullmatch(r"(?:19|20)\d\d-(?:0[1-9]|1[0-2])", stripped):
        return stripped, "month"
    compact = re.fullmatch(r"((?:19|20)\d\d)(0[1-9]|1[0-2])([0-3]\d)", stripped)
    if compact:
        try:
            day = _dt.date(int(compact[1]), int(compact[2]), int(compact[3]))
        except ValueError:
            return None
        return day.isoformat(), "day"
    dates = find_dates(stripped)
    if len(dates) == 1 and dates[0].start == 0 and dates[0].end == len(stripped):
        return dates[0].iso, dates[0].precision
    return None


_LEAD = re.compile(r"[\s:=\-–,]*")


def date_at(text: str, pos: int, limit: int = 40) -> DateMatch | None:
    """The date starting at `pos` (after optional spaces and punctuation), if any."""
    m = _LEAD.match(text, pos)
    begin = m.end() if m else pos
    for d in find_dates(text, begin, min(len(text), begin + limit)):
        return d if d.start == begin else None
    return None


def first_day(iso: str) -> _dt.date | None:
    """The first day an ISO date of any precision ("2024", "2024-03", "2024-03-12") can mean."""
    parts = iso.split("-")
    try:
        return _dt.date(
            int(parts[0]),
            int(parts[1]) if len(parts) > 1 else 1,
            int(parts[2][:2]) if len(parts) > 2 else 1,
        )
    except (ValueError, IndexError):
        return None


def last_day(iso: str) -> _dt.date | None:
    """The last day an ISO date of any precision can mean."""
    first = first_day(iso)
    if first is None:
        return None
    parts = iso.split("-")
    if len(parts) == 1:
        return _dt.date(first.year, 12, 31)
    if len(parts) == 2:
        nxt = _dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        return nxt - _dt.timedelta(days=1)
    return first


def is_after(iso: str, ref: str) -> bool:
    """Whether every day `iso` can mean comes after every day `ref` can mean
    ("2026-09-21" is after "2026-09-08"; "2026-09" is not after "2026-09-08")."""
    a, b = first_day(iso), last_day(ref)
    return a is not None and b is not None and a > b


def is_before(iso: str, ref: str) -> bool:
    """Whether every day `iso` can mean comes before every day `ref` can mean."""
    a, b = last_day(iso), first_day(ref)
    return a is not None and b is not None and a < b


def add_days(iso: str, days: int) -> str | None:
    """A day-precision ISO date moved by `days`; None for a date less precise than a day."""
    if len(iso.split("-")) != 3:
        return None
    day = first_day(iso)
    return (day + _dt.timedelta(days=days)).isoformat() if day else None
