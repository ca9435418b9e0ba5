"""The encrypted blobs in an S3-compatible object store (CASEBRIDGE_STORAGE=s3).

Against a real S3 API server on this machine: moto's server in a child
process on a free port, spoken to over HTTP by boto3 through django-storages,
as production speaks to AWS S3 or MinIO (no network, no cloud account). The
backend's options come from the real settings module, loaded with the
CASEBRIDGE_S3_* variables in a child process, so the tests cover what an
operator's environment gives.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile

from casebridge.web.cases import storage
from casebridge.web.cases.access import case_for_system, get_case_for_user_or_404
from casebridge.web.cases.actions import do_erase_case, do_give_consent, do_upload_document
from casebridge.web.cases.errors import StorageError
from casebridge.web.cases.models import Document
from casebridge.web.cases.tasks import process_document
from tests.web.records import PATHOLOGY

pytestmark = pytest.mark.django_db

MARKER = "Mrs Marker-Plaintext-7Q"
CONTENT = f"Clinic letter for {MARKER}: seen in the breast clinic today.".encode()
PREFIX = "casebridge-test"  # CASEBRIDGE_S3_PREFIX: keys live under it
REGION = "eu-west-2"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(port: int, server: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the S3 server stopped at start (exit {server.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the S3 server did not listen on port {port} within {seconds} s")


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A local S3 API server (moto) in a child process, for the whole run."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _settings_storages(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Load casebridge's settings in a child with these variables; print STORAGES."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.STORAGES))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "casebridge.web.settings", **environment}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture(scope="session")
def s3_settings(s3_endpoint: str) -> dict[str, str]:
    bucket = f"cb-{secrets.token_hex(6)}"
    return {
        "CASEBRIDGE_STORAGE": "s3",
        "CASEBRIDGE_S3_BUCKET": bucket,
        "CASEBRIDGE_S3_ENDPOINT_URL": s3_endpoint,
        "CASEBRIDGE_S3_REGION": REGION,
        "CASEBRIDGE_S3_ACCESS_KEY_ID": "casebridge-test",
        "CASEBRIDGE_S3_SECRET_ACCESS_KEY": secrets.token_hex(16),
        "CASEBRIDGE_S3_PREFIX": PREFIX,
    }


@pytest.fixture(scope="session")
def s3_storages(s3_settings: dict[str, str]) -> dict[str, object]:
    done = _settings_storages(s3_settings)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.fixture
def bucket(settings, s3_settings, s3_storages):
    """The blob store switched to a fresh, empty bucket on the S3 server."""
    client = boto3.client(
        "s3",
        endpoint_url=s3_settings["CASEBRIDGE_S3_ENDPOINT_URL"],
        region_name=REGION,
        aws_access_key_id=s3_settings["CASEBRIDGE_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=s3_settings["CASEBRIDGE_S3_SECRET_ACCESS_KEY"],
    )
    name = f"cb-{secrets.token_hex(6)}"
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    blobs = json.loads(json.dumps(s3_storages["casebridge-blobs"]))
    blobs["OPTIONS"]["bucket_name"] = name
    settings.STORAGES = {**s3_storages, "casebridge-blobs": blobs}
    return Bucket(client, name)


class Bucket:
    def __init__(self, client, name: str) -> None:
        self.client, self.name = client, name

    def keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def get(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.name, Key=key)["Body"].read())

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=data)


def _key(document: Document) -> str:
    return f"{PREFIX}/{document.blob_path}"


def _local_files(pseudonym: str) -> list[Path]:
    """The case's own files in the data folder (other tests' workers may still be
    writing theirs elsewhere in it)."""
    root = Path(django_settings.DATA_DIR) / "files" / pseudonym
    return [p for p in root.rglob("*") if p.is_file()] if root.is_dir() else []


def test_the_settings_build_the_s3_backend_from_the_environment(s3_storages, s3_settings):
    blobs = s3_storages["casebridge-blobs"]
    assert blobs["BACKEND"] == "storages.backends.s3.S3Storage"
    options = blobs["OPTIONS"]
    assert options["bucket_name"] == s3_settings["CASEBRIDGE_S3_BUCKET"]
    assert options["endpoint_url"] == s3_settings["CASEBRIDGE_S3_ENDPOINT_URL"]
    assert options["region_name"] == REGION and options["location"] == PREFIX
    assert options["default_acl"] is None and options["file_overwrite"] is True


def test_the_settings_refuse_s3_without_a_bucket_and_an_unknown_storage(s3_settings):
    no_bucket = _settings_storages({**s3_settings, "CASEBRIDGE_S3_BUCKET": ""})
    assert no_bucket.returncode != 0 and "needs CASEBRIDGE_S3_BUCKET" in no_bucket.stderr
    unknown = _settings_storages({"CASEBRIDGE_STORAGE": "ftp"})
    assert unknown.returncode != 0 and "must be 'local' or 's3'" in unknown.stderr


def test_the_default_store_is_the_data_folder():
    assert storage.is_local()
    assert django_settings.STORAGES["casebridge-blobs"]["BACKEND"].endswith("DataFolderStorage")


def test_an_upload_is_an_object_in_the_bucket_that_reads_back_through_the_gate(
    bucket, people, case
):
    before = set(_local_files(case.pseudonym))
    document = do_upload_document(case, acting_user=people.owner, file_name="l.txt", data=CONTENT)
    assert not storage.is_local()
    assert document.blob_path == f"files/{case.pseudonym}/{document.pk}.bin"
    assert bucket.keys() == [_key(document)]
    assert set(_local_files(case.pseudonym)) == before  # nothing landed in the data folder
    gated = get_case_for_user_or_404(people.coordinator, case.pk)
    assert storage.read_document(gated, document) == CONTENT


def test_the_object_holds_only_ciphertext(bucket, people, case):
    document = do_upload_document(case, acting_user=people.owner, file_name="l.txt", data=CONTENT)
    raw = bucket.get(_key(document))
    assert raw.startswith(storage.FILE_MAGIC)
    assert len(raw) == len(storage.FILE_MAGIC) + storage.NONCE_BYTES + len(CONTENT) + 16
    assert MARKER.encode() not in raw and b"breast" not in raw and CONTENT not in raw


def test_deleting_a_blob_removes_the_object(bucket, people, case):
    document = do_upload_document(case, acting_user=people.owner, file_name="l.txt", data=CONTENT)
    storage.delete_blob(document)
    assert bucket.keys() == []
    storage.delete_blob(document)  # a second delete of what is gone is no error


def test_a_changed_object_fails_the_integrity_check(bucket, people, case):
    document = do_upload_document(case, acting_user=people.owner, file_name="l.txt", data=CONTENT)
    raw = bytearray(bucket.get(_key(document)))
    raw[-3] ^= 0x01
    bucket.put(_key(document), bytes(raw))
    with pytest.raises(StorageError, match="integrity check"):
        storage.read_document(case_for_system(case.pk), document)


def test_an_object_copied_onto_another_document_fails_the_integrity_check(bucket, people, case):
    first = do_upload_document(case, acting_user=people.owner, file_name="a.txt", data=CONTENT)
    second = do_upload_document(case, acting_user=people.owner, file_name="b.txt", data=b"Other")
    bucket.put(_key(second), bucket.get(_key(first)))
    with pytest.raises(StorageError, match="belongs to another document"):
        storage.read_document(case_for_system(case.pk), second)


def test_a_missing_object_is_reported_in_plain_words(bucket, people, case):
    document = do_upload_document(case, acting_user=people.owner, file_name="l.txt", data=CONTENT)
    bucket.client.delete_object(Bucket=bucket.name, Key=_key(document))
    with pytest.raises(StorageError, match="'l.txt' is missing"):
        storage.read_document(case_for_system(case.pk), document)


def test_a_patients_upload_through_the_portal_ends_up_in_the_bucket_and_the_worker_reads_it(
    bucket, client, people, case, plain_http
):
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        f"/cases/{case.pseudonym}/documents/",
        {"files": [SimpleUploadedFile("histology.txt", PATHOLOGY.encode())]},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200 and response.json()["files"][0]["added"] is True
    document = Document.objects.get(case=case)
    assert bucket.keys() == [_key(document)]
    raw = bucket.get(_key(document))
    assert raw.startswith(storage.FILE_MAGIC) and b"HISTOPATHOLOGY" not in raw
    assert process_document.call(document.pk) == "processed"  # the worker reads the object
    facts = case_for_system(case.pk).engine["facts"]
    assert any(fact["kind"] == "grade" for fact in facts)


def test_erasure_deletes_every_object_of_the_case_and_leaves_other_cases(
    bucket, people, case, other_case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # no processing needed
        mine = do_upload_document(case, acting_user=people.owner, file_name="a.txt", data=CONTENT)
        theirs = do_upload_document(
            other_case, acting_user=people.outsider, file_name="e.txt", data=b"Eve's letter"
        )
    # An object no row names under the case's prefix (an upload killed before its commit).
    bucket.put(f"{PREFIX}/files/{case.pseudonym}/999999.bin", b"CBF1 leftover")
    with django_capture_on_commit_callbacks(execute=True):
        do_erase_case(case_for_system(case.pk), acting_user=people.admin)
    assert bucket.keys() == [_key(theirs)]
    assert mine.blob_path not in storage.list_blobs()


def test_list_blobs_names_every_object_with_when_it_was_written(bucket, people, case, other_case):
    first = do_upload_document(case, acting_user=people.owner, file_name="a.txt", data=CONTENT)
    second = do_upload_document(other_case, acting_user=people.outsider, file_name="e", data=b"E")
    assert storage.list_blobs() == sorted([first.blob_path, second.blob_path])
    written = storage.blob_modified_at(first.blob_path)
    assert written.tzinfo is not None and abs(time.time() - written.timestamp()) < 300


def test_verify_files_finds_an_orphan_object_and_sweeps_it_from_the_bucket(bucket, people, case):
    from django.core.management import CommandError, call_command

    document = do_upload_document(case, acting_user=people.owner, file_name="a.txt", data=CONTENT)
    orphan = f"files/{case.pseudonym}/999999.bin"  # an upload killed before its commit
    bucket.put(f"{PREFIX}/{orphan}", b"CBF1 no row names this")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_files", stdout=out, stderr=err)
    assert f"{orphan}: no document names this file" in err.getvalue()
    call_command("verify_files", "--remove-orphans", "--grace-minutes", "0", stdout=out)
    assert bucket.keys() == [_key(document)]
    assert "every document's file opens" in out.getvalue()
