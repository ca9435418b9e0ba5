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

import re
from dataclasses import dataclass

from casebridge.engine.extract.context import context_of
from casebridge.engine.safety.dates import dated_past
from casebridge.engine.safety.framing import _CLAUSE_END, _DIGIT, _FRAME_END, _SEGMENT_END, Parts
from casebridge.engine.safety.quantities import find_counts, find_values, score_total
from casebridge.engine.safety.rules import Count, Numeric, Score

_NEGATED_LIST = re.compile(
    r"\b(?:no|denies|denied|nil|without|not|never|negative for|free of)"
    r"(?:\s+[\w'/-]+){0,3}(?:\s*[,，]\s*[\w'/-]+(?:\s+[\w'/-]+){0,2})*\s*[,，]?\s*$",
    re.IGNORECASE,
)
# A sentence that opens with a bare "no" after a question: the answer to the question
# ("PR bleed? no - black tarry stools x3"), not a negation of what follows.
_ANSWER_NO = re.compile(r"\s*(?:no|nope|nah|not really|没有|没|无|否)\s*(?:[-–:：,，]\s*)?$", re.I)
_ASKED_BEFORE = re.compile(r"[?？]\s*$")
_CONTRAST_END = re.compile(
    r"(?:\b(?:but|however|although|though|whereas)|但是|但|不过|然而)\W*$", re.I
)


_RELATIVE = re.compile(r"\b(?:that|which|who|than)\b", re.IGNORECASE)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CONTRAST_ANY = re.compile(r"但是|但|不过|然而|可是")
_CONTRAST_START = re.compile(r"[,，\s]*(?:but|however|although|though|但是|但|不过)\b", re.I)
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
_ABOUT_RISK = re.compile(
    r"(?:\s*(?:and|or|/|和|及|与|、)\s*\S{1,12}?)?\s*(?:risks?\b|prophylaxis|assessment|teaching|education|"
    r"screening|monitoring|precautions|kit\b|tests?\b|的?风险|预防|宣教)",
    re.IGNORECASE,
)
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


class Reader(Parts):
    """The stated, recent phrases of one text."""

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
        if self._before("negated_zh", text, c_lo, start) or self._before(
            "negated", text, c_lo, start
        ):
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
        if not current and self._has("baseline_after", text, end, c_hi):
            return False  # "his mild confusion is the same as usual", "意识跟平时一样"
        if _ABOUT_RISK.match(text, end):
            return False  # "VTE risk", "bleeding and clot risk", "出血和血栓风险"
        if _NORMAL_AFTER.match(text, end) or _FORM_NO.match(text, end):
            return False
        if _PREVENT_BEFORE.search(text, max(0, start - 30), start) or self.quoted(text, start):
            return False
        if self.figurative(text, start, end):
            return False
        continues = self.cue.get("continues_zh")
        if continues is not None and continues.match(text, end):
            return False  # the phrase ends inside a longer word: 无尿 of 无尿急
        if self._has("other_after", text, end, s_hi):
            return False
        if not _DIGIT.search(text, start, end) and _CHECKED_BEFORE.search(
            text, max(0, start - 30), start
        ):
            return False  # a reading ("checked her temperature: 38.6") is not an instruction
        if self.resolved_after(text, end, c_hi, s_hi, f_hi):
            return False
        if self._has("ae_log", text, 0, start) and self.closed_entry(text, end, s_hi):
            return False  # an adverse-event log's entry, closed later in its sentence
        if (
            current is None
            and self._has("past_day", text, s_lo, s_hi)
            and self._has("recovered_since", text, s_hi, len(text))
        ):
            # an episode of a past day that a later sentence says is over: "Last Saturday
            # she had a temperature of 38.3 ... Home since Wednesday, back to her normal self"
            return False
        # A date before the phrase dates the sentence; one after it only its own clause:
        # "calcium 2.78 (ref 2.20-2.60), 2.52 a month ago" is today's value.
        return current is not None or not self.dated_past(text, s_lo, own_hi)

    def _asked_after(self, text: str, c_hi: int, s_hi: int) -> bool:
        """The sentence ends in a question mark, in a later clause than the phrase's."""
        return c_hi < s_hi and text[s_hi : s_hi + 1] in ("?", "？")

    def _negation_reaches(self, text: str, s_lo: int, c_lo: int, start: int, end: int) -> bool:
        """A negation of the sentence reaches the phrase when it is in the phrase's own
        clause, or the clauses before it are a list the negation opens ("no fever,
        cough or shivering"); not across a clause that says something else ("not opened
        his bowels for five days, vomiting since noon")."""
        if (
            c_lo > s_lo
            and _ANSWER_NO.match(text, s_lo, c_lo)
            and _ASKED_BEFORE.search(text, 0, s_lo)
        ):
            return False  # "PR bleed? no - black tarry stools": the "no" answers the question
        near = _near_start(text, max(c_lo, s_lo), start)
        if context_of(text[near:], start - near, end - near) == "negated":
            return True  # a negation in the last few words: "no fever", "denies any bleeding"
        if near > max(c_lo, s_lo):
            # the negation opens the phrase's own clause and the list it is in ("she denies
            # any thoughts of ending her life or harming herself"), or it is not there at all
            # ("not managed a wee all day and says his legs feel like jelly")
            return _NEGATED_LIST.search(text[max(c_lo, s_lo) : near]) is not None
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
        elif (c_hi < s_hi or (f_hi or 0) > s_hi) and _CJK.match(text, max(end - 1, 0)):
            # Chinese clauses carry no spaces to count words by; the resolution may come
            # clauses later ("拉肚子，一天4次左右，吃了洛哌丁胺后就好了"), up to a contrast
            # (to the end of the punctuated sentence: a transcript's pauses do not end it:
            # "三天前有一点便秘 用了乳果糖 第二天就通了")
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

    def closed_entry(self, text: str, end: int, s_hi: int) -> bool:
        """An `ae_closed` word after the phrase in its entry (sentence), not undone by
        "not" or 未 just before it."""
        pattern, undo = self.cue.get("ae_closed"), self.cue.get("not_before")
        for m in pattern.finditer(text, end, s_hi) if pattern is not None else ():
            if undo is None or not undo.search(text, max(end, m.start() - 10), m.start()):
                return True
        return False

    def dated_past(self, text: str, lo: int, hi: int) -> bool:
        return dated_past(text[lo:hi], self.today, self.limit, self.cfg.recent_days)

    # ------------------------------------------------------------ matching
    def phrases(
        self, pattern: re.Pattern[str] | None, text: str, through: frozenset[str] = frozenset()
    ) -> list[Hit]:
        if pattern is None:
            return []
        found = list(pattern.finditer(text))
        return [
            Hit(*m.span())
            for i, m in enumerate(found)
            if self.stated(text, *m.span(), through)
            and not self.resolved_later(text, m, found[i + 1 :])
        ]

    def resolved_later(self, text: str, m: re.Match[str], later: list[re.Match[str]]) -> bool:
        """The same finding named again in a later sentence as resolved: "plt 9 with
        petechiae, transfused; petechiae have faded" is one episode, now over."""
        _, s_hi = self.sentence(text, m.start(), m.end())
        for o in later:
            if o.start() < s_hi or o.group().lower() != m.group().lower():
                continue
            _, c_hi = self.clause(text, o.start(), o.end())
            _, o_hi = self.sentence(text, o.start(), o.end())
            if self.resolved_after(text, o.end(), c_hi, o_hi, self.frame(text, *o.span())[1]):
                return True
        return False

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
