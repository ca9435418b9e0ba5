"""Cheap language detection: writing system first, then common function words.

Only English and Chinese are read by the rest of the engine; anything else is
reported so that a translation can be arranged. The word lists are the most
frequent function words of each language (not clinical knowledge); a language
is named only when its words clearly outnumber English ones.
"""

from __future__ import annotations

import re
from collections import Counter

from casebridge.engine.ingest import limits

READ_LANGUAGES = ("en", "zh")

NAMES: dict[str, str] = {
    "en": "English",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "pl": "Polish",
    "ro": "Romanian",
    "tr": "Turkish",
    "cy": "Welsh",
    "ru": "a Cyrillic-script language (such as Russian, Ukrainian or Bulgarian)",
    "el": "Greek",
    "ar": "Arabic",
    "ur": "Urdu",
    "fa": "Persian",
    "he": "Hebrew",
    "hi": "Hindi (or another Devanagari-script language)",
    "bn": "Bengali",
    "pa": "Punjabi",
    "gu": "Gujarati",
    "ta": "Tamil",
    "th": "Thai",
}

# (first, last) code points of a script, and the language it is taken to be.
_SCRIPTS: tuple[tuple[int, int, str], ...] = (
    (0x4E00, 0x9FFF, "zh"),
    (0x3400, 0x4DBF, "zh"),
    (0xF900, 0xFAFF, "zh"),
    (0x3040, 0x30FF, "ja"),
    (0xAC00, 0xD7AF, "ko"),
    (0x1100, 0x11FF, "ko"),
    (0x0400, 0x04FF, "ru"),
    (0x0370, 0x03FF, "el"),
    (0x0600, 0x06FF, "ar"),
    (0x0590, 0x05FF, "he"),
    (0x0900, 0x097F, "hi"),
    (0x0980, 0x09FF, "bn"),
    (0x0A00, 0x0A7F, "pa"),
    (0x0A80, 0x0AFF, "gu"),
    (0x0B80, 0x0BFF, "ta"),
    (0x0E00, 0x0E7F, "th"),
)
_URDU_LETTERS = frozenset("ےںٹڈڑھ")
_PERSIAN_LETTERS = frozenset("پچژگکی")

_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the and of to is was were with for that this are be been has have which from "
        "at by on not it he she his her we you will would should there or an as had but "
        "they their if no",
        "fr": "le la les des du et est une un dans pour avec que qui sur pas au aux ce cette "
        "sont été il elle nous vous par mais ou plus son sa ses été très",
        "de": "der die das und ist nicht mit von den dem des ein eine einer zu im auf für sich "
        "wir sie es wurde bei nach auch aus oder wird ich",
        "es": "el los las del y que en es una por con para se al lo su como más pero sus fue "
        "este esta está muy",
        "it": "il di che è e per una del della con non sono gli nel alla dei delle anche come "
        "più stato ha questo",
        "pt": "os do da dos das em um uma com não para por no na é foi ao mais como também que se",
        "nl": "de het een en van is dat op te met voor niet zijn er aan ook bij wordt werd door "
        "naar deze dit",
        "pl": "i w z na się nie do to że jest od po przez jak oraz dla jego są był",
        "ro": "și în de la cu pe care este nu un mai din pentru sunt fost",
        "tr": "ve bir bu da de için ile olarak çok daha gibi var değil",
        "cy": "y yr a ac yn mae ar gyda am eich ni chi hi fe wedi bod neu hefyd",
    }.items()
}
_SAMPLE = 150_000  # characters looked at: beginning, middle and end of a long text
_WORD = re.compile(r"[^\W\d_]+")


def detect(text: str) -> str:
    """A language code for `text`: "en", "zh", or another ISO 639-1 code.
    Defaults to "en" when the evidence is thin."""
    if len(text) > _SAMPLE:
        third = _SAMPLE // 3
        middle = len(text) // 2
        text = text[:third] + text[middle : middle + third] + text[-third:]
    script = _script_language(text)
    if script is not None:
        return script
    words = [w.lower() for w in _WORD.findall(text)]
    if sum(len(w) for w in words) < limits.MIN_LANGUAGE_CHARS:
        return "en"
    hits: Counter[str] = Counter()
    for word in words:
        for lang, vocab in _FUNCTION_WORDS.items():
            if word in vocab:
                hits[lang] += 1
    english = hits["en"]
    best, count = max(hits.items(), key=lambda kv: kv[1], default=("en", 0))
    if best != "en" and count >= 8 and count / len(words) >= 0.10 and count > 2 * english:
        return best
    return "en"


def _script_language(text: str) -> str | None:
    """The language of a non-Latin writing system that makes up a good part of the letters."""
    counts: Counter[str] = Counter()
    letters = 0
    urdu = persian = 0
    for ch in text:
        if not ch.isalpha():
            continue
        letters += 1
        code = ord(ch)
        if code < 0x0370:
            continue
        for first, last, lang in _SCRIPTS:
            if first <= code <= last:
                counts[lang] += 1
                break
        if ch in _URDU_LETTERS:
            urdu += 1
        elif ch in _PERSIAN_LETTERS:
            persian += 1
    if not letters or not counts:
        return None
    if counts["ja"] and counts["ja"] >= 0.1 * (counts["ja"] + counts["zh"]):
        counts["ja"] += counts.pop("zh", 0)
    lang, count = counts.most_common(1)[0]
    # Han characters are whole words: a fifth of the letters is a lot of Chinese.
    share = 0.2 if lang in ("zh", "ja", "ko") else 0.4
    if count / letters < share:
        return None
    if lang == "ar" and urdu:
        return "ur"
    if lang == "ar" and persian:
        return "fa"
    return lang


def describe(code: str) -> str:
    return NAMES.get(code, f"a language other than English or Chinese ({code})")
