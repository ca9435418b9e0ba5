"""The retention job (cases/retention.py, `manage.py apply_retention`): what is
past its retention period is erased through the erasure, by the system, and
nothing else; a dry run erases nothing; nothing open is ever erased."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from casebridge.web import serve
from casebridge.web.cases import storage, workflow
from casebridge.web.cases.actions import (
    do_change_status,
    do_create_case,
    do_give_consent,
    do_upload_document,
    do_withdraw_consent,
)
from casebridge.web.cases.models import AuditEvent, Case, Document, Enquiry
from casebridge.web.cases.retention import do_apply_retention
from tests.web.records import PATHOLOGY

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
# The audit trail cannot be back-dated (append-only; on PostgreSQL a trigger
# refuses an UPDATE), so the job is run as of a later day instead: LATER days
# from now, with a retention of 100 days for cases and 30 for enquiries.
LATER = 101


def _later() -> dt.datetime:
    return timezone.now() + LATER * DAY


def _touched(model, obj, days_from_now: float) -> None:
    """Its last change `days_from_now` days from now (as seen from _later())."""
    model.objects.filter(pk=obj.pk).update(updated_at=timezone.now() + days_from_now * DAY)


def _ended(people, owner, status=workflow.CLOSED) -> Case:
    case = do_create_case(acting_user=owner, owner=owner)
    do_upload_document(case, acting_user=owner, file_name="h.txt", data=PATHOLOGY.encode())
    by = owner if status == workflow.WITHDRAWN else people.coordinator
    do_change_status(case, acting_user=by, status=status, expected_version=case.version)
    return case


def _enquiry(**fields) -> Enquiry:
    return Enquiry.objects.create(full_name="Sam Stale", email="sam@example.org", **fields)


@pytest.fixture
def world(people, settings):
    settings.RETENTION_DAYS = 100
    settings.ENQUIRY_RETENTION_DAYS = 30
    old_closed = _ended(people, people.owner, workflow.CLOSED)  # 101 days: due
    old_withdrawn = _ended(people, people.outsider, workflow.WITHDRAWN)
    recent_closed = _ended(people, people.owner, workflow.CLOSED)
    _touched(Case, recent_closed, 2)  # 99 days: kept
    old_open = do_create_case(acting_user=people.owner, owner=people.owner)  # open: never
    held = do_create_case(acting_user=people.owner, owner=people.owner)
    do_give_consent(held, acting_user=people.owner, kind="processing_art9", text_version="1")
    do_withdraw_consent(held, acting_user=people.owner, kind="processing_art9")  # still open
    paused = do_create_case(acting_user=people.owner, owner=people.owner)
    Case.objects.filter(pk=paused.pk).update(status=workflow.PAUSED_SAFETY)
    stale = _enquiry(status=Enquiry.Status.VERIFIED)
    spam = _enquiry(status=Enquiry.Status.SPAM)
    fresh = _enquiry()
    _touched(Enquiry, fresh, LATER - 29)
    became_a_case = _enquiry(status=Enquiry.Status.ACCEPTED, case=recent_closed)
    return {
        "due": [old_closed, old_withdrawn],
        "kept": [recent_closed, old_open, held, paused],
        "due_enquiries": [stale, spam],
        "kept_enquiries": [fresh, became_a_case],
    }


@pytest.fixture
def as_of_later(monkeypatch):
    """The job's clock (and only its clock) LATER days on, for the command and
    the serve loop, which take no date."""
    from casebridge.web.cases import retention

    class Clock:
        @staticmethod
        def now() -> dt.datetime:
            return _later()

    monkeypatch.setattr(retention, "timezone", Clock)


def test_a_dry_run_lists_what_is_due_and_erases_nothing(world):
    run = do_apply_retention(dry_run=True, now=_later())
    assert {d.pk for d in run.due if d.kind == "case"} == {c.pk for c in world["due"]}
    assert {d.pk for d in run.due if d.kind == "enquiry"} == {e.pk for e in world["due_enquiries"]}
    assert run.erased == []
    assert Case.objects.filter(pk__in=[c.pk for c in world["due"]]).count() == 2
    assert Enquiry.objects.count() == 4
    assert not AuditEvent.objects.filter(action__in=["case.erased", "enquiry.erased"]).exists()


def test_retention_erases_only_what_is_due(world, django_capture_on_commit_callbacks):
    blobs = [d.blob_path for d in Document.objects.filter(case__in=world["due"])]
    assert blobs and all(storage.blob_store().exists(name) for name in blobs)
    with django_capture_on_commit_callbacks(execute=True):
        run = do_apply_retention(now=_later())
    assert {d.pk for d in run.erased} == {c.pk for c in world["due"]} | {
        e.pk for e in world["due_enquiries"]
    }
    assert not Case.objects.filter(pk__in=[c.pk for c in world["due"]]).exists()
    assert not any(storage.blob_store().exists(name) for name in blobs)  # the files too
    kept = Case.objects.filter(pk__in=[c.pk for c in world["kept"]])
    assert kept.count() == len(world["kept"])
    assert Document.objects.filter(case__in=world["kept"]).exists()  # their rows intact
    assert set(Enquiry.objects.values_list("pk", flat=True)) == {
        e.pk for e in world["kept_enquiries"]
    }


def test_every_erasure_is_audited_with_the_system_as_actor(world):
    do_apply_retention(now=_later())
    erased = AuditEvent.objects.filter(action="case.erased")
    assert erased.count() == 2
    for event in erased:
        assert event.actor is None and event.actor_label == "system"
        assert event.after["reason"] == "retention"
    assert {e.after["case"] for e in erased} == {c.pseudonym for c in world["due"]}
    enquiries = AuditEvent.objects.filter(action="enquiry.erased")
    assert {e.after["enquiry"] for e in enquiries} == {e.pk for e in world["due_enquiries"]}
    assert AuditEvent.objects.get(action="retention.applied").actor_label == "system"


def test_a_second_run_finds_nothing_more(world):
    do_apply_retention(now=_later())
    again = do_apply_retention(now=_later())
    assert again.due == [] and again.erased == []


def test_a_case_closed_long_ago_but_changed_lately_waits_for_its_last_change(people, settings):
    settings.RETENTION_DAYS = 100
    case = _ended(people, people.owner, workflow.CLOSED)
    _touched(Case, case, LATER - 10)
    assert do_apply_retention(now=_later()).erased == []
    assert Case.objects.filter(pk=case.pk).exists()


def test_the_command_dry_run_prints_and_keeps_and_the_real_run_erases(world, as_of_later):
    out = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    text = out.getvalue()
    assert all(f"would erase case {c.pseudonym}" in text for c in world["due"])
    assert "nothing erased" in text
    assert Case.objects.filter(pk__in=[c.pk for c in world["due"]]).count() == 2
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert all(f"erased case {c.pseudonym}" in out.getvalue() for c in world["due"])
    assert not Case.objects.filter(pk__in=[c.pk for c in world["due"]]).exists()


def test_the_built_in_workers_loop_runs_it_once_a_day(world, as_of_later):
    ran = serve.apply_retention_if_due(None, 1000.0)
    assert ran == 1000.0
    assert not Case.objects.filter(pk__in=[c.pk for c in world["due"]]).exists()
    assert serve.apply_retention_if_due(ran, ran + 3600) == ran  # not again within the day
    later = ran + serve.RETENTION_EVERY_SECONDS
    assert serve.apply_retention_if_due(ran, later) == later


def test_the_defaults_are_eight_years_and_six_months():
    from django.conf import settings

    assert settings.RETENTION_DAYS == 2922  # 8 years after the case ended
    assert settings.ENQUIRY_RETENTION_DAYS == 180
