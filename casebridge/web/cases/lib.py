"""Reads (no state changes, no audit rows): what views and actions ask of a case."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import translation

from casebridge.engine import terminology
from casebridge.engine.case import DOC_TYPES
from casebridge.engine.case import Case as EngineCase
from casebridge.engine.kb import fact_kinds
from casebridge.web.cases import sealed
from casebridge.web.cases.models import Case, Consent, FactCorrection
from casebridge.web.cases.withdrawal import refuse_withheld

T = TypeVar("T")

# How many cases' parsed engine JSON a process keeps for pages that only read
# it (settings.ENGINE_CACHE_SIZE; 0 turns the cache off). A case of 300
# documents takes a few MB.
DEFAULT_ENGINE_CACHE_SIZE = 8


def active_consents(case: Case, kind: str | None = None) -> list[Consent]:
    queryset = case.consents.filter(withdrawn_at__isnull=True)
    if kind is not None:
        queryset = queryset.filter(kind=kind)
    return list(queryset)


def can_share_abroad(case: Case, recipient: str) -> bool:
    """Whether the case may be sent to `recipient` now: the patient's consent to
    process health data AND their consent to transfer abroad naming this
    recipient are both in force. Ask it right before every sharing: a
    withdrawal takes effect at once. Reads the database, never a cached value."""
    if not recipient:
        return False
    kinds = (Consent.Kind.PROCESSING_ART9, Consent.Kind.TRANSFER_ABROAD)
    return consents_allow_sharing(
        list(case.consents.filter(withdrawn_at__isnull=True, kind__in=kinds)), recipient
    )


def consents_allow_sharing(consents: list[Consent], recipient: str) -> bool:
    """can_share_abroad's rule on consents already read (those in force)."""
    if not recipient:
        return False
    if not any(c.kind == Consent.Kind.PROCESSING_ART9 for c in consents):
        return False
    wanted = recipient.strip().casefold()
    return any(
        str(r).strip().casefold() == wanted
        for consent in consents
        if consent.kind == Consent.Kind.TRANSFER_ABROAD
        for r in consent.recipients
    )


def _corrections(case: Case) -> list[FactCorrection]:
    return list(case.corrections.select_related("by"))


def _build(case: Case, corrections: list[FactCorrection]) -> EngineCase:
    engine = EngineCase.from_dict(case.engine)
    engine.corrections = [c.to_engine() for c in corrections]
    return engine


def engine_case(case: Case) -> EngineCase:
    """The engine's Case for this case, with the people's corrections from the
    database (the source of truth) in place of whatever the JSON held. A fresh
    object of the caller's own: actions and renderers may change it.
    Refused (withdrawal.ClinicalWithheld) to staff after the patient withdrew
    the consent to processing."""
    refuse_withheld(case)
    return _build(case, _corrections(case))


class EngineView:
    """A case's engine Case for pages that only read it, and what those pages
    derive from it (fact rows, letters, the checklist), each computed once.

    Shared by every request of this process until the case changes: never
    change `engine` or anything `derived` returns (use engine_case() for that)."""

    def __init__(self, engine: EngineCase, token: str = "") -> None:
        self.engine = engine
        # Names this reading: changes whenever the case's engine JSON, version or
        # corrections do (a key for fragments of pages rendered from it).
        self.token = token
        self._derived: dict[str, Any] = {}
        self._lock = threading.RLock()  # a derivation may use another

    def derived(self, name: str, compute: Callable[[EngineCase], T]) -> T:
        """compute(engine), computed on the first call for `name`, then kept."""
        with self._lock:
            if name not in self._derived:
                self._derived[name] = compute(self.engine)
            return self._derived[name]


_views: OrderedDict[Hashable, EngineView] = OrderedDict()
_views_lock = threading.Lock()


def _cache_size() -> int:
    return int(getattr(settings, "ENGINE_CACHE_SIZE", DEFAULT_ENGINE_CACHE_SIZE))


def read_engine(case: Case) -> EngineView:
    """The engine Case of `case` (from the gate), for reading only: parsed once
    per version of the case and kept by this process, so a page does not parse
    the whole engine JSON (hundreds of documents) again on every view.

    The key is what changes whenever the JSON or the corrections do: every
    write of Case.engine saves `updated_at` (and actions bump `version`), and a
    correction is a new FactCorrection row. One query (the corrections).
    Refused to staff after the withdrawal, like engine_case."""
    refuse_withheld(case)
    corrections = _corrections(case)
    key = (
        case.pk,
        case.pseudonym,
        case.version,
        case.updated_at,
        tuple((c.pk, c.at, c.by.display_name) for c in corrections),
    )
    token = hashlib.sha256(repr(key).encode()).hexdigest()[:24]
    size = _cache_size()
    if size <= 0:
        return EngineView(_build(case, corrections), token)
    with _views_lock:
        found = _views.get(key)
        if found is not None:
            _views.move_to_end(key)
            return found
    view = EngineView(_build(case, corrections), token)
    with _views_lock:
        # One entry per case: an older version of it is of no further use.
        for stale in [k for k in _views if isinstance(k, tuple) and k[0] == case.pk]:
            del _views[stale]
        _views[key] = view
        while len(_views) > size:
            _views.popitem(last=False)
    return view


def clear_engine_cache() -> None:
    with _views_lock:
        _views.clear()


def forget_case(case_pk: int) -> None:
    """Drop this process's parsed engine of a case (an erased case's plaintext
    must not outlive it in memory)."""
    with _views_lock:
        for key in [k for k in _views if isinstance(k, tuple) and k[0] == case_pk]:
            del _views[key]


