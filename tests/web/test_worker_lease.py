"""A live worker keeps its lease while it reads (cases/lease.py); a dead one
does not, and a run that lost the document renews nothing."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from casebridge.web.cases import lease
from casebridge.web.cases.actions import do_upload_document
from casebridge.web.cases.models import Document
from casebridge.web.cases.tasks import _claim, requeue_stale_documents
from tests.web.records import PATHOLOGY

# Real threads with connections of their own: the renewals must commit.
pytestmark = pytest.mark.django_db(transaction=True)


def _claimed(people, case) -> tuple[Document, int]:
    doc = do_upload_document(
        case, acting_user=people.owner, file_name="histology.txt", data=PATHOLOGY.encode()
    )
    attempt = _claim(doc.pk)
    assert attempt == 1
    return doc, attempt


def test_a_slow_read_keeps_its_document_past_the_first_lease(people, case, settings):
    settings.DOCUMENT_LEASE_SECONDS = 1
    doc, attempt = _claimed(people, case)
    with lease.kept(doc.pk, attempt):
        time.sleep(2.5)  # more than two leases: taken over without renewals
        assert requeue_stale_documents() == []
        doc.refresh_from_db()
        assert doc.state == Document.State.PROCESSING
        assert doc.lease_expires_at > timezone.now()


def test_a_read_that_ended_renews_nothing_and_its_lease_runs_out(people, case, settings):
    settings.DOCUMENT_LEASE_SECONDS = 1
    doc, attempt = _claimed(people, case)
    with lease.kept(doc.pk, attempt):
        pass
    time.sleep(1.2)
    assert requeue_stale_documents() == [doc.pk]


def test_a_run_that_was_taken_over_does_not_renew_the_new_runs_lease(people, case, settings):
    doc, attempt = _claimed(people, case)
    Document.objects.filter(pk=doc.pk).update(attempts=attempt + 1)  # another run's claim
    assert lease.renew(doc.pk, attempt) is False
    assert lease.renew(doc.pk, attempt + 1) is True
