"""The default blob store, the data folder (cases/datafolder.py), through the
storage API: the layout and modes an existing installation already has."""

from __future__ import annotations

import os
import stat

import pytest

from casebridge.web.cases import storage
from casebridge.web.cases.access import case_for_system
from casebridge.web.cases.actions import do_upload_document

pytestmark = pytest.mark.django_db


def test_storing_a_document_again_overwrites_its_own_file(people, case, settings, tmp_path):
    settings.DATA_DIR = tmp_path  # an empty data folder: other tests' files are elsewhere
    document = do_upload_document(case, acting_user=people.owner, file_name="a.txt", data=b"one")
    assert storage.store_document(case, document, b"two") == document.blob_path
    assert storage.read_document(case_for_system(case.pk), document) == b"two"
    assert storage.list_blobs() == [document.blob_path]  # no temporary file stays behind


def test_folders_are_owner_only_whatever_the_umask(people, case, settings, tmp_path):
    settings.DATA_DIR = tmp_path  # the store follows the data folder
    previous = os.umask(0)
    try:
        document = do_upload_document(case, acting_user=people.owner, file_name="a", data=b"x")
    finally:
        os.umask(previous)
    path = storage.blob_path(document)
    assert path == tmp_path / "files" / case.pseudonym / f"{document.pk}.bin"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (path.parent, path.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_list_blobs_sees_an_interrupted_uploads_temporary_file_and_erasure_sweeps_it(
    people, case, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    document = do_upload_document(case, acting_user=people.owner, file_name="a", data=b"x")
    leftover = storage.blob_path(document).with_name(f".{document.pk}.0a1b2c3d.tmp")
    leftover.write_bytes(b"CBF1 half written")
    prefix = f"files/{case.pseudonym}"
    assert storage.list_blobs() == [f"{prefix}/.{document.pk}.0a1b2c3d.tmp", document.blob_path]
    assert storage.delete_case_blobs(case.pseudonym) == 2
    assert storage.list_blobs() == [] and not (tmp_path / prefix).exists()
