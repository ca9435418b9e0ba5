"""Reading one text for the emergency screen: which phrases are stated as happening now.

A phrase counts only when it is asserted (engine/extract/context.py for English, the
`negated_zh` / `historical_zh` / `family_zh` cues for Chinese), not safety-netting or a
hypothetical, not followed by a resolved word, not in education or counselling text,
not long-standing, and not dated in the past (a date or "three weeks ago" older than
`recent_days`). "Now", "new", "today" in its clause override a past date, a history cue
and a chronic cue: "diagnosed with myeloma in 2019, now new leg weakness".

Values: a number after a label, in range for its unit, at or beyond the threshold, and
outside the reference range written after it. Counts: a number of episodes next to a
label ("diarrhoea x8", "vomited six times", "腹泻10次").
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from casebridge.engine.extract.context import context_of
from casebridge.engine.safety.rules import Count, Numeric, Rules
from casebridge.engine.timeline import find_dates, latest_date

# Sentence ends: . ! ; (not a decimal point), a "?" right after a word ("? PE" is a cue),
# Chinese full stops, a blank line, or a line that starts a list item.
_SENTENCE_END = re.compile(
    r"(?<!\d)\.(?!\d)|\.(?=\s|$)|[!;。！；？]|(?<=[\w)])\?(?=\s|$)|\n\s*\n"
    r"|\n(?=[ \t]*(?:[-•*·]|\d{1,2}[.)]\s))"
)
# Clause ends inside a sentence: commas (not the "、" of a Chinese list) and contrast words.
_CLAUSE_END = re.compile(
    r"[,，:：]|\s[-–]\s|\b(?:but|however|although|though|whereas)\b|但是|但|不过|然而"
)
# A new part of the sentence starts after a contrast word, or a comma before a subject:
# "I don't know if this matters, but he ..."; "the chemo can cause this, she has ...".
_SEGMENT_END = re.compile(
    r"\b(?:but|however|although|though|whereas)\b|但是|但|不过|然而"
    r"|[,，]\s*(?:and\s+|so\s+)?(?:now\s+)?(?:she|he|i|we|they|my|his|her|our|mum|dad|mother|father|"
    r"wife|husband|son|daughter|the patient|patient|pt|today|this morning|患者|病人|我|今天|现在)\b"
    r"|[,，]\s*(?=患者|病人|我|今天|现在|目前)",
    re.IGNORECASE,
)
_NEGATED_LIST = re.compile(
    r"\b(?:no|denies|denied|nil|without|not|never|negative for|free of)"
    r"(?:\s+[\w'/-]+){0,3}(?:\s*[,，]\s*[\w'/-]+(?:\s+[\w'/-]+){0,2})*\s*[,，]?\s*$",
    re.IGNORECASE,
)
_CONTRAST_END = re.compile(
    r"(?:\b(?:but|however|although|though|whereas)|但是|但|不过|然而)\W*$", re.I
)
_LIST_OPENER = re.compile(r"(?:[:：]\s*$|\binclud\w*|包括)", re.IGNORECASE)

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
_NUM = (
    r"(\d{1,3}|a couple of|a few|several|once|twice|one|two|three|four|five|six|seven|eight|nine"
    r"|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|twenty|[一二两三四五六七八九十几]{1,3}|半)"
)
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
    _NUM
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
_HEADING = re.compile(r"[ \t]*[A-Z][A-Za-z /&-]{1,30}[:：]|[ \t]*[\u4e00-\u9fff]{2,8}[:：]")
_TITLE = re.compile(
    r"\b(?:note|letter|summary|report|clinic|referral|record|assessment|log|discharge)\b"
    r"|记录|小结|报告|病历|门诊|会诊",
    re.IGNORECASE,
)
_ZH_MONTH = re.compile(r"(?<![\d年])(\d{1,2})\s*月(?:份|初|中|底|末)?(?!\d)")

# Episodes next to a count label.
_TIMES = r"(?:x|×|\*)\s*" + _NUM + r"(?!\s*(?:days?|weeks?|/7|天|周))"
_COUNT_AFTER = re.compile(
    r"^[^.;。；\n]{0,40}?(?:"
    + _TIMES
    + r"|"
    + _NUM
    + r"\s*\+?\s*(?:times|episodes?|bouts?|次|回|趟|x?\s*(?:a|per|/)\s*(?:day|24 ?h))|(?:每天|每日|一天|日|今天|昨天|昨晚)\s*"
    + _NUM
    + r"\s*(?:余)?\s*次)",
    re.IGNORECASE,
)
_COUNT_BEFORE = re.compile(
    _NUM + r"\s*\+?\s*(?:x\s*)?(?:episodes?\s+of\s+|bouts?\s+of\s+|lots\s+of\s+|times\s+)?"
    r"(?:(?:loose|watery|liquid|runny|bloody)\s+)?$",
    re.IGNORECASE,
)

# Between a label and its value a few words ("temp of 38.1", "sats only 88%", "体温最高
# 39.2℃") but no word that makes the number something else ("Ca ... grade 3", "cycle 2").
_VALUE = re.compile(
    r"(?![A-Za-z])((?:[^\d\n.;。；]|\.(?!\s)){0,25}?)"
    r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d{1,4}(?:[.·]\d{1,2})?)(?![\d])"
)
_ABOUT_RISK = re.compile(
    r"(?:\s*(?:and|or|/|和|及|与|、)\s*\S{1,12}?)?\s*(?:risks?\b|prophylaxis|assessment|teaching|education|"
    r"screening|monitoring|precautions|kit\b|的?风险|预防|宣教)",
    re.IGNORECASE,
)
_UNIT_AFTER = re.compile(
    r"\s?(?:%|°\s?[CF]?|℃|度|mmol/?L|µmol/?L|umol/?L|U/L|[x×]\s?10\^?9/L|×10⁹/L|/min|bpm)", re.I
)
_LISTED = re.compile(r"[,，、]\s*[A-Za-z\u4e00-\u9fff]")  # "K+, urate and phosphate at 6"
_LETTERS = re.compile(r"[A-Za-z]+")
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


_WORD_BACK = re.compile(r"\S+\s*$")


def _near_start(text: str, lo: int, start: int, words: int = 6) -> int:
    """Where the last `words` words before `start` begin (not before `lo`)."""
    pos = start
    for _ in range(words):
        m = _WORD_BACK.search(text, lo, pos)
        if m is None:
            return lo
        pos = m.start()
    return max(lo, pos)


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


@dataclass
class Hit:
    start: int
    end: int


class Reader:
    """The stated, recent phrases of one text."""

    def __init__(self, cfg: Rules, today: _dt.date) -> None:
        self.cfg = cfg
        self.today = today
        self.limit = today - _dt.timedelta(days=cfg.recent_days)
        self.cue = cfg.cues

    # ------------------------------------------------------------ text parts
    def sentence(self, text: str, start: int, end: int) -> tuple[int, int]:
        lo = max(0, start - 400)
        for m in _SENTENCE_END.finditer(text, lo, start):
            lo = m.end()
        nxt = _SENTENCE_END.search(text, end, end + 400)
        return lo, (nxt.start() if nxt else min(len(text), end + 400))

    def _cut(self, pattern: re.Pattern[str], text: str, start: int, end: int) -> tuple[int, int]:
        lo, hi = self.sentence(text, start, end)
        a = lo
        for m in pattern.finditer(text, lo, start):
            a = m.end()
        nxt = pattern.search(text, end, hi)
        return a, (nxt.start() if nxt else hi)

    def clause(self, text: str, start: int, end: int) -> tuple[int, int]:
        return self._cut(_CLAUSE_END, text, start, end)

    def segment(self, text: str, start: int, end: int) -> tuple[int, int]:
        return self._cut(_SEGMENT_END, text, start, end)

    def _has(self, cue: str, text: str, lo: int, hi: int) -> re.Match[str] | None:
        pattern = self.cue.get(cue)
        return pattern.search(text, lo, hi) if pattern is not None and lo < hi else None

    # ------------------------------------------------------------ the tests
    def stated(self, text: str, start: int, end: int) -> bool:
        """Is text[start:end] said to be happening to the person now?"""
        s_lo, s_hi = self.sentence(text, start, end)
        c_lo, c_hi = self.clause(text, start, end)
        g_lo, g_hi = self.segment(text, start, end)
        current = self._has("current", text, c_lo, c_hi)
        if self._has("conditional", text, g_lo, start):
            return False
        if self.educational(text, start, end):
            return False
        context = context_of(text, start, end)
        if context == "negated" and not self._negation_reaches(text, s_lo, c_lo, start, end):
            context = "asserted"
        if context == "family" and not self._has("family", text, s_lo, start):
            # the context reader reads "my dad has lung cancer" as family history; in a
            # message a relative writes about the patient. Family history needs its own
            # words: "father died of", "family history".
            context = "asserted"
        if context in ("negated", "family"):
            return False
        if context == "possible" and self._asked_after(text, c_hi, s_hi):
            # "Dad coughed up blood this morning, is that normal?": the question is
            # about what happened; it does not make it possible
            context = context_of(text[:s_hi] + ".", start, end)
        if context == "possible":
            suspected = self._has("suspected", text, s_lo, start) or self._has(
                "suspected", text, end, c_hi
            )
            if not suspected:
                return False
        if context == "historical" and not current:
            return False
        if self._has("negated_zh", text, c_lo, start) or self._has("negated", text, c_lo, start):
            return False
        if not current and (
            self._has("family_zh", text, s_lo, start) or self._has("family", text, s_lo, end)
        ):
            return False
        if self.someone_else(text, s_lo, start):
            return False
        if self.asked_ahead(text, s_lo, s_hi):
            return False
        if not current and (
            self._has("historical_zh", text, s_lo, start)
            or self._has("historical", text, g_lo, g_hi)
            or self._has("chronic", text, g_lo, g_hi)
        ):
            return False
        line = text.rfind("\n", 0, start) + 1
        if self._has("history_line", text, line, start):
            return False
        if self.in_plan(text, start) or self.in_title(text, start):
            return False
        if _ABOUT_RISK.match(text, end):
            return False  # "VTE risk", "bleeding and clot risk", "出血和血栓风险"
        if self.resolved_after(text, end, c_hi, s_hi):
            return False
        return current is not None or not self.dated_past(text, s_lo, s_hi)

    def in_plan(self, text: str, start: int) -> bool:
        """The phrase is in a Plan: (or safety-netting, 计划：) section: what would be
        done, not what has happened. The section runs from its heading to a blank line
        or the next "Heading:" line."""
        pattern = self.cue.get("plan_line")
        if pattern is None:
            return False
        pos = start
        while True:
            line = text.rfind("\n", 0, pos) + 1
            if pattern.match(text, line) or pattern.match(text[line:pos].lstrip()):
                return True
            if line == 0 or text[max(0, line - 2) : line] == "\n\n":
                return False
            if _HEADING.match(text, line) and line < start:
                return False  # another section began in between
            pos = line - 1

    def in_title(self, text: str, start: int) -> bool:
        """The phrase is in the title line of a document ("MSCC Coordinator Note")."""
        first = text.find("\n")
        return (
            0 <= start < first
            and _TITLE.search(text[:first]) is not None
            and len(text[:first].split()) <= 8
        )

    def _asked_after(self, text: str, c_hi: int, s_hi: int) -> bool:
        """The sentence ends in a question mark, in a later clause than the phrase's."""
        return c_hi < s_hi and text[s_hi : s_hi + 1] in ("?", "？")

    def someone_else(self, text: str, s_lo: int, start: int) -> bool:
        """The sentence is about another person ("the lady in the next bed was coughing
        up blood") and nothing about the person themself comes in between. When the
        writer says they are the one on treatment, their relatives are other people
        too ("my little boy has a temperature; should I keep away while I'm on chemo?")."""
        cues = [self.cue.get("other_person")]
        if self._has("writer_treated", text, 0, len(text)):
            cues.append(self.cue.get("relatives"))
        last = None
        for other in cues:
            for m in other.finditer(text, s_lo, start) if other is not None else ():
                if last is None or m.end() > last.end():
                    last = m
        if last is None:
            return False
        return not self._has("self_words", text, last.end(), start)

    def asked_ahead(self, text: str, s_lo: int, s_hi: int) -> bool:
        """A question in a text that says it asks ahead of time ("is a fever after chemo
        normal? I just want to know in advance")."""
        end = text[s_hi : s_hi + 1]
        question = end in ("?", "？") or "吗" in text[s_lo:s_hi]
        return question and self._has("ahead", text, 0, len(text)) is not None

    def _negation_reaches(self, text: str, s_lo: int, c_lo: int, start: int, end: int) -> bool:
        """A negation of the sentence reaches the phrase when it is in the phrase's own
        clause, or the clauses before it are a list the negation opens ("no fever,
        cough or shivering"); not across a clause that says something else ("not opened
        his bowels for five days, vomiting since noon")."""
        near = _near_start(text, max(c_lo, s_lo), start)
        if context_of(text[near:], start - near, end - near) == "negated":
            return True  # a negation in the last few words: "no fever", "denies any bleeding"
        if near > max(c_lo, s_lo) and not _NEGATED_LIST.search(text[max(c_lo, s_lo) : near]):
            return False  # "not managed a wee all day and says his legs feel like jelly"
        if c_lo <= s_lo:
            return True
        before = text[s_lo:c_lo]
        if _CONTRAST_END.search(before):
            return False  # "no chest pain but coughed up blood"
        return _NEGATED_LIST.search(before) is not None

    def resolved_after(self, text: str, end: int, c_hi: int, s_hi: int) -> bool:
        """A resolved word after the phrase in its clause, or opening the next clause
        ("diarrhoea, which has now settled"), not undone by "not" just before it."""
        pattern = self.cue.get("resolved")
        if pattern is None:
            return False
        spans = [(end, c_hi)]
        if c_hi < s_hi:
            nxt = _CLAUSE_END.search(text, c_hi + 1, s_hi)
            head = text[c_hi + 1 : nxt.start() if nxt else s_hi]
            words = head.split()
            spans.append(
                (c_hi + 1, c_hi + 1 + len(" ".join(words[:4])) + (len(head) - len(head.lstrip())))
            )
        for lo, hi in spans:
            for m in pattern.finditer(text, lo, hi):
                before = text[max(lo, m.start() - 10) : m.start()]
                undo = self.cue.get("not_before")
                if undo is not None and undo.search(before):
                    continue
                return True
        return False

    def educational(self, text: str, start: int, end: int) -> bool:
        """Leaflet, education or counselling text: a cue in the phrase's sentence part,
        a cue in a line or sentence that opens the list it belongs to, or a cue in the
        title (first line) of the text."""
        g_lo, g_hi = self.segment(text, start, end)
        if self._has("education", text, g_lo, g_hi):
            return True
        para_lo = text.rfind("\n\n", 0, start)
        para_lo = 0 if para_lo == -1 else para_lo + 2
        para_hi = text.find("\n\n", end)
        para_hi = len(text) if para_hi == -1 else para_hi
        if self._has("education", text, para_lo, para_hi) and not self._has(
            "person_words", text, para_lo, para_hi
        ):
            return True  # information about a condition, about nobody: a leaflet
        first_line = text[: text.find("\n")] if "\n" in text[:200] else ""
        if first_line and self._has("education", text, 0, len(first_line)):
            return True
        para = text.rfind("\n\n", 0, start)
        p_lo = 0 if para == -1 else para + 2
        s_lo, _ = self.sentence(text, start, end)
        pos = p_lo
        while pos < s_lo:
            a, b = self.sentence(text, pos, pos)
            b = max(b, a + 1)
            piece = text[a:b]
            if self._has("education", piece, 0, len(piece)) and _LIST_OPENER.search(
                piece + text[b : b + 1]
            ):
                return True
            pos = b + 1
        return False

    def dated_past(self, text: str, lo: int, hi: int) -> bool:
        piece = text[lo:hi]
        for _s, _e, iso, _precision in find_dates(piece):
            last = latest_date(iso)
            if last is not None and last < self.limit:
                return True
        for m in _ZH_YEAR.finditer(piece):
            if int(m.group(1)) < self.limit.year:
                return True
        for m in _EN_MONTH.finditer(piece):
            month = _MONTHS[m.group(1).lower()[:3]]
            if _EN_YEAR_AFTER.match(piece, m.end()):
                continue  # "March 2026": find_dates read it
            if self._month_past(month):
                return True
        for m in _ZH_MONTH.finditer(piece):
            month = int(m.group(1))
            if 1 <= month <= 12 and not _ZH_YEAR.search(piece[max(0, m.start() - 6) : m.start()]):
                # a month with no year: the latest such month not after today
                year = self.today.year if month <= self.today.month else self.today.year - 1
                last = _dt.date(year + month // 12, month % 12 + 1, 1) - _dt.timedelta(days=1)
                if last < self.limit:
                    return True
        for m in _AGO.finditer(piece):
            n = number(m.group(1))
            unit = m.group(2).lower().rstrip("s")
            days = _UNIT_DAYS.get(
                unit, _UNIT_DAYS.get(unit[:1] if unit[:1] in "天日周月年" else unit, 1)
            )
            if n is not None and n * days > self.cfg.recent_days:
                return True
        return False

    def _month_past(self, month: int) -> bool:
        """A month named without a year means its latest occurrence up to today; is
        all of it older than recent_days?"""
        year = self.today.year if month <= self.today.month else self.today.year - 1
        last = _dt.date(year + month // 12, month % 12 + 1, 1) - _dt.timedelta(days=1)
        return last < self.limit

    # ------------------------------------------------------------ matching
    def phrases(self, pattern: re.Pattern[str] | None, text: str) -> list[Hit]:
        if pattern is None:
            return []
        return [Hit(*m.span()) for m in pattern.finditer(text) if self.stated(text, *m.span())]

    def together(self, groups: list[re.Pattern[str]], text: str) -> list[Hit]:
        """One stated phrase of every group, each within `window` of the first."""
        if not groups:
            return []
        first = self.phrases(groups[0], text)
        if not first:
            return []
        out = []
        for hit in first:
            span = [hit.start, hit.end]
            s_lo, s_hi = self.sentence(text, hit.start, hit.end)
            for group in groups[1:]:
                # a stated phrase, or any words of the group later in the first phrase's
                # own sentence: they share its status ("not opened for 3 days")
                others = [
                    Hit(*m.span())
                    for m in group.finditer(text)
                    if (hit.end <= m.start() < s_hi) or self.stated(text, *m.span())
                ]
                near = [
                    o
                    for o in others
                    if abs(o.start - hit.start) <= self.cfg.window
                    and o is not hit
                    and (o.start, o.end) != (hit.start, hit.end)
                ]
                if not near:
                    break
                span = [min(span[0], near[0].start), max(span[1], near[0].end)]
            else:
                out.append(Hit(span[0], span[1]))
        return out

    def values(self, spec: Numeric, text: str) -> list[Hit]:
        out = []
        for m in spec.labels.finditer(text):
            v = _VALUE.match(text, m.end())
            if v is None or _OTHER_NUMBER.search(v.group(1)) or _LISTED.search(v.group(1)):
                continue
            if len(_LETTERS.findall(v.group(1))) > 3:
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
            value = float(raw.replace(",", ""))
            value = _convert(spec.unit, value, after)
            if not spec.low <= value <= spec.high:
                continue
            if spec.above is not None and value < spec.above:
                continue
            if spec.below is not None and value > spec.below:
                continue
            ref = _RANGE_AFTER.match(after)
            if ref and float(ref.group(1)) <= value <= float(ref.group(2)):
                continue  # inside the reference range written with it
            if not self.stated(text, m.start(), v.end()):
                continue
            unit = _UNIT_AFTER.match(text, v.end())
            out.append(Hit(m.start(), unit.end() if unit else v.end()))
        return out

    def counts(self, spec: Count, text: str) -> list[Hit]:
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
            if spec.low <= n <= spec.high and self.stated(text, m.start(), m.end()):
                out.append(Hit(m.start(), stop))
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
    if unit == "mmol" and "mg" in head:
        return value / 4.008  # calcium in mg/dL
    return value