# -- rendered fragments ------------------------------------------------------------------
#
# Parts of a page that depend only on one reading of a case (its facts table,
# say) are rendered once and kept in Django's cache framework (the "default"
# cache: per-process local memory unless settings.CACHES says otherwise; a
# shared cache such as Redis or Memcached serves every process of a server).
# The key holds the case, its reading's token (version, JSON, corrections),
# the language and the role, so a change or another audience never sees a
# stale or someone else's fragment. settings.FRAGMENT_CACHE_SECONDS (default
# 600; 0 turns it off) bounds how long an entry is kept.

DEFAULT_FRAGMENT_CACHE_SECONDS = 600


def fragment_cache_seconds() -> int:
    return int(getattr(settings, "FRAGMENT_CACHE_SECONDS", DEFAULT_FRAGMENT_CACHE_SECONDS))


def cached_fragment(
    view: EngineView, case: Case, name: str, lang: str, role: str, render: Callable[[], str]
) -> str:
    """render(), or the same fragment rendered earlier for this reading of the
    case, in this language, for this role."""
    seconds = fragment_cache_seconds()
    if seconds <= 0 or not view.token:
        return render()
    key = f"casebridge:fragment:{case.pk}:{view.token}:{name}:{lang}:{role}"
    # The default cache is a database table: a fragment (a facts table) is
    # health data, so it is kept sealed with the case's key like the fields
    # it comes from, and unreadable once the case is erased.
    aad = sealed.field_aad("cache", "fragment", case.pseudonym)
    cache = caches["default"]
    found = cache.get(key)
    if isinstance(found, bytes):
        try:
            return sealed.open_sealed(case.data_key(), aad, found).decode()
        except InvalidTag:
            pass  # not ours (a reused key): rendered again
    html = render()
    cache.set(key, bytes(sealed.seal(case.data_key(), aad, html.encode())), seconds)
    return html


# A cached fragment may hold forms: it is rendered with this in place of the
# CSRF token, and each response puts the request's own token in its place, so
# no one's token is ever kept in the cache or shown to someone else.
CSRF_PLACEHOLDER = "casebridge-csrf-token-placeholder"


def cached_form_fragment(
    request: HttpRequest,
    view: EngineView,
    case: Case,
    name: str,
    lang: str,
    role: str,
    template: str,
    context: dict[str, Any],
) -> str:
    """`template` rendered with `context` (cached like cached_fragment), its
    {% csrf_token %} tags carrying this request's token."""

    def render() -> str:
        return render_to_string(template, {**context, "csrf_token": CSRF_PLACEHOLDER})

    html = cached_fragment(view, case, name, lang, role, render)
    return html.replace(CSRF_PLACEHOLDER, get_token(request))


# -- the patient's wrong-type flags ----------------------------------------------------

TYPE_EVENTS = ("document.type_flagged", "document.type_overridden")


@dataclass(frozen=True)
class TypeFlag:
    """Someone on the patient's side said a document was read as the wrong type."""

    by: str
    at: dt.datetime
    note: str
    said_type: str  # the type shown to them when they flagged it
    suggested_type: str = ""  # the type they chose from the list ("" for "I don't know")

    @property
    def suggested_label(self) -> str:
        """The type they said it is, in English (for the console)."""
        return doc_type_label(self.suggested_type, "en")


def open_type_flags(case: Case) -> dict[int, TypeFlag]:
    """Documents flagged as the wrong type that no coordinator has re-typed since
    (the latest flag of each). One query, over the two audit actions."""
    flags: dict[int, TypeFlag] = {}
    events = case.audit_events.filter(action__in=TYPE_EVENTS).order_by("at", "pk")
    for event in events.only(
        "case_id", "action", "object_id", "actor_label", "at", "before", "after"
    ):
        try:
            doc_id = int(event.object_id)
        except ValueError:
            continue
        if event.action == "document.type_overridden":
            flags.pop(doc_id, None)
            continue
        flags[doc_id] = TypeFlag(
            by=event.actor_label,
            at=event.at,
            note=str((event.after or {}).get("note", "")),
            said_type=str((event.before or {}).get("doc_type", "") or ""),
            suggested_type=str((event.after or {}).get("suggested_type", "") or ""),
        )
    return flags


# -- document types in people's words --------------------------------------------------

# The terminology table's "Document" reads, on its own in a list of types, as
# no type at all: the patient's pages (and the console) say "Other document".
OTHER_DOCUMENT_EN = "Other document"


def doc_type_label(doc_type: str, lang: str) -> str:
    """A document type as a person reads it, in "en" or "zh", through the
    terminology table the summary uses (knowledge/terminology_zh.yaml doc_type):
    "mdt_outcome" -> "MDT outcome" / "多学科诊疗（MDT）讨论结论"; "" for none."""
    if not doc_type:
        return ""
    if doc_type == "other" and lang != "zh":
        return OTHER_DOCUMENT_EN
    key = f"doc_type.{doc_type}"
    text = terminology.label(key, lang)
    return doc_type.replace("_", " ") if text == key else text


def page_lang() -> str:
    """The active language as the terminology names it: "zh" or "en"."""
    return "zh" if (translation.get_language() or "").lower().startswith("zh") else "en"


def fact_kind_label(kind: str, lang: str) -> str:
    """A fact kind as a person reads it, in "en" or "zh", through the terminology
    the summary uses (fact_kind.<kind>), else the knowledge base's label:
    "cancer_type" -> "Cancer type" / "癌症类型", never the engine's key."""
    text = terminology.label(f"fact_kind.{kind}", lang)
    if text != f"fact_kind.{kind}":
        return text
    return str(fact_kinds().get(kind, {}).get("label", kind.replace("_", " ")))


def doc_type_choices(lang: str) -> list[tuple[str, str]]:
    """Every document type a person may choose, as (type, its name), "other" last."""
    return [(t, doc_type_label(t, lang)) for t in DOC_TYPES]
