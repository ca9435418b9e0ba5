"""The parts of a text the emergency screen reads a phrase in (its sentence, clause,
segment, the frame a cue governs) and what frames it: someone else, a plan or
safety-netting section, a title, education or a leaflet, a quotation, a question asked
in general or ahead of time. reader.py builds on these to say what is stated.
"""

from __future__ import annotations

import datetime as _dt
import re

from casebridge.engine.safety.rules import Rules

_DIGIT = re.compile(r"\d")
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

_LIST_OPENER = re.compile(r"(?:[:：]\s*$|\binclud\w*|包括)", re.IGNORECASE)

# What titles a text: its first line; in a text of one line, a tag it opens with
# ("[转发公众号文章]", "【健康宣教】") or a heading before a colon ("CAR-T患者出院指导：").
_TEXT_TITLE = re.compile(
    r"\s*(?:[\[【(（][^\]】)）\n]{1,30}[\]】)）]|[^:：\n。.!?？！]{1,40}[:：](?!\d\d))"
)


def _title_end(text: str) -> int:
    if "\n" in text[:200]:
        return text.find("\n")
    m = _TEXT_TITLE.match(text)
    return m.end() if m else 0


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

_GENERAL = re.compile(
    r"一般|通常|常见|多久|多长时间|会不会|是否会|哪些|会[^，。？]{0,8}吗|多快|将来|以后会|多少度|到什么程度|什么情况下|"
    r"什么时候(?:需要|要|该|应该)|\b(?:usually|normally|generally|how soon|"
    r"how long|how common|how often|what are|can it|is it common|in (?:the )?future|later on|"
    r"what temperature|at what (?:point|temperature)|when should)\b",
    re.IGNORECASE,
)

# Words quoted from a sheet, a leaflet or a poster: "the CAR-T sheet says 'fever, confusion...'".
_QUOTE_OPEN = re.compile(r"[\'‘“\"「『]")

_QUOTED_FROM = re.compile(
    r"(?:写|写着|写的|上写|印着|says?|said|reads?|read|printed|copied|poster|leaflet|sheet|card|"
    r"booklet|单子|说明书|手册|宣传|check|draft|blog|post|poem|story|essay|文章|草稿|小说)\W{0,3}$",
    re.IGNORECASE,
)

# a sentence that goes on about the subject of the one before: "He's been ...", "它今天…"
_PRONOUN_OPENS = re.compile(r"\s*(?:(?:he|she|it|they)\b|它)", re.IGNORECASE)


class Parts:
    """A text's parts and framing cues, for one set of rules and one day."""

    def __init__(self, cfg: Rules, today: _dt.date) -> None:
        self.cfg = cfg
        self.today = today
        self.limit = today - _dt.timedelta(days=cfg.recent_days)
        self.cue = cfg.cues

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

    def _before(self, cue: str, text: str, lo: int, start: int) -> bool:
        """A cue that ends before the phrase, its lookahead free to read the phrase:
        "this waiting is giving me a(?= heart attack)"."""
        pattern = self.cue.get(cue)
        if pattern is None or lo >= start:
            return False
        return any(m.end() <= start for m in pattern.finditer(text, lo, start + 60))

    def _has_last(self, cue: str, text: str, lo: int, hi: int) -> re.Match[str] | None:
        pattern = self.cue.get(cue)
        found = None
        for m in pattern.finditer(text, lo, hi) if pattern is not None and lo < hi else ():
            found = m
        return found

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

    def figurative(self, text: str, start: int, end: int) -> bool:
        """The phrase is a word in scare quotes after a figure of speech: the quotes hug it
        and a `figurative` cue ends right before the opening one ("这趟旅行简直是“大出血”")."""
        if start == 0 or not _QUOTE_OPEN.fullmatch(text[start - 1]):
            return False
        q = text[start - 1]
        if text[end : end + 1] != {"‘": "’", "“": "”", "「": "」", "『": "』"}.get(q, q):
            return False
        head = text[max(0, start - 17) : start - 1].rstrip()
        pattern = self.cue.get("figurative")
        return pattern is not None and any(m.end() == len(head) for m in pattern.finditer(head))

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
