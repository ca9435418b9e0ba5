"""Erasure destroys a case's key and its rows: afterwards no readable byte of it
is left in the database file, its write-ahead log, the data folder or a fresh
dump (SQLite: the file, its -wal and iterdump; PostgreSQL: pg_dump of a
database of its own).

Real processes: one creates a case (from an enquiry sent through the form's
action, with a processed page and its reasons, a message, a note, a correction
and a record request, each holding a distinctive marker) through
the platform's actions on a real database in a fresh data folder, another
erases it. The test itself reads the bytes, past Django."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

MARKER = "Okapi-Marmalade-9052"

SCRIPT = r"""
import json, sys
import django
django.setup()
from django.core.management import call_command
from casebridge.web.accounts.models import Role, User
from casebridge.web.cases import audit
from casebridge.web.cases.access import case_for_system
from casebridge.web.cases.actions import (
    do_add_note, do_correct_fact, do_create_case, do_erase_case, do_send_message,
    do_upload_document,
)
from django.contrib.auth.models import AnonymousUser
from casebridge.web.cases import enquiry_digest
from casebridge.web.cases.models import Case, Document, Enquiry
from casebridge.web.cases.tasks import process_document
from casebridge.web.console.actions import do_close_record_request, do_request_records
from casebridge.web.portal.actions.enquiry import EnquiryAnswers, do_submit_enquiry

marker = sys.argv[2]
if sys.argv[1] == "create":
    call_command("migrate", verbosity=0)
    patient = User.objects.create_user("pat@example.org", "x" * 20, role=Role.PATIENT)
    User.objects.create_user("ad@casebridge.test", "x" * 20, role=Role.ADMIN)
    coordinator = User.objects.create_user("co@casebridge.test", "x" * 20, role=Role.COORDINATOR)
    # sent as a person sends it (its e-mail, lower-cased, holds the marker too)
    enquiry = do_submit_enquiry(acting_user=AnonymousUser(), answers=EnquiryAnswers(
        full_name=f"Hester {marker}", email=f"hester.{marker}@example.org",
        relationship="self", programme="oncology", diagnosis=f"myeloma {marker}",
        current_status="", goals="", questions=f"Is {marker} right?", country="GB",
        preferred_language="en", contact_consent=True,
    ))
    # what a database reader would hash to confirm a guess of the address and words
    guess = enquiry_digest.unkeyed_digest({n: getattr(enquiry, n) for n in enquiry_digest.FIELDS})
    case = do_create_case(
        acting_user=coordinator, owner=patient, enquiry=enquiry,
        intake={"diagnosis_own_words": f"myeloma {marker}"},
    )
    letter = f"Patient: Hester {marker}\nNHS number: 943 476 5919\nDiagnosis: myeloma.\n"
    doc = do_upload_document(case, acting_user=patient, file_name=f"{marker}.txt",
                             data=letter.encode())
    process_document.call(doc.pk)
    doc = Document.objects.get(pk=doc.pk)  # a reason quoting the record, as the worker saves it
    doc.reasons = [*doc.reasons, f"The page naming Hester {marker} could not be read."]
    doc.save(update_fields=["reasons"])
    asked = do_request_records(case, acting_user=coordinator, title=f"CT report {marker}",
                               detail=f"Held by {marker} hospital")
    do_close_record_request(asked, acting_user=coordinator, state="done",
                            note=f"came by post from {marker}")
    do_send_message(case, acting_user=patient, body=f"message {marker}")
    do_add_note(case, acting_user=coordinator, body=f"note {marker}")
    fresh = case_for_system(case.pk)
    do_correct_fact(case, acting_user=coordinator, reason=f"reason {marker}",
                    expected_version=fresh.version, kind="diagnosis", value=f"dx {marker}")
    fresh = case_for_system(case.pk)
    enquiry = Enquiry.objects.get(pk=enquiry.pk)
    print(json.dumps({
        "pk": case.pk,
        "pseudonym": case.pseudonym,
        "wrapped": bytes(fresh.wrapped_key).hex(),
        "enquiry_wrapped": bytes(enquiry.wrapped_key).hex(),
        "data_key": fresh.data_key().hex(),
        "answers_hash": enquiry.answers_hash,
        "guess": guess,
        "readable": (
            marker in json.dumps(fresh.engine) and enquiry.full_name.endswith(marker)
            and enquiry.email == f"hester.{marker}@example.org".lower()
            and any(marker in r for r in Document.objects.get(pk=doc.pk).reasons)
            and case.record_requests.get().close_note.endswith(marker)
        ),
    }))
