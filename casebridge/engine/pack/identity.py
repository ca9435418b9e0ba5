"""Who the patient is, as known outside the records (the account, the intake
form): hidden in the pack as the identifiers the records hold are, and, when
nothing at all is known, a pack that is refused rather than sent unredacted.

A record may not name the patient the way the account does (a letter with the
name only in a scanned letterhead, a page where ingest misread it), so the
identity the web holds seeds the Redactor too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from casebridge.engine.case import Identifier, Source
from casebridge.engine.errors import CasebridgeError


class PackError(CasebridgeError):
    """A case pack cannot be built safely (e.g. nothing is known of who the patient is)."""

    code = "E301"


@dataclass(frozen=True)
class KnownIdentity:
    """Identifiers of the patient known from outside the records; "" when unknown."""

    name: str = ""
    date_of_birth: str = ""  # any usual form: 14/03/1971, 1971-03-14, 1971年3月14日
    nhs_number: str = ""
    address: str = ""
    postcode: str = ""
    phone: str = ""
    email: str = ""
    hospital_number: str = ""
    national_id: str = ""  # e.g. a mainland resident identity number
    # more, as (kind, value): other names (maiden name, a Chinese name), other phones...
    others: tuple[tuple[str, str], ...] = ()

    def identifiers(self) -> list[Identifier]:
        pairs = [
            ("person_name", self.name),
            ("date_of_birth", self.date_of_birth),
            ("nhs_number", self.nhs_number),
            ("address", self.address),
            ("postcode", self.postcode),
            ("phone", self.phone),
            ("email", self.email),
            ("hospital_number", self.hospital_number),
            ("national_id", self.national_id),
            *self.others,
        ]
        return [known_identifier(kind, value) for kind, value in pairs if str(value).strip()]


# intake answers that name the patient (the web's enquiry form writes full_name, email, phone)
_INTAKE_KEYS = {
    "full_name": "person_name",
    "name": "person_name",
    "patient_name": "person_name",
    "date_of_birth": "date_of_birth",
    "dob": "date_of_birth",
    "nhs_number": "nhs_number",
    "address": "address",
    "postcode": "postcode",
    "phone": "phone",
    "email": "email",
}


def from_intake(intake: Mapping[str, Any]) -> list[Identifier]:
    """The identifiers the patient's intake answers hold, if any."""
    return [
        known_identifier(kind, str(intake[key]))
        for key, kind in _INTAKE_KEYS.items()
        if isinstance(intake.get(key), str) and intake[key].strip()
    ]


def known_identifier(kind: str, value: str) -> Identifier:
    """An identifier that no page states: its source names no document."""
    value = " ".join(value.split())
    return Identifier(kind, value, Source("known", "", 0, 0, 0, ""))


def require_identity(identifiers: Iterable[Identifier]) -> None:
    """Refuse a pack when no name, NHS number or date of birth of the patient is
    known: the Redactor would then hide next to nothing and every page would
    pass its checks with the patient's details on it."""
    kinds = {i.kind for i in identifiers if str(i.value).strip()}
    if not kinds & {"person_name", "nhs_number", "date_of_birth"}:
        raise PackError(
            "no name, NHS number or date of birth of the patient is known, so the pack "
            "could not be checked for them: give the patient's identity (known=) or add a "
            "record that states it"
        )
