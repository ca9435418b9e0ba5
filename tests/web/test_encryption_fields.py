"""Every health-data field besides the engine sealed with its case's (or its
enquiry's) key: messages, notes, corrections, the pause reason, the enquiry's
own words, the audit's before/after; the audit chain still verifies over what
is stored. Real SQLite or PostgreSQL (CASEBRIDGE_DB=postgres)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from casebridge.web.cases import audit, auditchain, datakeys, enquiry_digest, sealed, storage
from casebridge.web.cases.access import case_for_system, get_case_for_user_or_404
from casebridge.web.cases.actions import do_add_note, do_correct_fact, do_send_message
from casebridge.web.cases.models import (
    AuditEvent,
    Document,
    Enquiry,
    FactCorrection,
    InternalNote,
    Message,
)
from casebridge.web.portal.actions.enquiry import do_flag_enquiry, do_submit_enquiry
from casebridge.web.portal.lib.activity import audit_log

MARKER = "Quetzal-Ombudsman-4417"


def row(table: str, pk: int) -> bytes:
    """Every column of one row, as the database holds it, joined."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])  # noqa: S608 - fixed names
        values = cursor.fetchone()
    return b"|".join(
        bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in values
    )


def column(table: str, name: str, pk: int) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {name} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        value = cursor.fetchone()[0]
    return bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()


def test_messages_notes_and_corrections_are_ciphertext_in_their_columns(people, case):
    message = do_send_message(case, acting_user=people.owner, body=f"My name is {MARKER}")
    note = do_add_note(case, acting_user=people.coordinator, body=f"Spoke to {MARKER}")
    correction = do_correct_fact(
        case,
        acting_user=people.coordinator,
        reason=f"{MARKER} said so",
        expected_version=case_for_system(case.pk).version,
        kind="diagnosis",
        value=f"carcinoma {MARKER}",
    )
    for table, pk in (
        ("cases_message", message.pk),
        ("cases_internalnote", note.pk),
        ("cases_factcorrection", correction.pk),
    ):
        assert MARKER.encode() not in row(table, pk)
    # and every reader still gets the text
    opened = get_case_for_user_or_404(people.coordinator, case.pk)
    assert [m.body for m in opened.messages.all()] == [f"My name is {MARKER}"]
    assert InternalNote.objects.get(pk=note.pk).body == f"Spoke to {MARKER}"
    stored = FactCorrection.objects.get(pk=correction.pk)
    assert (stored.reason, stored.value) == (f"{MARKER} said so", f"carcinoma {MARKER}")
    assert any(f.value == f"carcinoma {MARKER}" for f in storage_engine_facts(case))


def storage_engine_facts(case):
    from casebridge.web.cases.lib import engine_case

    return engine_case(case_for_system(case.pk)).facts


def test_a_staff_note_copied_into_a_patients_message_does_not_open(people, case):
    message = do_send_message(case, acting_user=people.owner, body="hello")
    note = do_add_note(case, acting_user=people.coordinator, body=f"staff only {MARKER}")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_message SET body = %s WHERE id = %s",
            [column("cases_internalnote", "body", note.pk), message.pk],
        )
    with pytest.raises(sealed.SealedError, match="integrity check"):
        _ = Message.objects.get(pk=message.pk).body


def test_a_message_moved_to_another_case_does_not_open(people, case, other_case):
    message = do_send_message(case, acting_user=people.owner, body=f"mine {MARKER}")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_message SET case_id = %s WHERE id = %s", [other_case.pk, message.pk]
        )
    with pytest.raises(sealed.SealedError):
        _ = Message.objects.get(pk=message.pk).body


def test_an_enquiry_keeps_only_its_queue_fields_in_clear_not_even_its_email(db):
    enquiry = Enquiry.objects.create(
        full_name=f"Ada {MARKER}",
        email=f"ada.{MARKER}@example.org",
        phone=f"0700 {MARKER}",
        diagnosis=f"lymphoma {MARKER}",
        current_treatment=f"R-CHOP {MARKER}",
        goals=f"goal {MARKER}",
        question=f"question {MARKER}",
        red_flag_answers=[f"flag-{MARKER}"],
        safety_flags=[{"phrase": MARKER}],
    )
    stored = row("cases_enquiry", enquiry.pk)
    assert MARKER.encode() not in stored and b"@example.org" not in stored
    fresh = Enquiry.objects.get(pk=enquiry.pk)
    assert fresh.email == f"ada.{MARKER}@example.org"
    assert fresh.full_name == f"Ada {MARKER}" and fresh.safety_flags == [{"phrase": MARKER}]
    assert fresh.red_flag_answers == [f"flag-{MARKER}"]


