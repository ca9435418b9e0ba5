"""The console's forms: they parse and validate input; the actions decide.
A status is taken as text (not a closed choice) so that an illegal move is
refused by the workflow with its own plain message."""

from __future__ import annotations

import functools
from typing import Any

from django import forms
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from casebridge.engine.case import DOC_TYPES
from casebridge.engine.kb import fact_kinds
from casebridge.web.accounts.models import Role, User

CONTEXTS = [
    ("", "Leave as it is"),
    ("asserted", "Stated"),
    ("negated", "Ruled out"),
    ("possible", "Possible"),
    ("historical", "In the past"),
    ("family", "About a relative"),
]


class VersionedForm(forms.Form):
    """The Case.version the coordinator saw (optimistic concurrency)."""

    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class StatusForm(VersionedForm):
    status = forms.CharField(max_length=30)
    reason = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(VersionedForm):
    coordinator = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Nobody (unassigned)"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["coordinator"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(
            role__in=[Role.COORDINATOR, Role.ADMIN], is_active=True
        )


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Internal note (staff only; the patient never sees it)",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CorrectFactForm(VersionedForm):
    """mode: value (a new value), context, reject (the fact is wrong), add (a
    fact no document states)."""

    mode = forms.ChoiceField(
        choices=[
            ("value", "New value"),
            ("context", "New context"),
            ("reject", "Wrong"),
            ("add", "Add"),
        ]
    )
    fact_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    kind = forms.ChoiceField(required=False, choices=[])
    value = forms.CharField(required=False, max_length=500)
    context = forms.ChoiceField(required=False, choices=CONTEXTS)
    reason = forms.CharField(
        label="Why (who said so, which record)",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = sorted(
            ((k, str(v.get("label", k))) for k, v in fact_kinds().items()), key=lambda kv: kv[1]
        )
        field = self.fields["kind"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *kinds]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        mode = data.get("mode")
        if mode in {"value", "context", "reject"} and not data.get("fact_id"):
            raise forms.ValidationError("Say which fact to correct.")
        if mode == "value" and not (data.get("value") or "").strip():
            self.add_error("value", "Give the corrected value.")
        if mode == "context" and not data.get("context"):
            self.add_error("context", "Choose the corrected context.")
        if mode == "add":
            if not data.get("kind"):
                self.add_error("kind", "Choose what kind of fact this is.")
            if not (data.get("value") or "").strip():
                self.add_error("value", "Give the value.")
        return data


DOC_TYPE_CHOICES = [("", "As the engine read it"), *[(t, t.replace("_", " ")) for t in DOC_TYPES]]


class DocTypeForm(VersionedForm):
    doc_type = forms.ChoiceField(required=False, choices=DOC_TYPE_CHOICES)


@functools.cache
def doc_type_options(selected: str) -> SafeString:
    """The <option>s of a document's type select, `selected` marked: the same
    few strings for every row of every page, built once per process."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, mark_safe(" selected") if value == selected else "", label)  # nosec B308 B703
            for value, label in DOC_TYPE_CHOICES
        ),
    )


class RecordRequestForm(forms.Form):
    title = forms.CharField(label="What to ask for", max_length=200)
    detail = forms.CharField(
        label="Why it is needed and who usually holds it",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    gap_id = forms.CharField(required=False, max_length=120, widget=forms.HiddenInput)


class ClearRedFlagForm(forms.Form):
    note = forms.CharField(
        label="What you discussed with the person (required)",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SafetyReviewForm(VersionedForm):
    note = forms.CharField(
        label="What you discussed with the patient (required)",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
