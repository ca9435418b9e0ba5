"""`casebridge serve`: its demo seeding and its set-up, without starting a server."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from casebridge.web import serve
from casebridge.web.accounts.models import Role, User
from casebridge.web.cases.models import Case, Document, Enquiry
from casebridge.web.cases.tasks import process_document
from casebridge.web.console.demo import (
    COORDINATOR_EMAIL,
    PATIENT_EMAIL,
    describe,
    examples_dir,
    seed_demo,
)
from tests.web.conftest import enrol_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_dir(settings, tmp_path):
    """A fresh data folder: the encrypted demo files land here."""
    settings.DATA_DIR = tmp_path
    settings.FILES_DIR = tmp_path / "files"
    return tmp_path


@pytest.fixture
def records(tmp_path):
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "histology.txt").write_text(
        "HISTOPATHOLOGY REPORT\nDiagnosis: Invasive ductal carcinoma (NST), grade 2.\n"
        "ER positive. HER2 IHC 3+ (positive).\n"
    )
    (folder / "questions.txt").write_text("Is surgery first the right choice?\n")
    return folder


def test_the_demo_seeds_a_patient_and_a_coordinator_who_can_sign_in(
    client, data_dir, records, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        logins = seed_demo(records)
    patient = User.objects.get(email=PATIENT_EMAIL)
    coordinator = User.objects.get(email=COORDINATOR_EMAIL)
    assert patient.role == Role.PATIENT and coordinator.role == Role.COORDINATOR
    for user in (patient, coordinator):
        assert EmailAddress.objects.get(user=user).verified  # allauth lets them in
    assert client.login(email=PATIENT_EMAIL, password=logins.patient_password)
    client.logout()
    assert client.login(email=COORDINATOR_EMAIL, password=logins.coordinator_password)
    # a coordinator first enrols a second factor (the page shows its QR code)
    response = client.get(reverse("console:queue"), secure=True)
    assert response.status_code == 302 and "/accounts/2fa/totp/activate/" in response["Location"]
    enrol_totp(coordinator)
    assert client.get(reverse("console:queue"), secure=True).status_code == 200


def test_the_demo_records_go_through_the_upload_action_and_the_worker_queue(
    data_dir, records, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        logins = seed_demo(records)
    case = Case.objects.get(pseudonym=logins.case_pseudonym)
    assert sorted(logins.uploaded) == ["histology.txt", "questions.txt"]
    docs = list(case.documents.all())
    assert {d.state for d in docs} == {Document.State.QUEUED}
    assert (data_dir / "files" / case.pseudonym).is_dir()  # stored encrypted in the data dir
    assert DBTaskResult.objects.count() == 2  # queued for the worker
    histology = next(d for d in docs if d.file_name == "histology.txt")  # sealed: read
    assert process_document.call(histology.pk) == "processed"


def test_seeding_the_demo_again_adds_nothing_twice_and_changes_the_passwords(data_dir, records):
    first = seed_demo(records)
    second = seed_demo(records)
    assert second.case_pseudonym == first.case_pseudonym
    assert second.uploaded == [] and len(second.skipped) == 2
    assert second.patient_password != first.patient_password
    assert Document.objects.count() == 2
    assert User.objects.filter(email=PATIENT_EMAIL).count() == 1


def test_the_demo_has_a_red_flagged_enquiry_for_the_console(data_dir, records):
    seed_demo(records)
    assert Enquiry.objects.filter(red_flag_state=Enquiry.RedFlag.FLAGGED).count() == 1


def test_the_demo_uploads_the_bundled_breast_example(data_dir):
    folder = examples_dir()
    if not folder.is_dir():
        pytest.skip("not a source checkout: the examples are not installed")
    logins = seed_demo()
    expected = sorted(p.name for p in folder.iterdir() if p.is_file())
    assert sorted(logins.uploaded) == expected and len(expected) >= 5


def test_a_missing_records_folder_still_gives_working_accounts(data_dir, tmp_path):
    logins = seed_demo(tmp_path / "nowhere")
    assert logins.uploaded == [] and "no example records" in logins.skipped[0]
    assert User.objects.filter(email=PATIENT_EMAIL).exists()


def test_what_the_demo_prints_names_both_logins_and_the_urls(data_dir, records):
    logins = seed_demo(records)
    text = describe(logins, "http://127.0.0.1:8000/")
    assert PATIENT_EMAIL in text and logins.patient_password in text
    assert COORDINATOR_EMAIL in text and logins.coordinator_password in text
    assert "http://127.0.0.1:8000/console/" in text


def test_the_prepare_step_migrates_and_seeds(data_dir, monkeypatch, records):
    monkeypatch.setattr("casebridge.web.console.demo.examples_dir", lambda: records)
    banner = serve.prepare(demo=True, url="http://127.0.0.1:8000/")
    assert PATIENT_EMAIL in banner and "http://127.0.0.1:8000/console/" in banner
    assert "console" in serve.prepare(demo=False, url="http://127.0.0.1:8000/")


def test_a_demo_on_this_machine_runs_over_plain_http_with_generated_keys(tmp_path):
    env = serve.serve_environment(demo=True, host="127.0.0.1", data_dir=tmp_path, base={})
    assert env["CASEBRIDGE_DEMO"] == "1"
    assert env["CASEBRIDGE_SSL_REDIRECT"] == "0" and env["CASEBRIDGE_HSTS_SECONDS"] == "0"
    assert env["CASEBRIDGE_DATA_DIR"] == str(tmp_path.resolve())
    assert env["DJANGO_SETTINGS_MODULE"] == "casebridge.web.settings"


def test_without_demo_serve_keeps_the_production_rules(tmp_path):
    env = serve.serve_environment(demo=False, host="0.0.0.0", base={})
    assert "CASEBRIDGE_DEMO" not in env and "CASEBRIDGE_SSL_REDIRECT" not in env


def test_settings_from_the_environment_win_over_the_demo_defaults():
    base = {"CASEBRIDGE_SSL_REDIRECT": "1", "DJANGO_SETTINGS_MODULE": "mysite.settings"}
    env = serve.serve_environment(demo=True, host="localhost", base=base)
    assert env["CASEBRIDGE_SSL_REDIRECT"] == "1"
    assert env["DJANGO_SETTINGS_MODULE"] == "mysite.settings"


def test_a_demo_reached_from_other_machines_keeps_https_on():
    env = serve.serve_environment(demo=True, host="0.0.0.0", base={})
    assert "CASEBRIDGE_SSL_REDIRECT" not in env


def test_the_worker_is_django_tasks_db_s_worker():
    command = serve.worker_command()
    assert command[1:4] == ["-m", "django", "db_worker"]


def test_the_printed_address_is_one_a_browser_can_open():
    assert serve.url_for("0.0.0.0", 8000) == "http://127.0.0.1:8000/"
    assert serve.url_for("::1", 8080) == "http://[::1]:8080/"
    assert serve.url_for("localhost", 80) == "http://localhost:80/"


def test_serve_runs_one_web_process_per_core_plus_one_unless_told(monkeypatch):
    monkeypatch.delenv("CASEBRIDGE_WEB_WORKERS", raising=False)
    assert serve.default_workers(cpus=2) == 3
    assert serve.default_workers(cpus=1) == 2
    monkeypatch.setenv("CASEBRIDGE_WEB_WORKERS", "5")
    assert serve.default_workers(cpus=2) == 5
    monkeypatch.setenv("CASEBRIDGE_WEB_WORKERS", "many")
    assert serve.default_workers(cpus=2) == 3  # not a number: the default, with a warning


def test_the_web_server_is_gunicorn_with_threads_and_no_control_socket():
    options = serve.gunicorn_options("::1", 8001, workers=3, threads=4)
    assert options["bind"] == ["[::1]:8001"]
    assert options["workers"] == 3 and options["worker_class"] == "gthread"
    assert serve.DEFAULT_THREADS == 1  # sync workers unless asked
    assert options["control_socket_disable"] is True
    assert serve.gunicorn_options("127.0.0.1", 80, workers=1, threads=1)["worker_class"] == "sync"


def test_a_port_already_taken_is_refused_before_anything_is_prepared(monkeypatch):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert "in use" in serve.address_in_use("127.0.0.1", port).lower()
        prepared = []
        monkeypatch.setattr(serve, "prepare", lambda **kw: prepared.append(kw) or "")
        # This process's environment stays as it is.
        monkeypatch.setattr(serve, "serve_environment", lambda **kw: {})
        assert serve.main("127.0.0.1", port, demo=True, worker=False) == 1
        assert not prepared
    assert serve.address_in_use("127.0.0.1", port) == ""


def test_the_demo_patient_has_given_the_consent_its_records_are_read_under(data_dir, records):
    from casebridge.web.cases.models import Consent
    from casebridge.web.portal.content import consent_text

    logins = seed_demo(records)
    seed_demo(records)  # again: still one consent
    case = Case.objects.get(pseudonym=logins.case_pseudonym)
    (consent,) = case.consents.filter(kind=Consent.Kind.PROCESSING_ART9)
    assert consent.withdrawn_at is None and consent.given_by.email == PATIENT_EMAIL
    assert consent.text_version == consent_text("processing_art9", "en").version


def test_seeding_the_demo_again_names_a_demo_account_that_has_no_name(data_dir, records):
    seed_demo(records)
    User.objects.filter(email=PATIENT_EMAIL).update(full_name="")  # as an older demo left it
    User.objects.filter(email=COORDINATOR_EMAIL).update(full_name="Carol Chen")
    seed_demo(records)
    assert User.objects.get(email=PATIENT_EMAIL).full_name == "Demo Patient"
    assert User.objects.get(email=COORDINATOR_EMAIL).full_name == "Carol Chen"  # kept
