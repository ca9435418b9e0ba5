"""The portal's forms: they parse and validate; actions make the changes."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from casebridge.web.cases.lib import doc_type_choices
from casebridge.web.cases.models import PROGRAMME_CHOICES, CaseMember, Enquiry
from casebridge.web.portal import content

# Countries an enquirer most often comes from first; any ISO 3166-1 alpha-2 code
# is accepted by the action. Names stay short and plain.
COUNTRY_CHOICES = [
    ("GB", _("United Kingdom")),
    ("CN", _("China")),
    ("HK", _("Hong Kong")),
    ("TW", _("Taiwan")),
    ("SG", _("Singapore")),
    ("MY", _("Malaysia")),
    ("IE", _("Ireland")),
    ("US", _("United States")),
    ("CA", _("Canada")),
    ("AU", _("Australia")),
    ("NZ", _("New Zealand")),
    ("ZZ", _("Another country")),
]

PROGRAMME_LABELS = {
    "oncology": _("Cancer"),
    "rare-disease": _("Rare disease"),
    "fertility": _("Fertility"),
    "eye": _("Eyes"),
    "rehabilitation": _("Rehabilitation"),
}


class UrgencyForm(forms.Form):
    """Red-flag questions: tick any that apply now, or say none do."""

    red_flags = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Does the patient (you, or the person you are asking for) have any of these now?"),
    )
    none_apply = forms.BooleanField(required=False, label=_("None of these apply now"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        red_flags = cast(forms.MultipleChoiceField, self.fields["red_flags"])
        red_flags.choices = [(q.id, q.text) for q in content.red_flag_questions()]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        ticked = data.get("red_flags") or []
        if not ticked and not data.get("none_apply"):
            raise forms.ValidationError(
                _("Tick any symptom the patient has now, or tick “None of these apply now”.")
            )
        if ticked and data.get("none_apply"):
            raise forms.ValidationError(
                _("You ticked a symptom and “None of these”: please check your answers.")
            )
        return data


class ContactForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail address"), required=False)
    phone = forms.CharField(label=_("Phone number"), max_length=40, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("email") and not data.get("phone"):
            raise forms.ValidationError(_("Give an e-mail address or a phone number."))
        return data


class EnquiryForm(forms.Form):
    """The enquiry (step 2). As the NHS service manual asks: optional fields say
    "(optional)" in their label, and every required one says in its error what
    to do. Nothing is preselected for who is writing, so a relative cannot send
    it as the patient by mistake."""

    relationship = forms.ChoiceField(
        label=_("Who are you?"),
        choices=[
            ("self", _("I am the patient")),
            ("family", _("A family member")),
            ("caregiver", _("A caregiver")),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select whether you are the patient, a family member or a caregiver.")
        },
    )
    programme = forms.ChoiceField(
        label=_("What is it about?"),
        choices=[(p, PROGRAMME_LABELS.get(p, label)) for p, label in PROGRAMME_CHOICES],
        initial="oncology",
        error_messages={"required": _("Select what your enquiry is about.")},
    )
    diagnosis = forms.CharField(
        label=_("The diagnosis, in your own words"),
        help_text=_("If there is no diagnosis yet, say what the doctors are looking for."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={
            "required": _(
                "Enter the diagnosis in your own words, or what the doctors are looking for."
            )
        },
    )
    current_status = forms.CharField(
        label=_("How things are now, and the current treatment (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )
    goals = forms.CharField(
        label=_("What you hope a second opinion will help with (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )
    questions = forms.CharField(
        label=_("Your questions for the specialists (optional)"),
        # the case lists them one a line (cases.questions.split_enquiry_questions)
        help_text=_("One question per line."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        required=False,
    )
    country = forms.ChoiceField(
        label=_("Home country"),
        choices=COUNTRY_CHOICES,
        initial="GB",
        error_messages={"required": _("Select your home country.")},
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=[("en", "English"), ("zh", "简体中文")],
        widget=forms.RadioSelect,
        initial="en",
        error_messages={"required": _("Select the language you would like us to use.")},
    )
    full_name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        error_messages={"required": _("Enter your name.")},
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_(
            "After you create your account, we send a link to this address to check it is yours."
        ),
        error_messages={
            "required": _("Enter your e-mail address."),
            "invalid": _("Enter an e-mail address in the right format, like name@example.com."),
        },
    )
    contact_consent = forms.BooleanField(
        label=_("I agree that casebridge may contact me about this enquiry by e-mail (needed)"),
        help_text=_(
            "We need this to reply to you and to send the link that confirms your address. "
            "Our e-mails carry a link only, never health information."
        ),
        required=True,
        error_messages={
            "required": _(
                "Tick the box to agree that we may e-mail you: without it we cannot reply to "
                "your enquiry."
            )
        },
    )


class UploadForm(forms.Form):
    """Parsed by hand in the view (several files); this gives the template its field."""


class FlagTypeForm(forms.Form):
    """ "This is the wrong type": what it should be (from the list, in the page's
    language, or "I don't know") and, if they like, a few words."""

    doc_type = forms.ChoiceField(label=_("What kind of document is it?"), required=False)
    note = forms.CharField(
        label=_("Anything else a coordinator should know (optional)"),
        max_length=500,
        required=False,
    )

    def __init__(self, *args: Any, lang: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["doc_type"]).choices = [
            ("", _("I don't know")),
            *doc_type_choices(lang),
        ]


class ConsentForm(forms.Form):
    agree = forms.BooleanField(label=_("I agree"), required=True)


class TransferConsentForm(forms.Form):
    recipient = forms.ChoiceField(label=_("Reviewing team"), widget=forms.RadioSelect)
    agree = forms.BooleanField(label=_("I agree"), required=True)

    def __init__(
        self, *args: Any, recipients: list[dict[str, str]] | None = None, **kwargs: Any
    ) -> None:
        """`recipients`: the department chosen for the case (cases.matching.
        consent_recipient), the one team a consent may name now."""
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["recipient"]).choices = [
            (r["id"], f"{r['name']} ({r['country']})") for r in recipients or []
        ]


class WithdrawForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, k) for k in ("processing_art9", "transfer_abroad")])


class WithdrawCaseForm(forms.Form):
    """The patient's confirmation that the case is to be withdrawn (final)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label=_("I understand that withdrawing is final: this case cannot be reopened."),
        required=True,
        error_messages={"required": _("Tick the box to confirm, or go back to your case.")},
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Their e-mail address"))
    name = forms.CharField(
        label=_("Their name (optional)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"aria-describedby": "invite-name-hint"}),
    )
    language = forms.ChoiceField(
        label=_("The language of their invitation"),
        choices=[("en", "English"), ("zh", "简体中文")],
        widget=forms.RadioSelect,
        required=False,  # the page's language when not chosen
    )
    relationship = forms.ChoiceField(
        label=_("They are"),
        choices=[
            (CaseMember.Relationship.FAMILY, _("A family member")),
            (CaseMember.Relationship.CAREGIVER, _("A caregiver")),
        ],
        widget=forms.RadioSelect,
        initial=CaseMember.Relationship.FAMILY,
    )
    can_upload = forms.BooleanField(label=_("They may add records"), required=False)
    can_message = forms.BooleanField(
        label=_("They may send and read messages with the coordinator"), required=False
    )
    can_approve = forms.BooleanField(
        label=_(
            "They may approve, for me, what is sent to the reviewing team abroad "
            "(my consent is still mine to give)"
        ),
        required=False,
    )


class AcceptInvitationForm(forms.Form):
    """The invitee's only step: a new password, twice, and the terms. The
    password is checked by the site's password rules for this account."""

    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "new-password", "aria-describedby": "password-help"}
        ),
        error_messages={"required": _("Choose a password.")},
    )
    password2 = forms.CharField(
        label=_("Type the same password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Type the same password again.")},
    )
    terms = forms.BooleanField(
        error_messages={"required": _("Tick the box to agree to the terms.")},
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        from django.contrib.auth import password_validation

        data = cast(dict[str, Any], super().clean())
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords are not the same. Type them again."))
        elif first:
            try:
                password_validation.validate_password(first, self.user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class RevokeMemberForm(forms.Form):
    """The patient removes a family member or caregiver (the membership's id)."""

    member = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ChangeMemberForm(RevokeMemberForm):
    """The patient changes what a family member or caregiver may do (unticked
    boxes are not sent: each is False unless ticked)."""

    can_upload = forms.BooleanField(required=False)
    can_message = forms.BooleanField(required=False)
    can_approve = forms.BooleanField(required=False)


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"), widget=forms.Textarea(attrs={"rows": 4}), max_length=20000
    )


RELATIONSHIPS = Enquiry.Relationship.values
