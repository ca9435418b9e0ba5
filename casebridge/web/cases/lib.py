"""Reads (no state changes, no audit rows): what views and actions ask of a case."""

from __future__ import annotations

from casebridge.engine.case import Case as EngineCase
from casebridge.web.cases.models import Case, Consent


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
    if not case.consents.filter(
        kind=Consent.Kind.PROCESSING_ART9, withdrawn_at__isnull=True
    ).exists():
        return False
    wanted = recipient.strip().casefold()
    for consent in active_consents(case, Consent.Kind.TRANSFER_ABROAD):
        if any(str(r).strip().casefold() == wanted for r in consent.recipients):
            return True
    return False


def engine_case(case: Case) -> EngineCase:
    """The engine's Case for this case, with the people's corrections from the
    database (the source of truth) in place of whatever the JSON held."""
    engine = EngineCase.from_dict(case.engine)
    engine.corrections = [c.to_engine() for c in case.corrections.select_related("by")]
    return engine
