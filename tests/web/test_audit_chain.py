"""The tamper-evident audit log (issue 10): every row chained to the one before
by an HMAC with the audit key, `manage.py verify_audit` naming the first row
altered, inserted or missing, the chain head kept elsewhere catching a
truncated tail, and on PostgreSQL a trigger refusing UPDATE and DELETE.

The tampering is what an insider with database access would do: plain SQL on
the table (on PostgreSQL with the triggers switched off first, as a
superuser could).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import time
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from casebridge.web.cases import audit, auditchain, sealed
from casebridge.web.cases.access import get_case_for_user_or_404
from casebridge.web.cases.actions import do_add_note
from casebridge.web.cases.models import AuditEvent, Case

TABLE = AuditEvent._meta.db_table


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _only_on_postgresql() -> None:
    if not _postgres():
        pytest.skip("PostgreSQL only: run with CASEBRIDGE_DB=postgres")


@contextmanager
def tampering():
    """Plain SQL on the audit table, as an insider would; on PostgreSQL with
    the triggers off for the moment (session_replication_role, what a
    superuser could do: the trigger stops the application's role and mistakes,
    the chain stops everyone without the audit key)."""
    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            yield cursor
        finally:
            if _postgres():
                cursor.execute("SET LOCAL session_replication_role = origin")


def verify(*args: str) -> tuple[int, str, str]:
    """manage.py verify_audit: (exit code, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), err.getvalue() + str(error)
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def log(people, case) -> list[AuditEvent]:
    """A log with a case, its invitation, the coordinator's reads and notes."""
    for n in range(3):
        get_case_for_user_or_404(people.coordinator, case.pk)
        do_add_note(case, acting_user=people.coordinator, body=f"note {n}")
    return list(AuditEvent.objects.order_by("seq"))


def _coordinator_reads(people) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action="case.read", actor=people.coordinator).order_by("seq")
    )


# -- the chain as written --------------------------------------------------------


@pytest.mark.django_db
def test_every_row_is_numbered_from_one_and_chained_to_the_one_before(log):
    assert [event.seq for event in log] == list(range(1, len(log) + 1))
    key, prev = audit.audit_key(), auditchain.GENESIS
    for event in log:
        # as stored: before/after in the envelope sealed with the case's key
        fields = {name: sealed.stored_value(event, name) for name in auditchain.CONTENT_FIELDS}
        assert event.hmac == auditchain.mac(key, event.seq, prev, fields)
        prev = event.hmac
    assert len({event.hmac for event in log}) == len(log)


@pytest.mark.django_db
def test_the_hmac_is_keyed_by_the_audit_key_outside_the_database(log, settings):
    assert verify()[0] == 0
    settings.CASEBRIDGE_AUDIT_KEY = secrets.token_bytes(32)
    code, _, err = verify()
    assert code == 1 and "seq 1 " in err


@pytest.mark.django_db
def test_verify_passes_an_untouched_log_and_prints_its_head(log):
    code, out, _ = verify()
    newest = log[-1]
    assert code == 0
    assert f"{len(log)} rows verified, seq 1–{newest.seq}" in out
    assert f"head: seq {newest.seq} hmac {newest.hmac}" in out


@pytest.mark.django_db
def test_an_empty_log_verifies():
    code, out, _ = verify()
    assert code == 0 and "empty" in out


@pytest.mark.django_db
def test_the_values_kept_in_before_and_after_verify_as_the_database_gives_them_back(people):
    odd = {"float": 1.0, "big": 1e20, "small": 1.5e-7, "tuple": (1, 2), "text": "é 中文 \n"}
    audit.record(people.owner, None, "test.values", before={"n": 3}, after=odd)
    audit.record(None, None, "test.ipv6", meta=audit.RequestMeta("2001:db8:0:0::1", "ua"))
    assert verify()[0] == 0


# -- tampering, named by verify -----------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor_label", "'someone.else@casebridge.test'"),
        ("case_pseudonym", "'CB-00000000'"),
        ("action", "'case.created'"),
        ("object_id", "'999'"),
        ("ip", "'10.9.9.9'"),
        ("at", "at"),  # replaced below by a time one hour earlier
    ],
)
def test_a_changed_row_is_named_by_verify_as_altered(log, people, column, value):
    read = _coordinator_reads(people)[1]
    if column == "at":
        value = "at - INTERVAL '1 hour'" if _postgres() else "datetime(at, '-1 hour')"
    with tampering() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET {column} = {value} WHERE id = %s", [read.pk])
    code, _, err = verify()
    assert code == 1
    assert f"altered row: row seq {read.seq} (id {read.pk}," in err
    assert f"rows seq 1–{read.seq - 1} verified" in err