def test_an_enquirys_key_is_its_own_and_wrapped_by_the_master_key(db):
    one = Enquiry.objects.create(full_name="A", email="a@example.org")
    two = Enquiry.objects.create(full_name="B", email="b@example.org")
    assert one.data_key() != two.data_key()
    assert len(bytes(one.wrapped_key)) == datakeys.WRAPPED_BYTES
    Enquiry.objects.filter(pk=two.pk).update(wrapped_key=one.wrapped_key)  # swapped keys
    with pytest.raises(sealed.SealedError):
        _ = Enquiry.objects.get(pk=two.pk).full_name


def test_a_submitted_enquirys_email_and_words_are_not_in_its_row_nor_their_plain_hash(db):
    from django.contrib.auth.models import AnonymousUser

    from casebridge.web.portal.actions.enquiry import EnquiryAnswers

    enquiry = do_submit_enquiry(
        acting_user=AnonymousUser(),
        answers=EnquiryAnswers(
            full_name="Ada",
            email=f"ada.{MARKER}@example.org",
            relationship="self",
            programme="oncology",
            diagnosis=f"lymphoma {MARKER}",
            current_status="",
            goals="",
            questions="",
            country="GB",
            preferred_language="en",
            contact_consent=True,
        ),
    )
    stored = row("cases_enquiry", enquiry.pk)
    assert MARKER.lower().encode() not in stored and b"@example.org" not in stored
    # a reader who guesses the address and words cannot confirm them: the
    # stored digest is keyed (a key derived from the master key, never stored)
    words = {name: getattr(enquiry, name) for name in enquiry_digest.FIELDS}
    assert enquiry_digest.unkeyed_digest(words).encode() not in stored
    assert enquiry.answers_hash == enquiry_digest.answers_digest(words)
    assert enquiry.answers_hash.encode() in stored
    assert enquiry_digest.answers_digest(words, master=b"\x07" * 32) != enquiry.answers_hash
    # the audit row of the submission names the address, sealed with the enquiry's key
    event = AuditEvent.objects.get(action="enquiry.submitted")
    assert b"@example.org" not in row("cases_auditevent", event.pk)
    assert event.after["email"] == f"ada.{MARKER}@example.org".lower()


def _uploaded(case, user, name: str, data: bytes) -> Document:
    from casebridge.web.cases.actions import do_give_consent, do_upload_document

    do_give_consent(case, acting_user=user, kind="processing_art9", text_version="t1")
    return do_upload_document(case, acting_user=user, file_name=name, data=data)


def test_a_documents_reasons_are_ciphertext_and_every_list_still_shows_them(client, people, case):
    doc = _uploaded(case, people.owner, "scan.txt", b"x")
    doc.state = Document.State.NEEDS_ATTENTION
    doc.reasons = [f"The page naming {MARKER} could not be read."]
    doc.save(update_fields=["state", "reasons"])
    assert MARKER.encode() not in row("cases_document", doc.pk)
    assert Document.objects.get(pk=doc.pk).reasons == [
        f"The page naming {MARKER} could not be read."
    ]
    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    records = client.get(f"/cases/{case.pseudonym}/documents/list/", secure=True)
    assert records.status_code == 200 and MARKER in records.content.decode()
    client.force_login(people.coordinator)
    page = reverse("console:case", args=[case.pseudonym])
    console = client.get(page + "?section=documents", secure=True)
    assert console.status_code == 200 and MARKER in console.content.decode()
    overview = client.get(page, secure=True).content.decode()  # "Needs a person" counts it
    assert "1 document needs attention" in overview


def test_a_documents_reasons_moved_to_another_cases_document_do_not_open(people, case, other_case):
    mine = _uploaded(case, people.owner, "a.txt", b"a")
    theirs = _uploaded(other_case, people.outsider, "b.txt", b"b")
    mine.reasons = [f"mine {MARKER}"]
    mine.save(update_fields=["reasons"])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_document SET reasons = %s WHERE id = %s",
            [column("cases_document", "reasons", mine.pk), theirs.pk],
        )
    with pytest.raises(sealed.SealedError, match="integrity check"):
        _ = Document.objects.get(pk=theirs.pk).reasons
    with pytest.raises(TypeError, match="sealed"):
        Document.objects.filter(pk=mine.pk).update(reasons=["in clear"])


