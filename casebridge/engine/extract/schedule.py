"""Schedule qualifiers of a medicine or a drug of a regimen, kept as written and normalised:
"days 2–4", "days 1 and 8", "Mon/Wed/Fri", "on dexamethasone days only", "when required",
"for 3 days then when required" (words in knowledge/schedules.yaml, BNF conventions).

`schedule_after(text, start, end)` reads them from text[start:end] (the words after a dose)
and returns them joined by ", ", or "" when there are none.
"""

from __future__ import annotations

import re
from functools import lru_cache

from casebridge.engine.extract.status import not_needed
from casebridge.engine.kb import load

_NUM = r"\d{1,2}"


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    data = load("schedules")
    days = {str(k): str(v) for k, v in data["weekdays"].items() if k != "src"}
    day_alt = "|".join(sorted(map(re.escape, days), key=len, reverse=True))
    prn = "|".join(
        sorted((re.escape(str(w)) for w in data["when_required"]), key=len, reverse=True)
    )
    return [
        (
            "days",
            re.compile(
                rf"(?i)\b(?:on\s+)?days?\s+(?P<list>{_NUM}(?:\s*(?:-|–|to|and|,|&)\s*{_NUM})*)\b"
            ),
        ),
        (
            "weekdays",
            re.compile(
                rf"(?i)\b(?:(?P<on>weekly\s+on|week\s+on|on|every)\s+)?"
                rf"(?P<list>(?:{day_alt})(?:\s*(?:/|,|and|&)\s*(?:{day_alt}))*)\b"
            ),
        ),
        (
            "only",
            re.compile(
                r"(?i)\b(?:on\s+(?P<a>[A-Za-z][\w-]{2,30})\s+days\s+only"
                r"|only\s+on\s+(?P<b>[A-Za-z][\w-]{2,30})\s+days)\b"
            ),
        ),
        ("duration", re.compile(r"(?i)\bfor\s+(?P<n>\d{1,3})\s+(?:more\s+)?(?P<u>days?|weeks?)\b")),
        ("prn", re.compile(rf"(?i)(?<!\w)(?:then\s+)?(?:{prn})(?!\w)")),
    ]


@lru_cache(maxsize=1)
def _weekdays() -> dict[str, str]:
    names = load("schedules")["weekdays"]
    return {str(k).lower(): str(v) for k, v in names.items() if k != "src"}


def schedule_after(text: str, start: int, end: int, *, frequency: str = "") -> str:
    """The schedule qualifiers written in text[start:end], normalised, in reading order."""
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for name, pattern in _patterns():
        for m in pattern.finditer(text, start, end):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            if name == "duration" and not_needed(text, m.start()):
                continue  # "(not needed for 3 weeks)": how long it was not used
            shown = _normal(name, m, frequency)
            if shown:
                taken.append(m.span())
                found.append((m.start(), shown))
    return ", ".join(s for _, s in sorted(found))


def _recurring(before: str | None, day: str) -> bool:
    """Whether one weekday names a recurring day: "every Monday", "once weekly on Sunday",
    or a plural ("on Sundays")."""
    word = (before or "").lower()
    return word.startswith(("every", "week")) or (len(day) > 5 and day.lower().endswith("s"))


def _normal(name: str, m: re.Match[str], frequency: str) -> str:
    if name == "days":
        items = re.split(r"\s*(and|,|&)\s*", m.group("list"))
        parts = [re.sub(r"\s*(?:-|–|to)\s*", "–", p) for p in items if p not in ("and", ",", "&")]
        word = "day" if len(parts) == 1 and "–" not in parts[0] else "days"
        return f"{word} " + (" and ".join(parts) if len(parts) <= 2 else ", ".join(parts))
    if name == "weekdays":
        names = [n for n in re.split(r"\s*(?:/|,|and|&)\s*", m.group("list")) if n]
        if len(names) == 1 and not _recurring(m.group("on"), names[0]):
            return ""  # "on Monday" is a date, "on Mondays" or "every Monday" a schedule
        return "/".join(_weekdays().get(n.lower(), n) for n in names if n)
    if name == "only":
        return f"on {(m.group('a') or m.group('b')).lower()} days only"
    if name == "duration":
        return f"for {m.group('n')} {m.group('u').lower()}"
    if name == "prn":
        if re.search(r"(?i)required|needed|prn", frequency):
            return ""  # already the frequency
        return "then when required" if m.group().lower().startswith("then") else "when required"
    return ""