@pytest.mark.django_db
def test_a_change_to_before_or_after_is_named_too(log):
    note = AuditEvent.objects.filter(action="note.added").order_by("seq").first()
    assert note is not None
    with tampering():
        AuditEvent.objects.filter(pk=note.pk).update(after={"rewritten": True})
    code, _, err = verify()
    assert code == 1 and f"altered row: row seq {note.seq} (id {note.pk}," in err


@pytest.mark.django_db
def test_a_coordinators_read_deleted_from_the_log_is_named_as_missing(log, people):
    read = _coordinator_reads(people)[0]
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [read.pk])
    code, _, err = verify()
    assert code == 1
    assert f"missing row: seq {read.seq} deleted (the chain jumps from seq {read.seq - 1}" in err


@pytest.mark.django_db
def test_several_deleted_rows_are_named_as_the_missing_range(log):
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE seq IN (1, 2, 3)")
    code, _, err = verify()
    assert code == 1 and "missing row: seq 1–3 deleted (the chain jumps from the start" in err


@pytest.mark.django_db
def test_an_inserted_row_at_the_end_is_named_by_verify(log, people):
    forged = AuditEvent.objects.create(
        actor_label=people.reviewer.email,
        case_pseudonym=log[-1].case_pseudonym,
        action="case.read",
        seq=log[-1].seq + 1,
        hmac=log[-1].hmac,  # a copied HMAC: only the key makes a right one
    )
    code, _, err = verify()
    assert code == 1
    assert f"altered or inserted row: the newest row, row seq {forged.seq} (id {forged.pk}," in err


@pytest.mark.django_db
def test_a_row_inserted_in_the_middle_is_named_as_inserted_not_the_rows_after_it(log, people):
    at = log[2].seq
    with tampering() as cursor:  # make room: move every later row one place on
        for seq in sorted((event.seq for event in log if event.seq > at), reverse=True):
            cursor.execute(f"UPDATE {TABLE} SET seq = seq + 1 WHERE seq = %s", [seq])
    forged = AuditEvent.objects.create(
        actor_label=people.coordinator.email,
        case_pseudonym=log[0].case_pseudonym,
        action="member.revoked",
        seq=at + 1,
        hmac="0" * 64,
    )
    code, _, err = verify()
    assert code == 1
    assert f"inserted row: row seq {at + 1} (id {forged.pk}," in err
    assert "renumbered" in err


@pytest.mark.django_db
def test_a_truncated_tail_is_named_against_the_head_kept_elsewhere(log, people, tmp_path):
    head_file = tmp_path / "audit-head.json"
    code, out, _ = verify("--export-head", str(head_file))
    kept = json.loads(head_file.read_text())
    assert code == 0 and kept["seq"] == log[-1].seq and kept["hmac"] == log[-1].hmac
    get_case_for_user_or_404(people.coordinator, log[0].case_id)  # newer rows are fine
    assert verify("--head", str(head_file))[0] == 0
    newest = AuditEvent.objects.order_by("-seq").first()
    assert newest is not None
    with tampering() as cursor:  # the newest three rows deleted
        cursor.execute(f"DELETE FROM {TABLE} WHERE seq > %s", [newest.seq - 3])
    assert verify()[0] == 0  # what is left is a valid chain: only the kept head tells
    code, _, err = verify("--head", str(head_file))
    assert code == 1
    assert f"missing rows: seq {newest.seq - 2}–{kept['seq']} were deleted" in err
    assert "truncated" in err


@pytest.mark.django_db
def test_a_head_file_that_cannot_be_read_is_a_usage_error(tmp_path):
    bad = tmp_path / "head.json"
    bad.write_text("not json")
    assert verify("--head", str(bad))[0] == 2
    assert verify("--head", str(tmp_path / "absent.json"))[0] == 2


@pytest.mark.django_db
def test_verify_audit_exits_non_zero_from_the_command_line(log, capsys):
    from casebridge.web.cases.management.commands.verify_audit import Command

    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE seq = 2")
    with pytest.raises(SystemExit) as exit_:
        Command().run_from_argv(["manage.py", "verify_audit"])
    assert exit_.value.code == 1
    assert "missing row: seq 2 deleted" in capsys.readouterr().err


# -- deleting what the rows point to ------------------------------------------------


@pytest.mark.django_db
def test_deleting_a_case_keeps_the_chain_valid_and_its_rows(log, case, people):
    pseudonym, rows = case.pseudonym, AuditEvent.objects.filter(case=case).count()
    Case.objects.filter(pk=case.pk).delete()
    assert AuditEvent.objects.filter(case__isnull=True, case_pseudonym=pseudonym).count() >= rows
    assert verify()[0] == 0