else:
    admin = User.objects.get(email="ad@casebridge.test")
    case = case_for_system(int(sys.argv[3]))
    do_erase_case(case, acting_user=admin)
    print(json.dumps({
        "cases": Case.objects.count(),
        "enquiries": Enquiry.objects.count(),
        "chain_ok": audit.verify().ok,
    }))
"""


def _run(env: dict[str, str], *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEBRIDGE_DB")}
    env.update(CASEBRIDGE_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="casebridge.web.settings")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    env.update(extra)
    return env


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _sqlite_dump(path: Path) -> bytes:
    with sqlite3.connect(path) as db:
        return "\n".join(db.iterdump()).encode()


def _needles(state: dict) -> dict[str, list[bytes]]:
    """What must not be found: the marker in any encoding a column could hold
    it in (and lower-cased, as an e-mail address is kept), the unkeyed digest
    a reader could compute from a guess of the enquiry's address and words, and
    the case's and enquiry's wrapped keys and data key (raw bytes, and hex as a
    dump writes them). "stored": the enquiry's keyed digest, which is there."""
    keys = [bytes.fromhex(state[k]) for k in ("wrapped", "enquiry_wrapped", "data_key")]
    words = [MARKER, MARKER.lower()]
    return {
        "marker": [
            *(w.encode() for w in words),
            *(w.encode("utf-16-le") for w in words),
            *(w.encode().hex().encode() for w in words),
            state["guess"].encode(),
        ],
        "stored": [state["answers_hash"].encode()],
        "keys": [
            *keys,
            *(k.hex().encode() for k in keys),
            *(k.hex().upper().encode() for k in keys),
        ],
    }


def _found(haystacks: dict[str, bytes], needles: list[bytes]) -> list[str]:
    return [name for name, data in haystacks.items() if any(n in data for n in needles)]


