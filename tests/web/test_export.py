"""A copy of everything a patient has (cases/exports.py): the archive holds
each part, the originals byte for byte, the data as it is stored; only the
patient downloads it from the portal (after signing in again), staff with the
command; every export is audited before the archive is made."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.http import Http404

from casebridge.web.cases import storage
from casebridge.web.cases.access import case_for_system, get_case_for_user_or_404
from casebridge.web.cases.actions import (
    do_give_consent,
    do_send_message,
    do_upload_document,
    do_withdraw_consent,
)
from casebridge.web.cases.exports import do_export_case, safe_name
from casebridge.web.cases.models import AuditEvent, Document
from casebridge.web.cases.questions import do_add_question
from casebridge.web.cases.tasks import process_document
from casebridge.web.portal.archive_words import ArchiveWords
from tests.web.conftest import PASSWORD
from tests.web.records import PATHOLOGY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

# every byte value, and bytes that are not valid text: an original must come back as sent
SCAN = bytes(range(256)) * 40 + b"\x00\xff%PDF-not-really"
SECOND_HISTOLOGY = PATHOLOGY.replace("grade 2", "grade 3").encode()


@pytest.fixture
def full_case(people, case):
    """Alice's case with a read record, a binary upload, two uploads of the same
    name, messages both ways, a question, and a transfer consent withdrawn."""
    do_give_consent(
        case, acting_user=people.owner, kind="processing_art9", text_version="processing-2026.1"
    )
    first = do_upload_document(
        case, acting_user=people.owner, file_name="histology.txt", data=PATHOLOGY.encode()
    )
    assert process_document.call(first.pk) == "processed"
    do_upload_document(case, acting_user=people.family, file_name="J Smith: scan?.bin", data=SCAN)
    do_upload_document(
        case, acting_user=people.owner, file_name="HISTOLOGY.txt", data=SECOND_HISTOLOGY
    )
    do_give_consent(
        case,
        acting_user=people.owner,
        kind="transfer_abroad",
        text_version="transfer-2026.2",
        language="zh",
        country="CN",
        recipients=["fuscc-breast-surgery"],
    )
    do_withdraw_consent(case, acting_user=people.owner, kind="transfer_abroad")
    do_send_message(case, acting_user=people.owner, body="Is the letter from June enough?")
    do_send_message(case, acting_user=people.coordinator, body="Yes, thank you: it is there.")
    do_add_question(case, acting_user=people.owner, text="Would surgery first be an option?")
    case.refresh_from_db()
    return case


def _export(user, case) -> tuple[zipfile.ZipFile, str]:
    gated = get_case_for_user_or_404(user, case.pseudonym, "consent")
    archive = do_export_case(gated, acting_user=user, words=ArchiveWords())
    data = b"".join(archive.chunks())
    return zipfile.ZipFile(io.BytesIO(data)), archive.folder


def _read(archive: zipfile.ZipFile, folder: str, name: str) -> bytes:
    return archive.read(f"{folder}/{name}")


def test_the_archive_holds_every_part_with_the_originals_byte_for_byte(people, full_case):
    archive, folder = _export(people.owner, full_case)
    assert archive.testzip() is None  # every entry's checksum holds
    names = {n.removeprefix(folder + "/") for n in archive.namelist()}
    assert names == {
        "README.txt",
        "originals/histology.txt",
        "originals/HISTOLOGY (2).txt",  # the same name twice: both kept, apart
        "originals/J Smith_ scan_.bin",
        "case.json",
        "summary-en.pdf",
        "summary-zh.pdf",
        "fhir.json",
        "consents.json",
        "messages.json",
        "questions.json",
        "access-log.csv",
        "manifest.json",
    }
    assert _read(archive, folder, "originals/histology.txt") == PATHOLOGY.encode()
    assert _read(archive, folder, "originals/HISTOLOGY (2).txt") == SECOND_HISTOLOGY
    assert _read(archive, folder, "originals/J Smith_ scan_.bin") == SCAN
    manifest = json.loads(_read(archive, folder, "manifest.json"))
    for original in manifest["originals"]:
        content = _read(archive, folder, original["file"])
        assert hashlib.sha256(content).hexdigest() == original["sha256"]
    assert {o["uploaded_as"] for o in manifest["originals"]} == {
        "histology.txt",
        "HISTOLOGY.txt",
        "J Smith: scan?.bin",
    }
    assert manifest["not_included"] == []


def test_the_case_json_is_the_engines_output_as_stored_and_the_fhir_parses(people, full_case):
    archive, folder = _export(people.owner, full_case)
    assert json.loads(_read(archive, folder, "case.json")) == full_case.engine
    bundle = json.loads(_read(archive, folder, "fhir.json"))
    assert bundle["resourceType"] == "Bundle" and bundle["entry"]
    for lang in ("en", "zh"):
        assert _read(archive, folder, f"summary-{lang}.pdf").startswith(b"%PDF-")


def test_consents_messages_and_questions_are_there_in_plain_words(people, full_case):
    archive, folder = _export(people.owner, full_case)
    consents = json.loads(_read(archive, folder, "consents.json"))
    processing, transfer = consents
    assert processing["kind"] == "processing_art9" and processing["in_force"] is True
    assert processing["wording"]["en"] == "the current wording, of 7 December 2026, in English"
    assert processing["wording"]["zh"].startswith("2026年12月7日的现行文本")
    assert processing["text_shown"].startswith("I agree that casebridge may store")
    assert processing["given_by"]["name"] == "alice" and processing["given_by"]["role"] == "patient"
    assert transfer["country"] == "CN" and transfer["language_shown"] == "zh"
    assert transfer["recipients"][0]["id"] == "fuscc-breast-surgery"
    assert "Fudan" in transfer["recipients"][0]["en"]
    assert transfer["in_force"] is False and transfer["withdrawn_at"]
    assert transfer["withdrawn_by"]["name"] == "alice"
    assert "我同意" in transfer["text_shown"]  # the Chinese wording, as shown
    messages = json.loads(_read(archive, folder, "messages.json"))
    assert [(m["from"]["role"], m["message"]) for m in messages] == [
        ("patient", "Is the letter from June enough?"),
        ("coordinator", "Yes, thank you: it is there."),
    ]
    questions = json.loads(_read(archive, folder, "questions.json"))
    assert [q["question"] for q in questions] == ["Would surgery first be an option?"]
    readme = _read(archive, folder, "README.txt").decode()
    assert "originals/" in readme and "access-log.csv" in readme and "各个文件的内容" in readme


def test_the_access_log_says_who_opened_the_case_in_which_role_and_when(people, full_case):
    get_case_for_user_or_404(people.coordinator, full_case.pk)  # a coordinator opens it
    archive, folder = _export(people.owner, full_case)
    text = _read(archive, folder, "access-log.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    opened = [r for r in rows if r["action"] == "case.read" and r["who"] == "carol"]
    assert opened and opened[0]["role"] == "Coordinator" and opened[0]["what"] == "opened the case"
    assert opened[0]["做了什么"] == "打开了病例"
    assert opened[0]["when"][:4].isdigit() and "T" in opened[0]["when"]
    uploads = [r for r in rows if r["action"] == "document.uploaded" and r["who"] == "bob"]
    assert uploads[0]["role"] == "Family member or caregiver"  # the role on this case
    # the export itself is on it: recorded before the archive was made
    assert rows[-1]["action"] == "case.exported" and rows[-1]["who"] == "alice"


def test_every_export_is_audited_with_its_parts_before_the_archive_is_made(people, full_case):
    gated = get_case_for_user_or_404(people.owner, full_case.pseudonym, "consent")
    archive = do_export_case(gated, acting_user=people.owner, words=ArchiveWords())
    row = AuditEvent.objects.get(action="case.exported")  # nothing streamed yet
    assert row.actor == people.owner and row.case == full_case
    assert row.after["parts"] == archive.plan.parts and "originals" in row.after["parts"]
    assert sorted(row.after["documents"]) == sorted(
        Document.objects.filter(case=full_case).values_list("pk", flat=True)
    )
    assert row.after["messages"] == 2 and row.after["consents"] == 2
    # the archive's files are not audited again one by one: the row names them all
    b"".join(archive.chunks())
    assert not AuditEvent.objects.filter(action="document.read").exists()


def test_a_relative_a_reviewer_and_an_outsider_may_not_export(people, full_case):
    for user in (people.family, people.reviewer, people.outsider):
        with pytest.raises(Http404):
            do_export_case(case_for_system(full_case.pk), acting_user=user, words=ArchiveWords())
    assert not AuditEvent.objects.filter(action="case.exported").exists()


def test_a_case_with_nothing_read_yet_has_no_summaries_and_says_why(people, case):
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    do_upload_document(case, acting_user=people.owner, file_name="a.txt", data=b"waiting")
    archive, folder = _export(people.owner, case)
    names = {n.removeprefix(folder + "/") for n in archive.namelist()}
    assert "originals/a.txt" in names and "case.json" in names
    assert not names & {"summary-en.pdf", "summary-zh.pdf", "fhir.json"}
    assert "none of your records had been read" in _read(archive, folder, "README.txt").decode()
    wording = json.loads(_read(archive, folder, "consents.json"))[0]["wording"]["en"]
    assert wording == "an earlier wording, in English" and "t1" not in wording


def test_a_file_that_cannot_be_opened_is_listed_and_the_rest_still_exported(people, full_case):
    broken = Document.objects.get(
        case=full_case, sha256=hashlib.sha256(SECOND_HISTOLOGY).hexdigest()
    )
    storage.delete_blob(broken)
    archive, folder = _export(people.owner, full_case)
    manifest = json.loads(_read(archive, folder, "manifest.json"))
    assert manifest["not_included"] == [
        {"file": "HISTOLOGY.txt", "why": "The stored file of 'HISTOLOGY.txt' is missing."}
    ]
    assert _read(archive, folder, "originals/histology.txt") == PATHOLOGY.encode()


def test_upload_names_become_safe_and_unique_file_names():
    taken: set[str] = set()
    assert safe_name("../../etc/passwd", taken) == "passwd"
    assert safe_name("PASSWD", taken) == "PASSWD (2)"
    assert safe_name("a\x00b<c>.pdf", taken) == "a_b_c_.pdf"
    assert safe_name("con.txt", taken) == "_con.txt"
    assert safe_name("..", taken) == "unnamed"
    assert safe_name("scan.tar.gz", taken) == "scan.tar.gz"
    assert safe_name("Scan.tar.gz", taken) == "Scan.tar (2).gz"


# -- the portal ---------------------------------------------------------------------------


def _login(client, user) -> None:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


def test_the_patient_downloads_it_streamed_after_proving_who_they_are(client, people, full_case):
    _login(client, people.owner)
    url = f"/cases/{full_case.pseudonym}/everything.zip"
    asked = client.get(url)
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/reauthenticate/")
    assert not AuditEvent.objects.filter(action="case.exported").exists()
    back = client.post(asked["Location"], {"password": PASSWORD})
    assert back.status_code == 302 and back["Location"] == url
    response = client.get(url)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert f"{full_case.pseudonym}-everything-" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None and len(archive.namelist()) == 13
    row = AuditEvent.objects.get(action="case.exported")
    assert row.actor == people.owner and row.ip == "127.0.0.1"


def test_a_relative_staff_and_an_outsider_get_404_from_the_portal(client, people, full_case):
    for user in (people.family, people.coordinator, people.admin, people.outsider):
        _login(client, user)
        assert client.get(f"/cases/{full_case.pseudonym}/everything.zip").status_code == 404
    assert not AuditEvent.objects.filter(action="case.exported").exists()


def test_the_summary_page_offers_the_copy_to_the_patient_only_in_both_languages(
    client, people, full_case
):
    url = f"/cases/{full_case.pseudonym}/summary-and-downloads/"
    link = f"/cases/{full_case.pseudonym}/everything.zip"
    _login(client, people.owner)
    page = client.get(url).content.decode()
    assert link in page and "Download a copy of everything" in page
    assert "the files you uploaded, exactly as you sent them" in page
    people.owner.preferred_language = "zh"  # signed in, pages follow the account's language
    people.owner.save(update_fields=["preferred_language"])
    chinese = client.get(url).content.decode()
    assert "下载全部资料的副本" in chinese
    _login(client, people.family)
    assert link not in client.get(url).content.decode()


def test_the_patients_log_of_who_opened_the_case_names_the_export(client, people, full_case):
    _export(people.owner, full_case)
    _login(client, people.owner)
    page = client.get(f"/cases/{full_case.pseudonym}/activity/").content.decode()
    assert "downloaded a copy of everything" in page


# -- the command --------------------------------------------------------------------------


def test_the_command_writes_the_archive_audited_by_the_person_named(people, full_case, tmp_path):
    out = tmp_path / "sar.zip"
    stdout = io.StringIO()
    call_command(
        "export_case", full_case.pseudonym.lower(), "--out", str(out), "--by",
        people.coordinator.email, stdout=stdout,
    )  # fmt: skip
    assert "3 original file(s)" in stdout.getvalue()
    assert out.stat().st_mode & 0o777 == 0o600
    archive = zipfile.ZipFile(out)
    folder = archive.namelist()[0].split("/")[0]
    assert _read(archive, folder, "originals/J Smith_ scan_.bin") == SCAN
    assert json.loads(_read(archive, folder, "case.json")) == full_case.engine
    row = AuditEvent.objects.get(action="case.exported")
    assert row.actor == people.coordinator and row.case == full_case


def test_the_command_without_a_person_is_audited_as_the_system(people, full_case, tmp_path):
    call_command("export_case", full_case.pseudonym, "--out", str(tmp_path / "a.zip"))
    row = AuditEvent.objects.get(action="case.exported")
    assert row.actor is None and row.actor_label == "system"


def test_the_command_never_overwrites_and_names_what_is_wrong(people, full_case, tmp_path):
    kept = tmp_path / "kept.zip"
    kept.write_bytes(b"someone else's file")
    with pytest.raises(CommandError, match="exists already"):
        call_command("export_case", full_case.pseudonym, "--out", str(kept))
    assert kept.read_bytes() == b"someone else's file"
    with pytest.raises(CommandError, match="there is no case CB-00000000"):
        call_command("export_case", "CB-00000000", "--out", str(tmp_path / "x.zip"))
    with pytest.raises(CommandError, match="not an active coordinator or administrator"):
        call_command(
            "export_case", full_case.pseudonym, "--out", str(tmp_path / "y.zip"), "--by",
            people.family.email,
        )  # fmt: skip
    with pytest.raises(CommandError, match="is not a folder"):
        call_command("export_case", full_case.pseudonym, "--out", str(tmp_path / "no" / "z.zip"))
    assert not AuditEvent.objects.filter(action="case.exported").exists()
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["kept.zip"]


def test_the_archive_is_streamed_in_small_chunks_not_made_whole_in_memory(people, case):
    import os

    from casebridge.web.cases.exports import CHUNK

    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    big = os.urandom(3 * 1024 * 1024)  # does not compress: the chunks are as large as it gets
    do_upload_document(case, acting_user=people.owner, file_name="photo.jpg", data=big)
    gated = get_case_for_user_or_404(people.owner, case.pseudonym, "consent")
    chunks = list(do_export_case(gated, acting_user=people.owner, words=ArchiveWords()).chunks())
    assert len(chunks) > 40 and max(len(chunk) for chunk in chunks) < 3 * CHUNK
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.read(f"{archive.namelist()[0].split('/')[0]}/originals/photo.jpg") == big


def test_what_was_sent_abroad_and_the_released_opinion_are_in_the_archive(people, team):
    from casebridge.web.cases.opinions import (
        do_release_opinion,
        do_save_opinion_draft,
        do_sign_opinion,
    )

    case, _best, _a, lead, *_ = team
    archive, folder = _export(people.owner, case)
    names = set(archive.namelist())
    assert f"{folder}/sent-abroad.json" in names
    assert f"{folder}/opinion.json" not in names  # nothing released yet
    sent = json.loads(_read(archive, folder, "sent-abroad.json"))
    assert [row["version"] for row in sent] == [1]
    assert sent[0]["to"] and sent[0]["sent_at"]

    fields = {"summary": "病理支持浸润性导管癌。", "agreement": "agree", "staging": "cT2 N1 M0"}
    fields["direction"] = "新辅助治疗后手术。"
    draft = do_save_opinion_draft(case, acting_user=lead, fields={**fields, "language": "zh"})
    case.refresh_from_db()
    signed = do_sign_opinion(
        case, acting_user=lead, number=draft.number, expected_version=case.version
    )
    do_release_opinion(case, acting_user=people.coordinator, number=signed.number)
    case.refresh_from_db()
    archive, folder = _export(people.owner, case)
    opinion = json.loads(_read(archive, folder, "opinion.json"))
    assert opinion["summary"] == fields["summary"] and opinion["staging"] == "cT2 N1 M0"
    assert opinion["signed_at"] and opinion["released_at"]
    assert opinion["written_on_case_version"] == 1
    assert opinion["department"]["en"] and opinion["department"]["zh"]
    readme = _read(archive, folder, "README.txt").decode()
    assert "opinion.json" in readme and "sent-abroad.json" in readme


def test_after_withdrawing_consent_to_processing_the_patient_and_the_command_still_export(
    people, full_case, tmp_path
):
    """Withdrawal limits what staff see, never the patient's right to a copy: a
    subject access request after it is answered in full."""
    do_withdraw_consent(full_case, acting_user=people.owner, kind="processing_art9")
    full_case.refresh_from_db()
    archive, folder = _export(people.owner, full_case)
    assert _read(archive, folder, "originals/J Smith_ scan_.bin") == SCAN
    out = tmp_path / "sar.zip"
    call_command("export_case", full_case.pseudonym, "--out", str(out), stdout=io.StringIO())
    archive = zipfile.ZipFile(out)
    folder = archive.namelist()[0].split("/")[0]
    assert json.loads(_read(archive, folder, "case.json")) == full_case.engine
    consents = json.loads(_read(archive, folder, "consents.json"))
    assert all(not row["in_force"] for row in consents)
