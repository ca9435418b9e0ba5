"""Numbers in a text for the emergency screen: measured values ("corrected calcium 3.41
mmol/L", "temp 101F", "体温38.5℃", "plts 15") and counts of episodes ("diarrhoea x8",
"vomited six times", "腹泻每天8次"), with the checks that keep a number from being read
as something else: a range ("3.5-5.3"), a date or score ("12/11", "9/10", "Gleason 3+4"),
another unit ("3.2 cm"), a grade ("grade 3 diarrhoea"), a reference range it sits inside.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from casebridge.engine.safety.rules import Count, Numeric

Stated = Callable[[str, int, int], bool]

_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "once": 1,
    "two": 2,
    "twice": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "twenty": 20,
    "several": 3,
    "a couple of": 2,
    "a few": 3,
}
_ZH_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
NUM = (
    r"(\d{1,3}|a couple of|a few|several|once|twice|one|two|three|four|five|six|seven|eight|nine"
    r"|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|twenty|[一二两三四五六七八九十几]{1,3}|半)"
)

# Episodes next to a count label.
_TIMES = r"(?:x|×|\*)\s*" + NUM + r"(?!\s*(?:days?|weeks?|/7|天|周))"
_COUNT_AFTER = re.compile(
    r"^[^.;。；\n]{0,40}?(?:"
    + _TIMES
    + r"|"
    + NUM
    # "十来次", "十多次": about ten, more than ten
    + r"\s*(?:来|多|余)?\s*\+?\s*(?:times|episodes?|bouts?|次|回|趟|x?\s*(?:a|per|/)\s*(?:day|24 ?h))|(?:每天|每日|一天|日|今天|昨天|昨晚)\s*"
    + NUM
    + r"\s*(?:来|多|余)?\s*次)",
    re.IGNORECASE,
)
_COUNT_BEFORE = re.compile(
    NUM + r"\s*\+?\s*(?:x\s*)?(?:episodes?\s+of\s+|bouts?\s+of\s+|lots\s+of\s+|times\s+)?"
    r"(?:(?:loose|watery|liquid|runny|bloody)\s+)?$",
    re.IGNORECASE,
)

# Between a label and its value a few words ("temp of 38.1", "sats only 88%", "体温最高
# 39.2℃") but no word that makes the number something else ("Ca ... grade 3", "cycle 2").
_VALUE = re.compile(
    r"(?![A-Za-z])((?:[^\d\n.;。；]|\.(?!\s)){0,40}?)"
    r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d{1,4}(?:[.·]\d{1,2})?)(?![\d])"
)
_UNIT_AFTER = re.compile(
    r"\s?(?:%|°\s?[CF]?|℃|度|mmol/?L|µmol/?L|umol/?L|U/L|[x×]\s?10\^?9/L|×10⁹/L|/min|bpm)", re.I
)
_LISTED = re.compile(r"[,，、]\s*[A-Za-z\u4e00-\u9fff]")  # "K+, urate and phosphate at 6"
_LETTERS = re.compile(r"[A-Za-z]+")
# Words that say where a value comes from do not put it further from its label:
# "potassium on yesterday's bloods was 6.4".
_FROM_TEST = re.compile(
    r"\b(?:on|in|from)\s+(?:(?:yesterday|today|this morning|last night|last week|the|his|her|my|"
    r"their|latest|recent|repeat|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"(?:'?s)?\s+){1,2}(?:bloods?|blood tests?|results?|samples?|tests?|check)\b",
    re.IGNORECASE,
)
_OTHER_NUMBER = re.compile(
    r"\b(?:grade|stage|cycles?|days?|doses?|aged?|years?|weeks?|months?|hours?|hrs?|mins?|"
    r"minutes?|cm|mm|mg|score|AUC|no|number|bed|room|ward|x|times|episodes?|litres?|L)\b"
    r"|第|周期|岁|年|月|天|级|期|次",
    re.IGNORECASE,
)
_OTHER_UNIT = re.compile(
    r"\s*(?:cm|mm|m|km|kg|g|mg|mcg|ug|µg|ml|mL|l|L(?!/)|years?|yrs?|y/?o|weeks?|wks?|days?|"
    r"hours?|hrs?|h|mins?|minutes?|x|×|times|cycles?|doses?|U/L|IU|iu|ng|pg|units?|岁|年|天|周|月|次|个|厘米|毫米|毫克)(?![A-Za-z/])"
)
# the units a measurement is written in, which _OTHER_UNIT would otherwise refuse
_OWN_UNIT = {
    "count": re.compile(r"\s*[x×]"),
    "enzyme": re.compile(r"\s*(?:U/L|IU|iu|units?/L)", re.IGNORECASE),
}
_RANGE_AFTER = re.compile(
    r"^\s*(?:[a-zA-Z/^⁹µ×x0-9\s]{0,14}?)?\s*[(\[]\s*(?:ref\w*\.?(?:\s*range)?:?|normal:?|nr:?|参考值:?|参考范围:?)?\s*"
    r"(\d+(?:\.\d+)?)\s*(?:-|–|~|to|至)\s*(\d+(?:\.\d+)?)",
    re.IGNORECASE,
)


_GRADE_BEFORE = re.compile(r"(?:grade|G|CTCAE|gr\.?)\s*\d\s*$|(?:\d|I|V|Ⅲ|Ⅳ)\s*(?:级|度)\s*$", re.I)
_GRADE_AFTER = re.compile(r"^\s*(?:\d|I{1,3}|IV|Ⅲ|Ⅳ)\s*(?:级|度)")


def number(word: str) -> float | None:
    """A count written in digits, English words or Chinese numerals."""
    w = word.strip().lower()
    if w.isdigit():
        return float(w)
    if w in _WORDS:
        return float(_WORDS[w])
    if w == "半":
        return 0.5
    if w and all(c in _ZH_DIGITS or c in "十几" for c in w):
        w = w.replace("几", "五" if "十" in w else "三")  # "十几次" more than ten, "几次" a few
        if "十" in w:
            tens, _, units = w.partition("十")
            return float(_ZH_DIGITS.get(tens, 1) * 10 + _ZH_DIGITS.get(units, 0))
        # "七八次" (seven or eight): the larger, a missed emergency being the worse error
        return float(max(_ZH_DIGITS[c] for c in w))
    return None


# A temperature said in words, as a voice transcript writes it: "三十八度二" (38.2),
# "三十九度", "三十八点五度"; read only after a word of measuring or fever.
_ZH_TEMP = re.compile(
    r"([三四])十([一二三四五六七八九])?(?:度([一二三四五六七八九])?|点([一二三四五六七八九])度?)"
)
_ZH_TEMP_CUE = re.compile(r"量|测|烧|体温|发热|温度|表上")


def _zh_temperatures(spec: Numeric, text: str) -> list[tuple[int, int, float, bool]]:
    out = []
    for m in _ZH_TEMP.finditer(text):
        if not _ZH_TEMP_CUE.search(text, max(0, m.start() - 10), m.start()):
            continue
        tens, units, tenth_a, tenth_b = m.groups()
        tenth = tenth_a or tenth_b
        value = (
            _ZH_DIGITS[tens] * 10
            + (_ZH_DIGITS[units] if units else 0)
            + (_ZH_DIGITS[tenth] / 10 if tenth else 0.0)
        )
        if spec.low <= value <= spec.high:
            out.append((m.start(), m.end(), value, False))
    return out


def readings(spec: Numeric, text: str) -> list[tuple[int, int, float, bool]]:
    """Every value of the measurement in the text: (label start, value end, value in the
    rule's unit, inside its own written reference range). A range, a date, a score, a
    time or a number in another unit is not a value."""
    out: list[tuple[int, int, float, bool]] = []
    for m in spec.labels.finditer(text):
        v = _VALUE.match(text, m.end())
        if v is None:
            continue
        # where the value comes from says nothing of what it is ("on last week's bloods")
        between = _FROM_TEST.sub(" ", v.group(1))
        if _OTHER_NUMBER.search(between) or _LISTED.search(between):
            continue
        if len(_LETTERS.findall(between)) > 3:
            continue  # too many words between: the number is about something else
        raw = v.group(2).replace("·", ".")
        after = text[v.end() : v.end() + 40]
        if re.match(r"\s*(?:[-–~]|to\s)\s*\d", after):
            continue  # a range, not a value: "3.5-5.3"
        if spec.unit != "pressure" and re.match(r"\s*/\s*\d", after):
            continue  # a date or a score: "12/11", "9/10"
        if re.match(r"\s*:\d\d", after):
            continue  # a time
        if re.match(r"\s*\+\s*\d", after):
            continue  # a score: "Gleason 3+4"
        own = _OWN_UNIT.get(spec.unit)
        if _OTHER_UNIT.match(after) and not (own and own.match(after)):
            continue  # another measurement: "3.2 cm", "40 mg"
        value = _convert(spec.unit, float(raw.replace(",", "")), after)
        if not spec.low <= value <= spec.high:
            continue
        ref = _RANGE_AFTER.match(after)
        inside = bool(ref and float(ref.group(1)) <= value <= float(ref.group(2)))
        unit = _UNIT_AFTER.match(text, v.end())
        out.append((m.start(), unit.end() if unit else v.end(), value, inside))
    if spec.unit == "temperature":
        out += _zh_temperatures(spec, text)
    return sorted(out)


def _beyond(spec: Numeric, value: float) -> bool:
    return not (
        (spec.above is not None and value < spec.above)
        or (spec.below is not None and value > spec.below)
    )


def find_values(spec: Numeric, text: str, stated: Stated) -> list[tuple[int, int]]:
    """(start, end) of every value at or beyond the rule's threshold, stated now. A
    later reading of the same test that is not beyond it supersedes the earlier ones:
    "K+ 6.1 on yesterday's sample, haemolysed; repeat this morning K+ 4.6"."""
    out: list[tuple[int, int]] = []
    normal_at: list[int] = []  # where a reading within the threshold was written
    for start, end, value, inside in readings(spec, text):
        if not _beyond(spec, value) or inside:
            normal_at.append(start)  # within the threshold, or its own reference range
            continue
        if stated(text, start, end):
            out.append((start, end))
    return [(a, b) for a, b in out if not any(n > b for n in normal_at)]


def score_total(
    parts: list[tuple[Numeric, list[tuple[float, int]]]], text: str, stated: Stated
) -> tuple[int, int, list[tuple[int, int]]]:
    """An early-warning score (NEWS2) from the observations written: each part's latest
    stated reading scores the points of its band (bands: (upper bound, points), the
    first whose bound the value does not exceed). (total, parts read, their spans)."""
    total, read, spans = 0, 0, []
    for spec, bands in parts:
        values = [(a, b, v) for a, b, v, _inside in readings(spec, text) if stated(text, a, b)]
        if not values:
            continue
        a, b, value = values[-1]
        points = next((p for bound, p in bands if value <= bound), bands[-1][1])
        total += points
        read += 1
        spans.append((a, b))
    return total, read, spans


def find_counts(spec: Count, text: str, stated: Stated) -> list[tuple[int, int]]:
    """(start, end) of every episode count within the rule's bounds, stated now."""
    out = []
    for m in spec.labels.finditer(text):
        found = None
        a = _COUNT_AFTER.match(text[m.end() : m.end() + 60])
        if a:
            word = next(g for g in a.groups() if g)
            found = (number(word), m.end() + a.end())
        else:
            b = _COUNT_BEFORE.search(text[max(0, m.start() - 30) : m.start()])
            if b:
                found = (number(b.group(1)), m.end())
        if found is None:
            continue
        if _GRADE_BEFORE.search(text[max(0, m.start() - 14) : m.start()]) or _GRADE_AFTER.match(
            text[m.end() : m.end() + 12]
        ):
            continue  # "grade 3 diarrhoea", "腹泻3级": a grade, not three episodes
        n, stop = found
        if n is None:
            continue
        if spec.low <= n <= spec.high and stated(text, m.start(), m.end()):
            out.append((m.start(), stop))
    return out


def _convert(unit: str, value: float, after: str) -> float:
    head = after[:12].lower()
    tenth = re.match(r"度([0-9])(?![0-9])", after)
    if unit == "temperature" and tenth and value == int(value):
        value += int(tenth.group(1)) / 10  # "37度8" is 37.8 degrees
    if unit == "temperature" and (95 <= value <= 110 or re.match(r"\s*°?\s*f\b", head)):
        return round((value - 32) * 5 / 9, 1)
    if unit == "count" and value >= 1000:
        return value / 1000  # per microlitre
    if unit == "urate" and "mg" in head:
        return round(value * 59.48)  # uric acid in mg/dL
    if unit == "urate" and value < 3:
        return value * 1000  # urate in mmol/L ("urate 0.55")
    if unit == "mmol" and "mg" in head:
        return value / 4.008  # calcium in mg/dL
    return value
