"""RecordRequest moved from the console app to cases (console 0003, cases 0010:
Django's state only, the table console_recordrequest kept) and its free text
sealed with the case's key (cases 0011). A database migrated before the move
keeps every request, sealed, and going back gives the clear text again. Real
SQLite or PostgreSQL (CASEBRIDGE_DB=postgres)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from casebridge.web.cases import sealed
from casebridge.web.cases.actions import do_send_message
from casebridge.web.cases.models import Message, RecordRequest
from casebridge.web.console.actions import do_close_record_request, do_request_records
from casebridge.web.portal.lib.documents import open_record_requests

MARKER = "Wombat-Lantern-2291"
TABLE = "console_recordrequest"
BEFORE_MOVE = [("console", "0002_record_request_closing"), ("cases", "0009_seal_document_name")]
TEXT = ("title", "detail", "close_note")


def stored(pk: int) -> bytes:
    """Every column of one record request as the database holds it, joined."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {TABLE} WHERE id = %s", [pk])  # noqa: S608 - fixed name
        values = cursor.fetchone()
    return b"|".join(
        bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in values
    )


def test_makemigrations_finds_nothing_left_to_migrate(db):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # exits 1 on a change
    assert "No changes detected" in out.getvalue()


def test_the_model_is_in_cases_and_keeps_the_consoles_table(db):
    assert RecordRequest._meta.app_label == "cases"
    assert RecordRequest._meta.db_table == TABLE
    assert TABLE in connection.introspection.table_names()


def test_a_requests_title_detail_and_close_note_are_ciphertext_in_the_table(people, case):
    asked = do_request_records(
        case,
        acting_user=people.coordinator,
        title=f"Biopsy report {MARKER}",
        detail=f"Held by {MARKER} hospital",
    )
    assert MARKER.encode() not in stored(asked.pk)
    assert [(r.title, r.detail) for r in open_record_requests(case)] == [
        (f"Biopsy report {MARKER}", f"Held by {MARKER} hospital")
    ]
    do_close_record_request(
        asked, acting_user=people.coordinator, state="done", note=f"came by post {MARKER}"
    )
    assert MARKER.encode() not in stored(asked.pk)
    fresh = RecordRequest.objects.get(pk=asked.pk)
    assert (fresh.state, fresh.close_note) == ("done", f"came by post {MARKER}")
    assert open_record_requests(case) == []


def test_a_title_copied_onto_another_cases_request_does_not_open(people, case, other_case):
    mine = do_request_records(case, acting_user=people.admin, title=f"Scan {MARKER}")
    theirs = do_request_records(other_case, acting_user=people.admin, title="Blood tests")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT title FROM {TABLE} WHERE id = %s", [mine.pk])  # noqa: S608
        ciphertext = cursor.fetchone()[0]
        cursor.execute(
            f"UPDATE {TABLE} SET title = %s WHERE id = %s",  # noqa: S608
            [ciphertext, theirs.pk],
        )
    with pytest.raises(sealed.SealedError, match="integrity check"):
        _ = RecordRequest.objects.get(pk=theirs.pk).title


def test_the_sealed_text_cannot_be_written_in_clear_by_update(people, case):
    asked = do_request_records(case, acting_user=people.admin, title="Scan")
    with pytest.raises(TypeError, match="sealed"):
        RecordRequest.objects.filter(pk=asked.pk).update(close_note=f"clear {MARKER}")


def _old_requests(apps, people, case, message: Message) -> dict[str, int]:
    """Two requests as the console stored them before the move: clear text."""
    Old = apps.get_model("console", "RecordRequest")
    open_one = Old.objects.create(
        case_id=case.pk,
        title=f"Letter {MARKER}",
        detail=f"from Dr {MARKER}",
        gap_id="oncology.histology",
        requested_by_id=people.coordinator.pk,
        message_id=message.pk,
    )
    closed = Old.objects.create(
        case_id=case.pk,
        title=f"Old scan {MARKER}",
        state="cancelled",
        requested_by_id=people.coordinator.pk,
        closed_by_id=people.admin.pk,
        close_note=f"not needed {MARKER}",
    )
    return {"open": open_one.pk, "closed": closed.pk}


@pytest.mark.django_db(transaction=True)
def test_requests_stored_before_the_move_are_kept_sealed_and_come_back_in_clear(people, case):
    # The case and its message are made now (the case's key with them); moving
    # back only changes the record requests' table.
    message = do_send_message(case, acting_user=people.coordinator, body="Please send it")
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        MigrationExecutor(connection).migrate(BEFORE_MOVE)
        apps = MigrationExecutor(connection).loader.project_state(BEFORE_MOVE).apps
        pks = _old_requests(apps, people, case, message)
        assert all(MARKER.encode() in stored(pk) for pk in pks.values())

        MigrationExecutor(connection).migrate(latest)
        assert all(MARKER.encode() not in stored(pk) for pk in pks.values())
        rows = {r.pk: r for r in RecordRequest.objects.filter(case=case)}
        assert sorted(rows) == sorted(pks.values())
        kept, closed = rows[pks["open"]], rows[pks["closed"]]
        assert (kept.title, kept.detail, kept.close_note) == (
            f"Letter {MARKER}",
            f"from Dr {MARKER}",
            "",
        )
        assert (kept.gap_id, kept.state, kept.message_id) == (
            "oncology.histology",
            "open",
            message.pk,
        )
        assert kept.requested_by == people.coordinator
        assert (closed.title, closed.detail, closed.close_note) == (
            f"Old scan {MARKER}",
            "",
            f"not needed {MARKER}",
        )
        assert (closed.state, closed.closed_by) == ("cancelled", people.admin)
        assert [r.title for r in open_record_requests(case)] == [f"Letter {MARKER}"]

        MigrationExecutor(connection).migrate(BEFORE_MOVE)
        apps = MigrationExecutor(connection).loader.project_state(BEFORE_MOVE).apps
        Old = apps.get_model("console", "RecordRequest")
        back = {r.pk: r for r in Old.objects.all()}
        assert [back[pks["open"]].title, back[pks["closed"]].close_note] == [
            f"Letter {MARKER}",
            f"not needed {MARKER}",
        ]
        assert all(MARKER.encode() in stored(pk) for pk in pks.values())
    finally:
        MigrationExecutor(connection).migrate(latest)
    assert RecordRequest.objects.get(pk=pks["open"]).title == f"Letter {MARKER}"