@pytest.mark.django_db
def test_deleting_a_user_keeps_the_chain_valid_and_their_label(log, case, people):
    for _ in range(2):
        get_case_for_user_or_404(people.family, case.pk)
    email = people.family.email
    people.family.delete()
    kept = AuditEvent.objects.filter(actor__isnull=True, actor_label=email, action="case.read")
    assert kept.count() == 2
    assert verify()[0] == 0


# -- the append-only trigger (PostgreSQL) ---------------------------------------------


@pytest.mark.django_db
def test_the_trigger_refuses_an_update_of_an_audit_row_on_postgresql(log, people):
    _only_on_postgresql()
    read = _coordinator_reads(people)[0]
    with (
        pytest.raises(IntegrityError, match="append-only: UPDATE of audit row"),
        transaction.atomic(),
    ):
        AuditEvent.objects.filter(pk=read.pk).update(actor_label="nobody")
    # not even setting a key NULL together with another change
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=read.pk).update(actor=None, action="case.created")
    read.refresh_from_db()
    assert read.actor_label == people.coordinator.email and read.action == "case.read"


@pytest.mark.django_db
def test_the_trigger_refuses_a_delete_of_an_audit_row_on_postgresql(log, people):
    _only_on_postgresql()
    read = _coordinator_reads(people)[0]
    refused = pytest.raises(IntegrityError, match="append-only: DELETE of audit row")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [read.pk])
    assert AuditEvent.objects.filter(pk=read.pk).exists()
    assert verify()[0] == 0


@pytest.mark.django_db
def test_the_trigger_lets_only_the_foreign_keys_become_null_on_postgresql(log, people):
    _only_on_postgresql()
    read = _coordinator_reads(people)[0]
    AuditEvent.objects.filter(pk=read.pk).update(actor=None, case=None)
    read.refresh_from_db()
    assert read.actor_id is None and read.case_id is None
    # a key may not be pointed elsewhere
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=log[0].pk).update(actor=people.reviewer)


# -- parallel writers ------------------------------------------------------------------

WRITERS, EACH = 8, 12


def _write_in_parallel(label: str) -> list[BaseException]:
    """WRITERS threads, each on its own database connection, each writing EACH
    audit rows in its own transaction, all starting at once."""
    start, errors = threading.Barrier(WRITERS), []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                with transaction.atomic():
                    audit.record(None, None, label, after={"writer": n, "i": i})
        except BaseException as error:  # noqa: BLE001 - collected for the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


@pytest.fixture
def slow_chain_head(monkeypatch):
    """Widen the window between taking the previous row and committing the
    next, so that writers surely overlap there."""
    take = audit._take_chain_head

    def slowly() -> tuple[int, str]:
        head = take()
        time.sleep(0.003)
        return head

    monkeypatch.setattr(audit, "_take_chain_head", slowly)


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_on_postgresql_still_make_one_chain(slow_chain_head):
    _only_on_postgresql()
    before = AuditEvent.objects.count()
    assert _write_in_parallel("test.parallel") == []
    rows = AuditEvent.objects.filter(action="test.parallel")
    assert rows.count() == WRITERS * EACH
    assert AuditEvent.objects.count() == before + WRITERS * EACH
    writers = {(event.after["writer"], event.after["i"]) for event in rows}
    assert len(writers) == WRITERS * EACH
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    code, out, _ = verify()
    assert code == 0 and f"{len(seqs)} rows verified" in out


@pytest.mark.django_db(transaction=True)
def test_without_the_advisory_lock_parallel_writers_would_collide(slow_chain_head, monkeypatch):
    """The control: the same writers without the lock take the same previous
    row, and the unique seq refuses the second rather than fork the chain."""
    _only_on_postgresql()
    monkeypatch.setattr(audit, "_lock_chain", lambda: None)
    errors = _write_in_parallel("test.unlocked")
    assert errors and all(isinstance(error, IntegrityError) for error in errors)
    assert verify()[0] == 0  # what was committed is still one chain


# -- the migration that chained the rows already there ---------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_chains_the_rows_written_before_it_in_time_order():
    before_chain = [("cases", "0004_enquiry_limits")]
    executor = MigrationExecutor(connection)
    executor.migrate(before_chain)
    old = executor.loader.project_state(before_chain).apps.get_model("cases", "AuditEvent")
    try:
        base = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
        for minutes, action in [(5, "second"), (0, "first"), (9, "third")]:
            event = old.objects.create(actor_label="system", action=action, after={"m": minutes})
            old.objects.filter(pk=event.pk).update(at=base + dt.timedelta(minutes=minutes))
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    rows = list(AuditEvent.objects.order_by("seq").values_list("seq", "action"))
    assert rows == [(1, "first"), (2, "second"), (3, "third")]
    assert verify()[0] == 0
