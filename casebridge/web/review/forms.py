"""The reviewer's forms: their discipline's opinion and the lead's team opinion.
Labels in Chinese first through the catalogue (the workspace opens in Chinese)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

AGREEMENT_CHOICES = [
    ("agree", _("Agree with the diagnosis")),
    ("partly", _("Agree in part")),
    ("disagree", _("Do not agree")),
    ("cannot_say", _("Cannot say from these records")),
]


def _text(label: StrOrPromise, help_text: StrOrPromise = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DisciplineOpinionForm(forms.Form):
    agreement = forms.ChoiceField(
        label=_("The diagnosis in the records"),
        choices=AGREEMENT_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    diagnosis_note = _text(_("Why"))
    staging = _text(_("Staging"))
    direction = _text(_("Recommended direction"))
    further_tests = _text(_("Further tests"))
    trials = _text(_("Relevance of trials or advanced therapies"))
    questions_back = _text(
        _("Questions for the patient's team"), _("They reach the team through the coordinator.")
    )


class TeamOpinionForm(DisciplineOpinionForm):
    summary = _text(_("Summary of the team's opinion"))
    disagreements = _text(
        _("Where the team did not agree"), _("It stays on record beside the signed opinion.")
    )
    language = forms.ChoiceField(
        label=_("Written in"), choices=[("zh", "中文"), ("en", "English")], initial="zh"
    )
    amend_reason = _text(_("Why this version amends the signed one"))

    field_order = [
        "summary",
        "agreement",
        "diagnosis_note",
        "staging",
        "direction",
        "further_tests",
        "trials",
        "questions_back",
        "disagreements",
        "language",
        "amend_reason",
    ]


# The HTML of forms not yet posted, by what fills them, in this process only (an
# opinion's text is health data: never in the shared cache table). Django renders
# a form through a template per field and widget: ~40 % of the workspace's time,
# the same HTML each time a reviewer reloads the page.
FORM_CACHE_SIZE = 64
_FORM_HTML: dict[tuple[str, ...], SafeString] = {}


def as_html(form: forms.Form) -> SafeString:
    """The form as its `as_div` renders it; an unbound form's HTML is kept and
    reused while its initial values and the language are the same."""
    if form.is_bound:  # errors shown to the reviewer: rendered each time
        return form.as_div()
    initial = tuple(f"{name}={form.initial[name]!s}" for name in sorted(form.initial))
    key = (type(form).__qualname__, str(form.auto_id), get_language() or "", *initial)
    html = _FORM_HTML.get(key)
    if html is None:
        html = form.as_div()
        if len(_FORM_HTML) >= FORM_CACHE_SIZE:
            _FORM_HTML.pop(next(iter(_FORM_HTML)))
        _FORM_HTML[key] = html
    return html
