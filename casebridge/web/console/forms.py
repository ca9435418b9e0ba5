"""The console's forms: they parse and validate input; the actions decide.
A status is taken as text (not a closed choice) so that an illegal move is
refused by the workflow with its own plain message."""

from __future__ import annotations

import functools
from typing import Any

from django import forms
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from casebridge.engine.case import DOC_TYPES
from casebridge.engine.kb import fact_kinds
from casebridge.web.accounts.models import Role, User
from casebridge.web.cases.lib import doc_type_label, fact_kind_label, page_lang

# what a record says of a fact, in words (the engine's "context")
CONTEXT_WORDS: dict[str, Any] = {
    "asserted": _("Stated"),
    "negated": _("Ruled out"),
    "possible": _("Only possible"),
    "historical": _("In the past"),
    "family": _("About a relative"),
}
CONTEXTS = [("", _("Leave as it is")), *CONTEXT_WORDS.items()]


class VersionedForm(forms.Form):
    """The Case.version the coordinator saw (optimistic concurrency)."""

    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class StatusForm(VersionedForm):
    status = forms.CharField(max_length=30)
    reason = forms.CharField(
        label=_("Reason (kept in the audit trail)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AssignForm(VersionedForm):
    coordinator = forms.ModelChoiceField(
        label=_("Coordinator"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody (unassigned)"),
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
        label=_("Internal note (staff only; the patient never sees it)"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RestoreMarkedWrongForm(VersionedForm):
    """Which fact marked wrong to put back (the "Marked wrong" group's button)."""

    fact_id = forms.CharField(max_length=64, widget=forms.HiddenInput)


class CorrectFactForm(VersionedForm):
    """mode: save (the new value typed, else the new context chosen: what Enter
    sends), value, context, confirm (the record's words stand: stated),
    reject (the fact is wrong), add (a fact no document states)."""

    mode = forms.ChoiceField(
        choices=[
            ("save", _("Save")),
            ("value", _("New value")),
            ("context", _("New context")),
            ("confirm", _("Confirm")),
            ("reject", _("Wrong")),
            ("add", _("Add")),
            ("restore", _("Restore")),
        ]
    )
    fact_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[])
    value = forms.CharField(label=_("Value"), required=False, max_length=500)
    context = forms.ChoiceField(label=_("What the record says"), required=False, choices=CONTEXTS)
    reason = forms.CharField(
        label=_("Why (who said so, which record)"),
        required=False,  # but for an undo (restore): checked in clean()
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # ticked to save a value that looks like another kind of fact (console/facts.py)
    anyway = forms.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lang = page_lang()
        kinds = sorted(((k, fact_kind_label(k, lang)) for k in fact_kinds()), key=lambda kv: kv[1])
        field = self.fields["kind"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *kinds]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        mode = data.get("mode")
        typed = (data.get("value") or "").strip()
        if mode == "save":  # Enter: the value typed, else the context chosen
            mode = data["mode"] = "value" if typed else "context" if data.get("context") else ""
            if not mode:
                raise forms.ValidationError(
                    _("Type the corrected value or choose what the record says, then save.")
                )
        if mode != "restore" and not (data.get("reason") or "").strip() and "reason" in data:
            self.add_error("reason", forms.Field.default_error_messages["required"])
        if mode in {"value", "context", "confirm", "reject", "restore"} and not data.get("fact_id"):
            raise forms.ValidationError(_("Say which fact to correct."))
        if mode == "value" and not typed:
            self.add_error("value", _("Give the corrected value."))
        if mode == "context" and not data.get("context"):
            self.add_error("context", _("Choose what the record says."))
        if mode == "add":
            if not data.get("kind"):
                self.add_error("kind", _("Choose what kind of fact this is."))
            if not typed:
                self.add_error("value", _("Give the value."))
        return data


AS_READ = _("As casebridge read it")


def doc_type_choices(lang: str) -> list[tuple[str, str]]:
    """The types a coordinator may set, in the summary's words ("MDT outcome",
    "多学科诊疗（MDT）讨论结论"), never the engine's keys."""
    return [("", str(AS_READ)), *[(t, doc_type_label(t, lang)) for t in DOC_TYPES]]


class DocTypeForm(VersionedForm):
    doc_type = forms.ChoiceField(required=False, choices=[("", ""), *[(t, t) for t in DOC_TYPES]])


@functools.cache
def _doc_type_options(selected: str, lang: str) -> SafeString:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, mark_safe(" selected") if value == selected else "", label)  # nosec B308 B703
            for value, label in doc_type_choices(lang)
        ),
    )


def doc_type_options(selected: str) -> SafeString:
    """The <option>s of a document's type select, `selected` marked: the same
    few strings for every row of every page, built once per process and language."""
    return _doc_type_options(selected, page_lang())


class RecordRequestForm(forms.Form):
    title = forms.CharField(label=_("What to ask for"), max_length=200)
    detail = forms.CharField(
        label=_("Why it is needed and who usually holds it"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    gap_id = forms.CharField(required=False, max_length=120, widget=forms.HiddenInput)


class ClearRedFlagForm(forms.Form):
    note = forms.CharField(
        label=_("What you discussed with the person (required)"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SafetyReviewForm(VersionedForm):
    note = forms.CharField(
        label=_("What you discussed with the patient (required)"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your answer to the patient (they and the family who may message read it)"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
