"""Seeding a demo: a patient whose example records are uploaded through the
same action a person's upload uses (so the worker processes them), a
coordinator, and a red-flagged enquiry for the console's queue.

Only for a demo server (`casebridge serve --demo`, `manage.py demo`): the
accounts get fresh random passwords on every run, printed once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.db import transaction

import casebridge
from casebridge.web.accounts.models import Role, User
from casebridge.web.cases.actions import do_create_case, do_give_consent, do_upload_document
from casebridge.web.cases.errors import ActionError, DuplicateDocument
from casebridge.web.cases.models import Case, Consent, Enquiry

PATIENT_EMAIL = "patient@demo.casebridge.test"
COORDINATOR_EMAIL = "coordinator@demo.casebridge.test"
ENQUIRY_EMAIL = "enquirer@demo.casebridge.test"
EXAMPLE = "breast-her2"


def examples_dir() -> Path:
    """The bundled example records (a source checkout: examples/ next to the package)."""
    return Path(casebridge.__file__).resolve().parent.parent / "examples" / EXAMPLE


@dataclass
class DemoLogins:
    patient_email: str
    patient_password: str
    coordinator_email: str
    coordinator_password: str
    case_pseudonym: str
    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already there, or refused (with why)


def _current_consent_version(kind: str) -> str:
    """The consent wording's current version, from the portal's content file (read,
    not imported: no app imports another)."""
    path = Path(casebridge.__file__).resolve().parent / "web" / "portal" / "content"
    with (path / "consents.yaml").open(encoding="utf-8") as handle:
        return str(yaml.safe_load(handle)[kind]["version"])


def _account(email: str, role: str, full_name: str, password: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, password, role=role, full_name=full_name)
    else:
        user.set_password(password)
        user.role, user.is_active = role, True
        fields = ["password", "role", "is_active"]
        if not (user.full_name or "").strip():  # the name is the account's, never looked up
            user.full_name = full_name
            fields.append("full_name")
        user.save(update_fields=fields)
    # allauth requires a verified address to sign in.
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def seed_demo(records: Path | None = None) -> DemoLogins:
    """Create (or refresh) the demo accounts and case; upload the example
    records not yet in it. Safe to run again."""
    patient_password = secrets.token_urlsafe(12)
    coordinator_password = secrets.token_urlsafe(12)
    with transaction.atomic():
        patient = _account(PATIENT_EMAIL, Role.PATIENT, "Demo Patient", patient_password)
        coordinator = _account(
            COORDINATOR_EMAIL, Role.COORDINATOR, "Demo Coordinator", coordinator_password
        )
    case = Case.objects.filter(owner=patient).order_by("created_at").first()
    if case is None:
        case = do_create_case(acting_user=coordinator, owner=patient, programme="oncology")
    logins = DemoLogins(
        patient_email=PATIENT_EMAIL,
        patient_password=patient_password,
        coordinator_email=COORDINATOR_EMAIL,
        coordinator_password=coordinator_password,
        case_pseudonym=case.pseudonym,
    )
    # the records are read only with the patient's consent: without it the demo's
    # case asked for a consent beside records already read
    processing = Consent.Kind.PROCESSING_ART9
    if not case.consents.filter(kind=processing, withdrawn_at__isnull=True).exists():
        do_give_consent(
            case,
            acting_user=patient,
            kind=processing,
            text_version=_current_consent_version(processing),
        )
    folder = records if records is not None else examples_dir()
    files = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    if not files:
        logins.skipped.append(f"no example records found at {folder.name}")
    for path in files:
        try:
            do_upload_document(
                case, acting_user=patient, file_name=path.name, data=path.read_bytes()
            )
        except DuplicateDocument:
            logins.skipped.append(f"{path.name}: already uploaded")
        except (ActionError, OSError) as error:
            logins.skipped.append(f"{path.name}: {error}")
        else:
            logins.uploaded.append(path.name)
    # the e-mail is sealed, so it is compared opened: the demo's few enquiries
    if not any(e.email == ENQUIRY_EMAIL for e in Enquiry.objects.all()):
        Enquiry.objects.create(
            full_name="Demo Enquirer",
            email=ENQUIRY_EMAIL,
            programme="oncology",
            diagnosis="(demo) Breast cancer, diagnosed last month.",
            question="(demo) Is the treatment plan the right one?",
            red_flag_answers=["new_breathlessness"],
            red_flag_state=Enquiry.RedFlag.FLAGGED,
            contact_consent=True,
            status=Enquiry.Status.VERIFIED,
        )
    return logins


def describe(logins: DemoLogins, url: str) -> str:
    """What to print for the person starting the demo."""
    lines = [
        f"casebridge demo at {url}",
        f"  patient:     {logins.patient_email}  password: {logins.patient_password}",
        f"  coordinator: {logins.coordinator_email}  password: {logins.coordinator_password}",
        f"  coordinator console: {url.rstrip('/')}/console/",
        f"  demo case {logins.case_pseudonym}: {len(logins.uploaded)} record(s) uploaded "
        "and queued for the worker",
    ]
    lines += [f"  skipped {item}" for item in logins.skipped]
    lines.append("  (the passwords change every time the demo starts)")
    lines.append(
        "  the coordinator enrols a second factor (an authenticator app, TOTP) at first sign-in"
    )
    return "\n".join(lines)