def test_the_pause_reason_is_sealed_too(people, case):
    do_send_message(case, acting_user=people.owner, body="I have crushing chest pain right now")
    paused = case_for_system(case.pk)
    assert paused.paused and paused.paused_reason
    assert paused.paused_reason.encode() not in column("cases_case", "paused_reason", case.pk)


def test_audit_details_are_sealed_and_the_chain_still_verifies(people, case):
    do_correct_fact(
        case,
        acting_user=people.coordinator,
        reason=f"because {MARKER}",
        expected_version=case_for_system(case.pk).version,
        kind="diagnosis",
        value=f"sarcoma {MARKER}",
    )
    event = AuditEvent.objects.get(action="fact.corrected")
    assert MARKER.encode() not in row("cases_auditevent", event.pk)
    assert sealed.is_envelope(sealed.stored_value(event, "after"))
    assert event.after["reason"] == f"because {MARKER}"  # read as it was written
    assert audit.verify().ok
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "rows verified" in out.getvalue()
    # the patient's activity page reads the rows through the case: no query per row
    assert any(e.action == "fact.corrected" for e in audit_log(case))


def test_the_enquirys_audit_rows_are_sealed_with_the_enquirys_key(db):
    enquiry = do_flag_enquiry(acting_user=None, red_flags=["chest_pain"])
    event = AuditEvent.objects.get(action="enquiry.red_flag")
    assert b"chest_pain" not in row("cases_auditevent", event.pk)
    assert event.after == {"red_flags": ["chest_pain"]}
    assert sealed.stored_value(event, "after")["by"] == "enquiry"
    Enquiry.objects.filter(pk=enquiry.pk).delete()  # its key goes with it
    assert AuditEvent.objects.get(pk=event.pk).after is None
    assert audit.verify().ok


def test_rows_without_a_case_or_enquiry_stay_clear(db):
    event = audit.record(None, None, "login.failed", after={"email": "x@example.org"})
    assert b"x@example.org" in row("cases_auditevent", event.pk)
    assert AuditEvent.objects.get(pk=event.pk).after == {"email": "x@example.org"}


def test_sealed_fields_cannot_be_written_in_clear(people, case):
    message = do_send_message(case, acting_user=people.owner, body="hello")
    with pytest.raises(TypeError, match="sealed"):
        Message.objects.filter(pk=message.pk).update(body="in clear")


# -- the migration ------------------------------------------------------------------------

BEFORE, AFTER = ("cases", "0007_seal_case_engine"), ("cases", "0008_seal_health_fields")


