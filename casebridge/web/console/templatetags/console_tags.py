"""Template filters of the console's pages: the engine's keys in the words the
summary and the patient's pages use, in the page's language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from casebridge.engine import terminology
from casebridge.engine.directions import load_directions
from casebridge.engine.render.summary import Wording
from casebridge.engine.terminology import Span
from casebridge.web.cases.lib import doc_type_label, fact_kind_label, page_lang
from casebridge.web.cases.wording import patient_gaps, spans_html
from casebridge.web.console.facts import value_words
from casebridge.web.console.forms import CONTEXT_WORDS
from casebridge.web.console.forms import doc_type_options as _doc_type_options
from casebridge.web.console.history import audit_text

register = template.Library()


@register.filter
def doc_type_options(selected: str | None) -> SafeString:
    """The <option>s of a document's type select, the current override selected."""
    return _doc_type_options(selected or "")


@register.filter
def type_label(doc_type: str | None) -> str:
    """ "mdt_outcome" -> "MDT outcome" (多学科诊疗（MDT）讨论结论 in Chinese); "" for none."""
    return doc_type_label(doc_type or "", page_lang())


@register.filter
def kind_label(kind: str | None) -> str:
    """ "her2_ihc" -> "HER2 IHC score" (HER2 免疫组化评分)."""
    return fact_kind_label(kind or "", page_lang()) if kind else ""


@register.filter
def was_words(fact: Any) -> str:
    """A corrected fact's value before the correction, in plain words (a cancer
    type's clinical name, never its code)."""
    return value_words(fact.kind, fact.original_value, page_lang())


@register.filter
def context_words(context: str | None) -> Any:
    """What a record says of a fact ("possible" -> "Only possible")."""
    return CONTEXT_WORDS.get(context or "", context or "")


@register.filter
def action_words(action: str) -> Any:
    """An audit action in plain words ("case.status_changed" -> "changed the status")."""
    return audit_text(action)


@register.filter
def gaps_in_words(engine: Any, patient_lang: str = "en") -> list[dict[str, Any]]:
    """What is missing, as the summary words it in the page's language, and the
    words a request for it starts from in the patient's language ("en" or
    "zh": they read the request as it is sent)."""
    lang = page_lang()
    asked = "zh" if patient_lang == "zh" else "en"
    shown = patient_gaps(engine, lang)
    sent = shown if asked == lang else patient_gaps(engine, asked)
    return [
        {
            "id": gap.id,
            "title": spans_html(gap.title, lang),
            "severity": gap.severity,
            "why": spans_html(gap.why, lang),
            "holder": spans_html(gap.holder, lang),
            "ask_title": _plain(ask.title),
            "ask_detail": " ".join(
                part for part in (_plain(ask.why), _held_by(_plain(ask.holder), asked)) if part
            ),
        }
        for gap, ask in zip(shown, sent, strict=True)
    ]


def _plain(spans: Any) -> str:
    return "".join(span.text for span in spans).strip()


def _held_by(holder: str, lang: str) -> str:
    if not holder:
        return ""
    with translation.override("zh-hans" if lang == "zh" else "en-gb"):
        return gettext("Usually held by: %(holder)s.") % {"holder": holder}


@register.filter
def timeline_in_words(engine: Any) -> list[dict[str, Any]]:
    """The timeline, each event as the summary words it in the page's language
    ("MDT discussion", never the engine's "Mdt: 10/09/2026" or "Booked: mdt"),
    with its first two sources, each once (a page the event was read from twice
    is one source)."""
    lang = page_lang()
    words = Wording(engine, lang)
    return [
        {
            "date": event.date,
            "words": spans_html(_named(words.event(event), lang), lang),
            "sources": _distinct_sources(event.sources)[:2],
        }
        for event in engine.timeline
    ]


def _named(spans: list[Any], lang: str) -> list[Any]:
    """An event's words with an engine key the summary leaves as it is in English
    ("booked: mdt") named by its term ("Booked: MDT meeting"), first letter up."""
    if lang == "zh":
        return spans
    table = terminology.table()
    out = []
    for span in spans:
        term = table.by_key(f"event.{span.text.strip()}")
        out.append(Span(term.en) if term is not None else span)
    if out and out[0].text:
        out[0] = Span(out[0].text[:1].upper() + out[0].text[1:], out[0].untranslated)
    return out


def _distinct_sources(sources: list[Any]) -> list[Any]:
    seen: dict[tuple[str, Any], Any] = {}
    for source in sources:
        seen.setdefault((source.file_name, source.page), source)
    return list(seen.values())


@register.filter
def in_lang(value: Any) -> str:
    """The page's language of a bilingual value ({"en": ..., "zh": ...} or an
    object with .en and .zh), English when there is no Chinese."""
    if value is None:
        return ""
    if isinstance(value, dict):
        en, zh = value.get("en", ""), value.get("zh", "")
    else:
        en, zh = getattr(value, "en", ""), getattr(value, "zh", "")
    return str(zh or en) if page_lang() == "zh" else str(en or zh)


@register.filter
def discipline_name(key: str) -> str:
    """A specialty by its directory key ("medical_oncology" -> "Medical oncology"
    / "肿瘤内科"), in the page's language."""
    names = load_directions().disciplines.get(key or "")
    return in_lang(names) if names is not None else (key or "").replace("_", " ")


# In Chinese the case page reads the engine's values and safety flags as the
# summary words them (a Wording of the case, made once per page by the view);
# in English, `words` is None and the engine's own words are shown.


@register.filter
def value_in(fact: Any, words: Wording | None) -> Any:
    """A fact's value in the page's language."""
    if words is None:
        return fact.display or fact.value
    return spans_html(words.value(fact), "zh")


@register.filter
def flag_label_in(flag: Any, words: Wording | None) -> Any:
    return flag.label if words is None else spans_html(words.flag_label(flag), "zh")


@register.filter
def flag_advice_in(flag: Any, words: Wording | None) -> Any:
    return flag.advice if words is None else spans_html(words.flag_advice(flag), "zh")
