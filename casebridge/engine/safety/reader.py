"""Reading one text for the emergency screen: which phrases are stated as happening now.

A phrase counts only when it is asserted (engine/extract/context.py for English, the
`negated_zh` / `historical_zh` / `family_zh` cues for Chinese), not safety-netting or a
hypothetical, not followed by a resolved word, not in education or counselling text,
not long-standing, and not dated in the past (a date or "three weeks ago" older than
`recent_days`). "Now", "new", "today" in its clause override a past date, a history cue
and a chronic cue: "diagnosed with myeloma in 2019, now new leg weakness".

It also knows about someone else (a friend, the man in the next bed), a plan or
safety-netting section, a document's title line, and talk of risk ("VTE risk").
Values and counts of episodes are read in quantities.py, with the same test of what is
stated.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from casebridge.engine.extract.context import context_of
from casebridge.engine.safety.quantities import NUM, find_counts, find_values, number, score_total
from casebridge.engine.safety.rules import Count, Numeric, Rules, Score
from casebridge.engine.timeline import find_dates, latest_date

# Sentence ends: . ! ; (not a decimal point), a "?" right after a word ("? PE" is a cue),
# Chinese full stops, a blank line, or a line that starts a list item.
_PUNCTUATED_END = (
    r"(?<!\d)\.(?!\d)|\.(?=\s|$)|[!;。！；？]|(?<=[\w)])\?(?=\s|$)|\n\s*\n"
    r"|\n(?=[ \t]*(?:[-•*·]|\d{1,2}[.)]\s))"
)
_SENTENCE_END = re.compile(
    _PUNCTUATED_END
    # a voice message transcribed into Chinese pauses with spaces, not punctuation:
    # "背倒是不痛 大便也有点屙不出" is two sentences
    + r"|(?<=[\u4e00-\u9fff])[ \t\u3000]+(?=[\u4e00-\u9fff])"
)
# The sentence a framing cue governs (a leaflet's "如出现…", "隔壁床的大爷…", a card that
# says "腹泻 咳嗽 气短"): punctuation only, the transcript's pauses do not end it.
_FRAME_END = re.compile(_PUNCTUATED_END)
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
# What titles a text: its first line; in a text of one line, a tag it opens with
# ("[转发公众号文章]", "【健康宣教】") or a heading before a colon ("CAR-T患者出院指导：").
_TEXT_TITLE = re.compile(
    r"\s*(?:[\[【(（][^\]】)）\n]{1,30}[\]】)）]|[^:：\n。.!?？！]{1,30}[:：])"
)


def _title_end(text: str) -> int:
    if "\n" in text[:200]:
        return text.find("\n")
    m = _TEXT_TITLE.match(text)
    return m.end() if m else 0


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
_HEADING = re.compile(r"[ \t]*[A-Z][A-Za-z /&-]{1,30}[:：]|[ \t]*[\u4e00-\u9fff]{2,8}[:：]")
# a sentence end that is not a numbered item's ("1.", "2、"): it ends an inline section
_ITEMS_END = re.compile(r"(?<!\d)[。.!?！？](?!\s*(?:\d+|[一二三四五六七八九十]+)[.、)）])")
# a heading inside a line: after a sentence end, a space or the line's start
_INLINE_HEADING = re.compile(
    r"(?:^|(?<=[。；;.!?！？\s]))((?:[A-Z][A-Za-z /&-]{1,30}|[\u4e00-\u9fff]{2,8})\s*[:：])", re.M
)
_TITLE = re.compile(
    r"\b(?:note|letter|summary|report|clinic|referral|record|assessment|log|discharge)\b"
    r"|记录|小结|报告|病历|门诊|会诊",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_RELATIVE = re.compile(r"\b(?:that|which|who|than)\b", re.IGNORECASE)
_GENERAL = re.compile(
    r"一般|通常|常见|多久|多长时间|会不会|是否会|哪些|会[^，。？]{0,8}吗|多快|将来|以后会|多少度|到什么程度|什么情况下|"
    r"什么时候(?:需要|要|该|应该)|\b(?:usually|normally|generally|how soon|"
    r"how long|how common|how often|what are|can it|is it common|in (?:the )?future|later on|"
    r"what temperature|at what (?:point|temperature)|when should)\b",
    re.IGNORECASE,
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CONTRAST_ANY = re.compile(r"但是|但|不过|然而|可是")
_CONTRAST_START = re.compile(r"[,，\s]*(?:but|however|although|though|但是|但|不过)\b", re.I)
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

_DENIED_AFTER = re.compile(
    r"[^.;。；]{0,60}?(?:[-–:]\s*|\b)(?:none|nil|all negative|denied|absent)\b\s*[.;]?", re.I
)
# 不 straight before a symptom negates it ("不发烧、不胸痛"); elsewhere 不 is part of the
# symptom ("走不了", "止不住", "高烧不退"), so the cue list cannot hold it alone.
# The same in English: "he hasn't coughed up any blood" (a phrase that holds its own
# negative, "hasn't passed urine", starts at the negative and is not touched).
_EN_NOT_BEFORE = re.compile(
    r"\b(?:hasn.?t|has not|haven.?t|have not|hadn.?t|had not|didn.?t|did not|never)\s+$", re.I
)
_ZH_NOT_BEFORE = re.compile(r"(?:不|不再|并不|从不|也不|都不|并没)$")
# A finding said to be normal ("handwriting normal", "ICE score 10/10", "seizure-free",
# "书写正常") or a thing being checked ("carer to check temperature twice daily").
_NORMAL_AFTER = re.compile(
    r"(?:-free\b|\s*(?:score\s*)?(?:is |was |remains |are |were |都|也|均|还)?(?:normal|fine|intact|"
    r"unremarkable|10/10|10 ?分|正常|流利|清楚)(?![\w]))",
    re.IGNORECASE,
)
_CHECKED_BEFORE = re.compile(
    r"(?:check|checking|monitor|monitoring|record|recording|measure|measuring|take|taking|"
    r"监测|测量)\s*(?:(?:his|her|their|my|your|the|own)\s+)?$",
    re.IGNORECASE,
)
# A form's answer straight after the phrase: "chest pain - no", "胸痛-没有".
# Also a questionnaire's, at the end of the item the phrase is in: "New pain? N", "腹泻频率：
# 从不", "咳嗽气促□有 ☑无", "(thoughts that you would be better off dead ...): Not at all".
# The answer must end the item: "chest pain: no cough" answers nothing about chest pain.
_FORM_NO = re.compile(
    r"[^.;\n:：?？。；!！]{0,80}?\s*(?:[-–:：?？]\s*(?:no|n|nil|none|nope|never|not at all|没有|无|否|从不|"
    r"一点也没有|从来没有)|[□☐]\s*(?:有|yes|y)\s*[☑☒✓✔■]\s*(?:无|no|n))"
    r"(?![A-Za-z\u4e00-\u9fff])(?=\s*(?:[.;,。；，、\n□☐]|$))",
    re.IGNORECASE,
)
# Prevention of the thing is not the thing: "地塞米松防止脑水肿", "to prevent tumour lysis".
_PREVENT_BEFORE = re.compile(
    r"(?:防止|预防|避免|以防|to prevent|prevent(?:s|ing)?|to avoid|avoid(?:s|ing)?|reduce the risk of)"
    r"\s*(?:the |any |a )?$",
    re.IGNORECASE,
)
# Words quoted from a sheet, a leaflet or a poster: "the CAR-T sheet says 'fever, confusion...'".
_QUOTE_OPEN = re.compile(r"[\'‘“\"「『]")
_QUOTED_FROM = re.compile(
    r"(?:写|写着|写的|上写|印着|says?|said|reads?|read|printed|copied|poster|leaflet|sheet|card|"
    r"booklet|单子|说明书|手册|宣传|check|draft|blog|post|poem|story|essay|文章|草稿|小说)\W{0,3}$",
    re.IGNORECASE,
)
_ABOUT_RISK = re.compile(
    r"(?:\s*(?:and|or|/|和|及|与|、)\s*\S{1,12}?)?\s*(?:risks?\b|prophylaxis|assessment|teaching|education|"
    r"screening|monitoring|precautions|kit\b|的?风险|预防|宣教)",
    re.IGNORECASE,
)
_WORD_BACK = re.compile(r"\S+\s*$")
# a sentence that goes on about the subject of the one before: "He's been ...", "它今天…"
_PRONOUN_OPENS = re.compile(r"\s*(?:(?:he|she|it|they)\b|它)", re.IGNORECASE)


def _near_start(text: str, lo: int, start: int, words: int = 6) -> int:
    """Where the last `words` words before `start` begin (not before `lo`)."""
    pos = start
    for _ in range(words):
        m = _WORD_BACK.search(text, lo, pos)
        if m is None:
            return lo
        pos = m.start()
    return max(lo, pos)


@dataclass
class Hit:
    start: int
    end: int
    # a sign of the rule was stated and another denied ("headache, no vomiting"): the
    # rule's own level is not shown; the flag is amber (the honest middle)
    partial: bool = False


_ASIDE = re.compile(r"[(（][^()（）]{0,200}[)）]")


def _without_asides(text: str, lo: int, hi: int, start: int) -> str:
    """The text with the brackets of [lo, hi) blanked unless the phrase is inside them:
    "mum (ovarian cancer, finished chemo in the summer): can't keep anything down" is not
    history because of its aside. Offsets stay the same."""
    if "(" not in text[lo:hi] and "（" not in text[lo:hi]:
        return text
    out = text
    for m in _ASIDE.finditer(text, lo, hi):
        if not m.start() <= start < m.end():
            out = out[: m.start()] + " " * (m.end() - m.start()) + out[m.end() :]
    return out


class Reader:
    """The stated, recent phrases of one text."""

    def __init__(self, cfg: Rules, today: _dt.date) -> None:
        self.cfg = cfg
        self.today = today
        self.limit = today - _dt.timedelta(days=cfg.recent_days)
        self.cue = cfg.cues

    # ------------------------------------------------------------ text parts
    def sentence(
        self, text: str, start: int, end: int, ends: re.Pattern[str] = _SENTENCE_END
    ) -> tuple[int, int]:
        lo = max(0, start - 400)
        for m in ends.finditer(text, lo, start):
            lo = m.end()
        nxt = ends.search(text, end, end + 400)
        return lo, (nxt.start() if nxt else min(len(text), end + 400))

    def frame(self, text: str, start: int, end: int) -> tuple[int, int]:
        """The sentence by its punctuation alone: what a framing cue (a condition, a
        leaflet, another person) governs."""
        return self.sentence(text, start, end, _FRAME_END)

    def _cut(
        self,
        pattern: re.Pattern[str],
        text: str,
        start: int,
        end: int,
        ends: re.Pattern[str] = _SENTENCE_END,
    ) -> tuple[int, int]:
        lo, hi = self.sentence(text, start, end, ends)
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
    def stated(
        self, text: str, start: int, end: int, through: frozenset[str] = frozenset()
    ) -> bool:
        """Is text[start:end] said to be happening to the person now? `through`: cues
        the flag reads through (a suicidal thought said conditionally still counts)."""
        s_lo, s_hi = self.sentence(text, start, end)
        c_lo, c_hi = self.clause(text, start, end)
        g_lo, g_hi = self.segment(text, start, end)
        current = self._has("current", text, c_lo, c_hi)
        f_lo, f_hi = self.frame(text, start, end)
        f_seg = self._cut(_SEGMENT_END, text, start, end, _FRAME_END)[0]
        if "conditional" not in through and self._has("conditional", text, f_seg, start):
            return False
        if self.educational(text, start, end, (f_lo, f_hi)):
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
        if context == "possible" and (
            self._asked_after(text, c_hi, s_hi)
            or (current is not None and text[s_hi : s_hi + 1] in ("?", "？"))
        ):
            # "Dad coughed up blood this morning, is that normal?": the question is
            # about what happened; it does not make it possible. Nor does a question
            # around what happened this morning ("should we wait, because his legs went
            # weak this morning?")
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
        if _ZH_NOT_BEFORE.search(text, max(c_lo, start - 3), start) or _EN_NOT_BEFORE.search(
            text, max(c_lo, start - 12), start
        ):
            return False
        if not current and (
            self._has("family_zh", text, s_lo, s_hi) or self._has("family", text, s_lo, end)
        ):
            return False
        if self.someone_else(text, f_lo, start):
            return False
        if self.asked_ahead(text, s_lo, s_hi) or self.asked_about(text, s_lo, s_hi, current):
            return False
        aside = _without_asides(text, g_lo, g_hi, start)
        # What follows the phrase dates it only up to a relative clause: "can't manage the
        # stairs that he climbed fine last month" is about now.
        rel = _RELATIVE.search(text, end, c_hi)
        own_hi = rel.start() if rel else c_hi
        if not current and (
            self._has("historical_zh", aside, s_lo, start)
            or self._has("historical", aside, g_lo, min(g_hi, own_hi))
            or self._has("chronic", aside, g_lo, g_hi)
        ):
            return False
        line = text.rfind("\n", 0, start) + 1
        # A history heading reaches to the end of its sentence: a record flattened into
        # one line ("PMH: AF, CKD 3a. A: RR 26, BP 88/52") goes on to today's findings.
        if self._has("history_line", text, max(line, s_lo), start):
            return False
        if self.in_plan(text, start) or self.in_title(text, start):
            return False
        if _DENIED_AFTER.match(text, end, s_hi + 1):
            return False  # "asked about chest pain, breathlessness and leg swelling - none"
        if _ABOUT_RISK.match(text, end):
            return False  # "VTE risk", "bleeding and clot risk", "出血和血栓风险"
        if _NORMAL_AFTER.match(text, end) or _FORM_NO.match(text, end):
            return False
        if _PREVENT_BEFORE.search(text, max(0, start - 30), start) or self.quoted(text, start):
            return False
        if self._has("other_after", text, end, s_hi):
            return False
        if not _DIGIT.search(text, start, end) and _CHECKED_BEFORE.search(
            text, max(0, start - 30), start
        ):
            return False  # a reading ("checked her temperature: 38.6") is not an instruction
        if self.resolved_after(text, end, c_hi, s_hi, f_hi):
            return False
        # A date before the phrase dates the sentence; one after it only its own clause:
        # "calcium 2.78 (ref 2.20-2.60), 2.52 a month ago" is today's value.
        return current is not None or not self.dated_past(text, s_lo, own_hi)

    def in_plan(self, text: str, start: int) -> bool:
        """The phrase is in a Plan: (or safety-netting, 计划：) section: what would be
        done, not what has happened. The section runs from its heading to a blank line
        or the next "Heading:" line."""
        pattern = self.cue.get("plan_line")
        if pattern is None:
            return False
        # a record flattened into one line: the last heading before the phrase in its line
        # ("出院情况：一般情况可。出院医嘱：1.三周后返院；3.体温≥38℃请及时就诊")
        line_lo = text.rfind("\n", 0, start) + 1
        headings = list(_INLINE_HEADING.finditer(text, line_lo, start))
        if (
            headings
            and pattern.match(text, headings[-1].start(1))
            and not _ITEMS_END.search(text, headings[-1].end(), start)
        ):
            return True  # the section's numbered or ";"-separated items, not a new sentence
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
        cues = ["other_person"]
        if self._has("writer_treated", text, 0, len(text)):
            cues.append("relatives")
        last = None
        relative = False  # the last cue names a relative of a writer who is the one treated
        for cue in cues:
            m = self._has_last(cue, text, s_lo, start)
            if m is not None and (last is None or m.end() > last.end()):
                last, relative = m, cue == "relatives"
        if last is not None and relative:
            # "my brother - he was rushed in with chest pain ... I'm fine myself": he is
            # the relative; only the writer or the patient ends the reach
            return not self._has("animal_self_words", text, last.end(), start)
        animal = self._has_last("animal", text, s_lo, start) or self._animal_before(text, s_lo)
        if animal is not None and (last is None or animal.end() > last.end()):
            # an animal: "he" and "she" are the animal too; only the writer, the patient
            # or a person named by role ends its reach ("my dog ... he's got a temp")
            return not self._has("animal_self_words", text, animal.end(), start)
        if last is None:
            return False
        return not self._has("self_words", text, last.end(), start)

    def _animal_before(self, text: str, s_lo: int) -> re.Match[str] | None:
        """An animal that opens the sentence before one that opens with a pronoun: "Our
        dog has lymphoma and is on chemo at the vet's. He's been vomiting" is the dog."""
        if not _PRONOUN_OPENS.match(text, s_lo):
            return None
        para = text.rfind("\n\n", 0, s_lo)
        lo = max(0 if para == -1 else para + 2, s_lo - 300)
        pattern = self.cue.get("animal")
        found = None
        for m in pattern.finditer(text, lo, s_lo) if pattern is not None and lo < s_lo else ():
            a, _ = self.frame(text, m.start(), m.end())
            if not text[a : m.start()].strip(" \t\n-:•*"):
                found = m  # the animal is the subject of its sentence
        if found is not None and self._has("relatives", text, found.end(), s_lo):
            return None  # "Our dog is staying with my sister. She has ...": the sister
        return found

    def _has_last(self, cue: str, text: str, lo: int, hi: int) -> re.Match[str] | None:
        pattern = self.cue.get(cue)
        found = None
        for m in pattern.finditer(text, lo, hi) if pattern is not None and lo < hi else ():
            found = m
        return found

    def asked_ahead(self, text: str, s_lo: int, s_hi: int) -> bool:
        """A question in a text that says it asks ahead of time ("is a fever after chemo
        normal? I just want to know in advance")."""
        end = text[s_hi : s_hi + 1]
        question = end in ("?", "？") or "吗" in text[s_lo:s_hi]
        return question and self._has("ahead", text, 0, len(text)) is not None

    def quoted(self, text: str, start: int) -> bool:
        """The phrase is inside a quotation opened right after "the sheet says", "说明书上写"."""
        lo = max(0, start - 200)
        opens = list(_QUOTE_OPEN.finditer(text, lo, start))
        if not opens:
            return False
        q = opens[-1]
        close = {"‘": "’", "“": "”", "「": "」", "『": "』"}.get(q.group(0), q.group(0))
        if close in text[q.end() : start]:
            return False  # the quotation closed before the phrase
        return _QUOTED_FROM.search(text, max(0, q.start() - 20), q.start()) is not None

    def asked_about(self, text: str, s_lo: int, s_hi: int, current: re.Match[str] | None) -> bool:
        """The sentence asks about a condition in general ("想问细胞因子释放综合征一般
        在回输后多久出现？"): it opens with an asking phrase, ends in a question mark and
        says nothing of now."""
        if text[s_hi : s_hi + 1] not in ("?", "？") or current is not None:
            return False
        opener = self._has("asked_about", text, s_lo, min(s_hi, s_lo + 20))
        about_nobody = not (
            self._has("person_words", text, s_lo, s_hi) or self._has("person_zh", text, s_lo, s_hi)
        )
        opens = opener is not None and not text[s_lo : opener.start()].strip(" ：:，,")
        if not (opens or about_nobody):
            return False  # "脊髓压迫一般发展得有多快？" has no asking words, but is about nobody
        # Only a question about what usually happens, with no reading of the person in it:
        # "请问我爸发烧39度怎么办？" asks about now, and is an emergency.
        return _GENERAL.search(text, s_lo, s_hi) is not None and not _DIGIT.search(text, s_lo, s_hi)

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

    def resolved_after(
        self, text: str, end: int, c_hi: int, s_hi: int, f_hi: int | None = None
    ) -> bool:
        """A resolved word after the phrase in its clause, or opening the next clause
        ("diarrhoea, which has now settled"), not undone by "not" just before it."""
        pattern = self.cue.get("resolved")
        if pattern is None:
            return False
        spans = [(end, c_hi)]
        contrast = _CONTRAST_START.match(text, c_hi) if c_hi < s_hi else None
        if contrast is not None:
            # "constipated for 4 days, but the lactulose and senna sorted it out"
            nxt = _CLAUSE_END.search(text, contrast.end(), s_hi)
            spans.append((c_hi, nxt.start() if nxt else s_hi))
        elif c_hi < s_hi and _CJK.match(text, max(end - 1, 0)):
            # Chinese clauses carry no spaces to count words by; the resolution may come
            # clauses later ("拉肚子，一天4次左右，吃了洛哌丁胺后就好了"), up to a contrast
            # (to the end of the punctuated sentence: a transcript's pauses do not end it)
            stop = max(s_hi, f_hi or s_hi)
            nxt = _CONTRAST_ANY.search(text, c_hi, stop)
            spans.append((c_hi, nxt.start() if nxt else stop))
        elif c_hi < s_hi:
            nxt = _CLAUSE_END.search(text, c_hi + 1, s_hi)
            head = text[c_hi + 1 : nxt.start() if nxt else s_hi]
            words = head.split()
            spans.append(
                (c_hi + 1, c_hi + 1 + len(" ".join(words[:4])) + (len(head) - len(head.lstrip())))
            )
        for lo, hi in spans:
            for m in pattern.finditer(text, lo, hi):
                undo = self.cue.get("not_before")
                # searched in place, not in a slice: "immunotherapy cleared" has no "not"
                if undo is not None and undo.search(text, max(lo, m.start() - 10), m.start()):
                    continue
                return True
        return False

    def educational(
        self, text: str, start: int, end: int, frame: tuple[int, int] | None = None
    ) -> bool:
        """Leaflet, education or counselling text: a cue in the phrase's sentence part,
        a cue in a line or sentence that opens the list it belongs to, or a cue in the
        title (first line) of the text."""
        g_lo, g_hi = self.segment(text, start, end)
        if self._has("education", text, g_lo, g_hi):
            return True
        if frame is not None and self._has("education", text, frame[0], start):
            return True  # "那张卡片上写 腹泻 咳嗽 气短": the card's list, in a transcript's pauses
        para_lo = text.rfind("\n\n", 0, start)
        para_lo = 0 if para_lo == -1 else para_lo + 2
        para_hi = text.find("\n\n", end)
        para_hi = len(text) if para_hi == -1 else para_hi
        if self._has("education", text, para_lo, para_hi) and not self._has(
            "person_words", text, para_lo, para_hi
        ):
            return True  # information about a condition, about nobody: a leaflet
        if self._has("education", text, 0, _title_end(text)):
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
            prefix = m.group(0)[: m.start(1) - m.start()].strip().lower()
            if self._month_past(month, _MONTH_PART_DAY.get(prefix)):
                return True
        for m in _EN_DAY_MONTH.finditer(piece):
            if _EN_YEAR_AFTER.match(piece, m.end()):
                continue
            day, name = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
            if 1 <= int(day) <= 31 and self._month_past(_MONTHS[name.lower()[:3]], int(day)):
                return True
        for m in _ZH_MONTH.finditer(piece):
            month = int(m.group(1))
            no_year = not _ZH_YEAR.search(piece[max(0, m.start() - 6) : m.start()])
            if 1 <= month <= 12 and no_year and self._month_past(month):
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

    def _month_past(self, month: int, day: int | None = None) -> bool:
        """A month (or a day of it) named without a year means its latest occurrence up
        to today; is all of it older than recent_days?"""
        year = self.today.year if month <= self.today.month else self.today.year - 1
        last = _dt.date(year + month // 12, month % 12 + 1, 1) - _dt.timedelta(days=1)
        if day is not None:
            last = last.replace(day=min(day, last.day))
            if last > self.today:
                last = last.replace(year=last.year - 1)
        return last < self.limit

    # ------------------------------------------------------------ matching
    def phrases(
        self, pattern: re.Pattern[str] | None, text: str, through: frozenset[str] = frozenset()
    ) -> list[Hit]:
        if pattern is None:
            return []
        return [
            Hit(*m.span()) for m in pattern.finditer(text) if self.stated(text, *m.span(), through)
        ]

    def together(
        self, groups: list[re.Pattern[str]], text: str, through: frozenset[str] = frozenset()
    ) -> list[Hit]:
        """One stated phrase of every group, each within `window` of the first."""
        if not groups:
            return []
        first = self.phrases(groups[0], text, through)
        if not first:
            return []
        out = []
        for hit in first:
            span = [hit.start, hit.end]
            s_lo, s_hi = self.sentence(text, hit.start, hit.end)
            partial = False
            for group in groups[1:]:
                # a stated phrase, or any words of the group later in the first phrase's
                # own sentence: they share its status ("not opened for 3 days"), unless
                # denied in a clause of their own ("headache, no vomiting", "头疼，没有呕吐"):
                # then the group is only partly met
                later = [
                    m
                    for m in group.finditer(text)
                    if hit.end <= m.start() < s_hi or self.stated(text, *m.span())
                ]
                others = [
                    Hit(*m.span())
                    for m in later
                    if not self._negated_after(text, hit.end, m.start(), m.end())
                ]
                if not others and later:
                    others = [Hit(*m.span(), partial=True) for m in later]
                near = [
                    o
                    for o in others
                    if abs(o.start - hit.start) <= self.cfg.window
                    and o is not hit
                    and (o.start, o.end) != (hit.start, hit.end)
                ]
                if not near:
                    break
                partial = partial or near[0].partial
                span = [min(span[0], near[0].start), max(span[1], near[0].end)]
            else:
                out.append(Hit(span[0], span[1], partial))
        return out

    def _negated_after(self, text: str, after: int, start: int, end: int) -> bool:
        """text[start:end] negated within its own clause, after position `after`."""
        c_lo, _ = self.clause(text, start, end)
        lo = max(c_lo, after)
        if lo >= start:
            return False
        if self._has("negated_zh", text, lo, start) or self._has("negated", text, lo, start):
            return True
        if text[max(lo, start - 1) : start] == "不":
            return True  # "不肿不痛": 不 straight before the word
        return context_of(text[lo:end], start - lo, end - lo) == "negated"

    def values(self, spec: Numeric, text: str) -> list[Hit]:
        return [Hit(a, b) for a, b in find_values(spec, text, self.stated)]

    def score(self, spec: Score, text: str) -> list[Hit]:
        """One hit over the observations when their score reaches the rule's total."""
        total, read, spans = score_total(spec.parts, text, self.stated)
        if read < spec.min_parts or total < spec.min_total:
            return []
        return [Hit(min(a for a, _ in spans), max(b for _, b in spans))]

    def counts(self, spec: Count, text: str) -> list[Hit]:
        return [Hit(a, b) for a, b in find_counts(spec, text, self.stated)]
