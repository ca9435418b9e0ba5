"""The reviewer's forms: their discipline's opinion and the lead's team opinion.
Labels in Chinese first through the catalogue (the workspace opens in Chinese)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
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