@pytest.mark.skipif(
    "sqlite" not in settings.DATABASES["default"]["ENGINE"], reason="the SQLite variant"
)
def test_after_erasure_no_byte_of_the_case_is_in_the_sqlite_file_its_wal_the_files_or_a_dump(
    tmp_path,
):
    data_dir = tmp_path / "data"
    env = _environment(data_dir, CASEBRIDGE_DB="sqlite")
    state = _run(env, "create", MARKER)
    assert state["readable"]  # the marker really is in the case, the engine and the enquiry
    database = data_dir / "casebridge.sqlite3"
    needles = _needles(state)

    before = {**_folder_bytes(data_dir), "dump": _sqlite_dump(database)}
    assert _found(before, needles["marker"]) == []  # sealed: never in clear, even before
    assert "casebridge.sqlite3" in _found(before, needles["keys"])  # the search does work
    assert "dump" in _found(before, needles["stored"])  # the keyed digest is; the guess is not
    assert (data_dir / "files" / state["pseudonym"]).is_dir()

    after_run = _run(env, "erase", MARKER, str(state["pk"]))
    assert after_run == {"cases": 0, "enquiries": 0, "chain_ok": True}

    after = _folder_bytes(data_dir)
    assert "casebridge.sqlite3-wal" not in after or len(after["casebridge.sqlite3-wal"]) == 0
    after["dump"] = _sqlite_dump(database)
    assert _found(after, needles["marker"]) == []
    assert _found(after, needles["keys"]) == []
    assert not (data_dir / "files" / state["pseudonym"]).exists()
    with sqlite3.connect(database) as db:
        (erased,) = db.execute("SELECT after FROM cases_auditevent WHERE action = 'case.erased'")
    assert json.loads(erased[0])["case"] == state["pseudonym"]  # the log says it happened


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="the PostgreSQL variant"
)
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_after_erasure_no_byte_of_the_case_is_in_a_fresh_pg_dump_or_the_files(tmp_path):
    import psycopg

    base = settings.DATABASES["default"]
    name = (base["TEST"].get("NAME") or "test_casebridge") + "_erasure"
    server = dict(host=base["HOST"], port=base["PORT"], user=base["USER"], dbname="postgres")
    with psycopg.connect(**server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        data_dir = tmp_path / "data"
        env = _environment(data_dir, CASEBRIDGE_DB="postgres", CASEBRIDGE_DB_NAME=name)
        state = _run(env, "create", MARKER)
        assert state["readable"]
        needles = _needles(state)

        def dump() -> bytes:
            return subprocess.run(
                ["pg_dump", "-h", base["HOST"], "-p", str(base["PORT"]), "-U", base["USER"], name],
                capture_output=True,
                check=True,
                timeout=120,
            ).stdout

        before = {**_folder_bytes(data_dir), "dump": dump()}
        assert _found(before, needles["marker"]) == []
        assert _found(before, needles["keys"]) == ["dump"]
        assert _found(before, needles["stored"]) == ["dump"]

        assert _run(env, "erase", MARKER, str(state["pk"])) == {
            "cases": 0,
            "enquiries": 0,
            "chain_ok": True,
        }
        after = {**_folder_bytes(data_dir), "dump": dump()}
        assert _found(after, needles["marker"]) == []
        assert _found(after, needles["keys"]) == []
        assert not (data_dir / "files" / state["pseudonym"]).exists()
    finally:
        with psycopg.connect(**server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- the erasure action and the cache, in this process ------------------------------------


def test_only_an_administrator_can_erase_a_case(people, case):
    from django.http import Http404

    from casebridge.web.cases.actions import do_erase_case
    from casebridge.web.cases.errors import NotAllowed
    from casebridge.web.cases.models import Case

    with pytest.raises(NotAllowed):
        do_erase_case(case, acting_user=people.coordinator)
    with pytest.raises(Http404):
        do_erase_case(case, acting_user=people.owner)
    assert Case.objects.filter(pk=case.pk).exists()


def test_erasure_deletes_every_row_and_file_and_the_log_keeps_only_what_happened(
    people, case, django_capture_on_commit_callbacks
):
    from casebridge.web.cases import audit, storage
    from casebridge.web.cases.access import case_for_system
    from casebridge.web.cases.actions import (
        do_add_note,
        do_erase_case,
        do_send_message,
        do_upload_document,
    )
    from casebridge.web.cases.models import AuditEvent, Document, Enquiry, InternalNote, Message

    enquiry = Enquiry.objects.create(full_name=MARKER, email="alice@example.org")
    Enquiry.objects.filter(pk=enquiry.pk).update(case=case)
    with django_capture_on_commit_callbacks(execute=False):  # no processing needed
        doc = do_upload_document(case, acting_user=people.owner, file_name="a.txt", data=b"x")
    blob = storage.blob_path(doc)
    do_send_message(case, acting_user=people.owner, body=MARKER)
    do_add_note(case, acting_user=people.coordinator, body=MARKER)
    assert blob.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert do_erase_case(case_for_system(case.pk), acting_user=people.admin) == case.pseudonym
    for model in (Document, Message, InternalNote, Enquiry):
        assert not model.objects.exists(), model
    assert not blob.exists() and not blob.parent.exists()
    about = AuditEvent.objects.filter(case_pseudonym=case.pseudonym).exclude(action="case.erased")
    assert about.exists() and all(e.after is None and e.case_id is None for e in about)
    erased = AuditEvent.objects.get(action="case.erased")
    assert erased.after["case"] == case.pseudonym and erased.actor_label == people.admin.email
    assert audit.verify().ok


def test_cached_page_fragments_are_sealed_in_the_database_cache(client, people, case, settings):
    from django.db import connection

    from casebridge.web.cases.access import case_for_system
    from casebridge.web.cases.actions import do_correct_fact, do_give_consent

    settings.SECURE_SSL_REDIRECT = False
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    do_correct_fact(
        case,
        acting_user=people.coordinator,
        reason="letter of 3 May",
        expected_version=case_for_system(case.pk).version,
        kind="diagnosis",
        value=f"carcinoma {MARKER}",
    )
    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    first = client.get(f"/cases/{case.pseudonym}/facts/").content.decode()
    assert MARKER in first
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM casebridge_cache")
        stored = b"".join(str(value).encode() for (value,) in cursor.fetchall())
    assert stored  # the fragment was cached ...
    assert MARKER.encode() not in stored  # ... sealed
    assert MARKER in client.get(f"/cases/{case.pseudonym}/facts/").content.decode()  # opened again