def _old_rows(apps, owner_id: int) -> dict[str, int]:
    """A case, a message, a note, a correction, an enquiry and chained audit
    rows, as they were stored before 0008 (in clear)."""
    Case = apps.get_model("cases", "Case")
    pseudonym = "CB-00C0FFEE"
    key = datakeys.unwrap(
        wrapped := storage.new_wrapped_key(pseudonym), datakeys.case_key_aad(pseudonym)
    )
    engine = sealed.seal(key, sealed.field_aad("cases_case", "engine", pseudonym), b"{}")
    case = Case.objects.create(
        pseudonym=pseudonym,
        owner_id=owner_id,
        wrapped_key=wrapped,
        engine=engine,
        paused_reason=f"pause {MARKER}",
    )
    message = apps.get_model("cases", "Message").objects.create(
        case=case, sender_id=owner_id, body=f"message {MARKER}"
    )
    note = apps.get_model("cases", "InternalNote").objects.create(
        case=case, author_id=owner_id, body=f"note {MARKER}"
    )
    correction = apps.get_model("cases", "FactCorrection").objects.create(
        case=case, fact_id="f1", by_id=owner_id, reason=f"reason {MARKER}", value=f"v {MARKER}"
    )
    # linked as real ones are (to the account and the case): on PostgreSQL a row with
    # foreign keys updated twice in one transaction leaves deferred trigger events that
    # a later ALTER TABLE of the same migration refuses
    enquiry = apps.get_model("cases", "Enquiry").objects.create(
        full_name=f"name {MARKER}",
        email="e@example.org",
        diagnosis=f"dx {MARKER}",
        user_id=owner_id,
        case=case,
    )
    Event = apps.get_model("cases", "AuditEvent")
    prev = auditchain.GENESIS
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    specs = [
        (case.pk, pseudonym, "", "", {"reason": f"audit {MARKER}"}),
        (None, "", "enquiry", str(enquiry.pk), {"red_flags": [MARKER]}),
        (None, "", "user", "1", {"email": "clear@example.org"}),
    ]
    for seq, (case_id, pseudo, obj_type, obj_id, after) in enumerate(specs, start=1):
        fields = {
            "at": at + dt.timedelta(seconds=seq),
            "actor_label": "system",
            "case_pseudonym": pseudo,
            "action": "test.action",
            "object_type": obj_type,
            "object_id": obj_id,
            "before": None,
            "after": after,
            "ip": None,
            "user_agent": "",
        }
        prev = auditchain.mac(bytes(settings.CASEBRIDGE_AUDIT_KEY), seq, prev, fields)
        Event.objects.create(case_id=case_id, seq=seq, hmac=prev, **fields)
    return {
        "cases_case": case.pk,
        "cases_message": message.pk,
        "cases_internalnote": note.pk,
        "cases_factcorrection": correction.pk,
        "cases_enquiry": enquiry.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_existing_rows_rechains_the_audit_and_goes_back(people):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("cases")
    try:
        MigrationExecutor(connection).migrate([BEFORE])
        apps = MigrationExecutor(connection).loader.project_state([BEFORE]).apps
        pks = _old_rows(apps, people.owner.pk)
        audit_ids = list(apps.get_model("cases", "AuditEvent").objects.values_list("pk", flat=True))
        assert all(MARKER.encode() in row(t, pk) for t, pk in pks.items())

        MigrationExecutor(connection).migrate([AFTER])
        for table, pk in pks.items():
            assert MARKER.encode() not in row(table, pk), table
        sealed_rows = [row("cases_auditevent", pk) for pk in audit_ids]
        assert [MARKER.encode() in r for r in sealed_rows] == [False, False, False]
        assert b"clear@example.org" in sealed_rows[2]  # no holder: stays clear
        assert audit.verify().ok

        MigrationExecutor(connection).migrate([BEFORE])
        assert all(MARKER.encode() in row(t, pk) for t, pk in pks.items())
        assert all(MARKER.encode() in row("cases_auditevent", pk) for pk in audit_ids[:2])
    finally:
        MigrationExecutor(connection).migrate(latest)
    assert audit.verify().ok
    assert Message.objects.get(pk=pks["cases_message"]).body == f"message {MARKER}"
    assert Enquiry.objects.get(pk=pks["cases_enquiry"]).diagnosis == f"dx {MARKER}"
    assert FactCorrection.objects.get(pk=pks["cases_factcorrection"]).value == f"v {MARKER}"
    events = AuditEvent.objects.order_by("seq")
    assert [e.after for e in events][:2] == [{"reason": f"audit {MARKER}"}, {"red_flags": [MARKER]}]


@pytest.mark.django_db(transaction=True)
def test_the_migration_refuses_to_reseal_an_audit_log_that_does_not_verify(people):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("cases")
    try:
        MigrationExecutor(connection).migrate([BEFORE])
        apps = MigrationExecutor(connection).loader.project_state([BEFORE]).apps
        _old_rows(apps, people.owner.pk)
        # someone changed a row (past the append-only trigger on PostgreSQL): the chain breaks
        _bypassing_the_trigger("UPDATE cases_auditevent SET action = 'edited' WHERE seq = 2")
        with pytest.raises(RuntimeError, match="does not verify"):
            MigrationExecutor(connection).migrate([AFTER])
    finally:
        _bypassing_the_trigger("DELETE FROM cases_auditevent")
        MigrationExecutor(connection).migrate(latest)


def _bypassing_the_trigger(sql: str) -> None:
    trigger = "cases_auditevent_append_only"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE cases_auditevent DISABLE TRIGGER {trigger}")
        cursor.execute(sql)
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE cases_auditevent ENABLE TRIGGER {trigger}")


# -- migration 0025: the enquiry's e-mail, a document's reasons, the keyed digest ---------

BEFORE_0025 = ("cases", "0024_document_held")
AFTER_0025 = ("cases", "0025_seal_enquiry_email_and_reasons")


def _rows_before_0025(apps, owner_id: int) -> tuple[dict[str, int], dict[str, str]]:
    """A case with a document whose reasons quote the record, and an enquiry with
    its address in clear and the unkeyed digest, as stored before 0025 (the
    other fields already sealed, so written here as ciphertext)."""
    from casebridge.web.cases.models import new_key_ref

    pseudonym = "CB-00FACADE"
    wrapped = storage.new_wrapped_key(pseudonym)
    key = datakeys.unwrap(wrapped, datakeys.case_key_aad(pseudonym))

    def by_case(table: str, name: str, plain: bytes) -> sealed.Sealed:
        return sealed.seal(key, sealed.field_aad(table, name, pseudonym), plain)

    case = apps.get_model("cases", "Case").objects.create(
        pseudonym=pseudonym,
        owner_id=owner_id,
        wrapped_key=wrapped,
        engine=by_case("cases_case", "engine", b"{}"),
        paused_reason=by_case("cases_case", "paused_reason", b""),
    )
    document = apps.get_model("cases", "Document").objects.create(
        case=case,
        file_name=by_case("cases_document", "file_name", b"scan.pdf"),
        sha256="0" * 64,
        size=1,
        state="needs_attention",
        reasons=[f"The page naming {MARKER} could not be read."],
    )
    ref = new_key_ref()
    enquiry_wrapped = datakeys.new_wrapped_key(datakeys.enquiry_key_aad(ref))
    enquiry_key = datakeys.unwrap(enquiry_wrapped, datakeys.enquiry_key_aad(ref))
    words = {
        "diagnosis": f"lymphoma {MARKER}",
        "current_treatment": "",
        "goals": "",
        "question": "",
    }
    clear = {"full_name": "Ada", "phone": "", **words}
    answers = {**words, "email": f"ada.{MARKER}@example.org", "programme": "oncology"}
    enquiry = apps.get_model("cases", "Enquiry").objects.create(
        key_ref=ref,
        wrapped_key=enquiry_wrapped,
        email=answers["email"],
        programme="oncology",
        answers_hash=enquiry_digest.unkeyed_digest(answers),
        red_flag_answers=sealed.seal(
            enquiry_key, sealed.field_aad("cases_enquiry", "red_flag_answers", ref), b"[]"
        ),
        safety_flags=sealed.seal(
            enquiry_key, sealed.field_aad("cases_enquiry", "safety_flags", ref), b"[]"
        ),
        **{
            name: sealed.seal(
                enquiry_key, sealed.field_aad("cases_enquiry", name, ref), value.encode()
            )
            for name, value in clear.items()
        },
    )
    return {"cases_document": document.pk, "cases_enquiry": enquiry.pk}, answers


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_the_email_and_reasons_keys_the_digest_and_goes_back(people):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("cases")
    try:
        MigrationExecutor(connection).migrate([BEFORE_0025])
        apps = MigrationExecutor(connection).loader.project_state([BEFORE_0025]).apps
        pks, answers = _rows_before_0025(apps, people.owner.pk)
        unkeyed = enquiry_digest.unkeyed_digest(answers).encode()
        assert all(MARKER.encode() in row(t, pk) for t, pk in pks.items())
        assert unkeyed in row("cases_enquiry", pks["cases_enquiry"])

        MigrationExecutor(connection).migrate([AFTER_0025])
        for table, pk in pks.items():
            assert MARKER.encode() not in row(table, pk), table
        stored = row("cases_enquiry", pks["cases_enquiry"])
        assert unkeyed not in stored
        assert enquiry_digest.answers_digest(answers).encode() in stored

        MigrationExecutor(connection).migrate([BEFORE_0025])
        assert all(MARKER.encode() in row(t, pk) for t, pk in pks.items())
        assert unkeyed in row("cases_enquiry", pks["cases_enquiry"])
    finally:
        MigrationExecutor(connection).migrate(latest)
    enquiry = Enquiry.objects.get(pk=pks["cases_enquiry"])
    assert enquiry.email == answers["email"] and enquiry.diagnosis == f"lymphoma {MARKER}"
    assert enquiry.answers_hash == enquiry_digest.answers_digest(answers)
    document = Document.objects.get(pk=pks["cases_document"])
    assert document.reasons == [f"The page naming {MARKER} could not be read."]
