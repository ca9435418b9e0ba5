"""Case.engine sealed with the case's data key: the column holds ciphertext
only, a ciphertext does not open on another case or after a change, and every
reader still gets the dict. Real SQLite or PostgreSQL (CASEBRIDGE_DB=postgres)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from casebridge.web.cases.access import case_for_system, get_case_for_user_or_404
from casebridge.web.cases.actions import do_upload_document
from casebridge.web.cases.models import Case
from casebridge.web.cases.sealed import SealedError
from casebridge.web.cases.tasks import process_document
from tests.web.records import PATHOLOGY

MARKER = "Zanzibar-Quokka-7731"
NHS_NUMBER = "943 476 5919"
LETTER = f"Patient: Marjorie {MARKER}\nNHS number: {NHS_NUMBER}\n" + PATHOLOGY + "Seen in clinic.\n"


def raw(table: str, column: str, pk: int) -> bytes:
    """The column's stored bytes, read past Django's fields."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 - fixed names
        value = cursor.fetchone()[0]
    return bytes(value) if not isinstance(value, str) else value.encode()


def processed(case, person) -> Case:
    doc = do_upload_document(case, acting_user=person, file_name="letter.txt", data=LETTER.encode())
    assert process_document.call(doc.pk) in {"processed", "needs_attention"}
    return case_for_system(case.pk)


def test_the_engine_column_holds_no_plaintext_of_a_page_or_an_nhs_number(people, case):
    fresh = processed(case, people.owner)
    assert MARKER in str(fresh.engine)  # the case itself still reads it
    assert NHS_NUMBER in str(fresh.engine)
    stored = raw("cases_case", "engine", case.pk)
    assert stored.startswith(b"\x01") and len(stored) > 1000
    for needle in (MARKER, NHS_NUMBER, NHS_NUMBER.replace(" ", ""), "ductal", "documents"):
        assert needle.encode() not in stored
        assert needle.encode("utf-16-le") not in stored


def test_every_reader_through_the_gate_gets_the_dict_back(people, case):
    processed(case, people.owner)
    opened = get_case_for_user_or_404(people.coordinator, case.pk)
    engine = opened.engine
    assert isinstance(engine, dict) and engine["case_id"] == case.pseudonym
    assert any(MARKER in str(d) for d in engine["documents"])


def test_a_deferred_engine_is_loaded_and_opened_in_one_query(
    people, case, django_assert_num_queries
):
    opened = get_case_for_user_or_404(people.owner, case.pk)  # the gate defers the engine
    with django_assert_num_queries(1):
        assert opened.engine["case_id"] == case.pseudonym


def test_an_engine_copied_onto_another_case_does_not_open(people, case, other_case):
    processed(case, people.owner)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_case SET engine = %s WHERE id = %s",
            [raw("cases_case", "engine", case.pk), other_case.pk],
        )
    with pytest.raises(SealedError, match="integrity check"):
        _ = case_for_system(other_case.pk).engine


def test_an_altered_byte_of_the_engine_is_refused(people, case):
    stored = bytearray(raw("cases_case", "engine", case.pk))
    stored[-5] ^= 0x01
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET engine = %s WHERE id = %s", [bytes(stored), case.pk])
    with pytest.raises(SealedError):
        _ = case_for_system(case.pk).engine


def test_the_engine_cannot_be_written_in_clear_by_update_or_searched(people, case):
    with pytest.raises(TypeError, match="sealed"):
        Case.objects.filter(pk=case.pk).update(engine={"documents": []})
    with pytest.raises(TypeError, match="sealed"):
        list(Case.objects.filter(engine={"case_id": case.pseudonym}))


def test_saving_a_case_without_reading_its_engine_writes_the_same_ciphertext_back(people, case):
    before = raw("cases_case", "engine", case.pk)
    loaded = Case.objects.get(pk=case.pk)
    loaded.save()
    assert raw("cases_case", "engine", case.pk) == before
    loaded.engine = {**loaded.engine, "note": "changed"}
    loaded.save(update_fields=["engine"])
    assert raw("cases_case", "engine", case.pk) != before
    assert Case.objects.get(pk=case.pk).engine["note"] == "changed"


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_existing_engines_and_going_back_opens_them(people):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("cases")
    try:
        executor.migrate([("cases", "0006_audit_append_only")])
        old = MigrationExecutor(connection).loader.project_state(
            [("cases", "0006_audit_append_only")]
        )
        OldCase = old.apps.get_model("cases", "Case")
        from casebridge.web.cases import storage

        pseudonym = "CB-0000AB12"
        OldCase.objects.create(
            pseudonym=pseudonym,
            owner_id=people.owner.pk,
            wrapped_key=storage.new_wrapped_key(pseudonym),
            engine={"case_id": pseudonym, "text": MARKER},
        )
        pk = OldCase.objects.get().pk
        assert MARKER.encode() in raw("cases_case", "engine", pk)

        MigrationExecutor(connection).migrate([("cases", "0007_seal_case_engine")])
        assert MARKER.encode() not in raw("cases_case", "engine", pk)

        MigrationExecutor(connection).migrate([("cases", "0006_audit_append_only")])
        assert MARKER.encode() in raw("cases_case", "engine", pk)  # opened again
    finally:
        MigrationExecutor(connection).migrate(latest)
    assert Case.objects.get(pseudonym=pseudonym).engine == {"case_id": pseudonym, "text": MARKER}
