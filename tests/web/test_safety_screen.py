"""The emergency screen on people's own words in the platform: the enquiry's free text,
patients' and families' messages, and what a coordinator does with red and amber."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse

from casebridge.web.cases import workflow
from casebridge.web.cases.actions import do_change_status, do_send_message, do_upload_document
from casebridge.web.cases.models import AuditEvent, Case, Enquiry
from casebridge.web.cases.tasks import process_document
from casebridge.web.console.actions import do_review_safety
from casebridge.web.portal.actions.enquiry_link import enquiry_intake

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def _login(client, user) -> None:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


def _enquiry(client, **answers: str):
    assert client.post("/enquiry/", {"none_apply": "on"}).status_code == 302
    data = {
        "relationship": "family",
        "programme": "oncology",
        "diagnosis": "Lung cancer, on chemotherapy",
        "current_status": "Second cycle of carboplatin",
        "goals": "A second view on the plan",
        "questions": "What else could be done?",
        "country": "GB",
        "preferred_language": "en",
        "full_name": "Sam Lee",
        "email": "sam@example.org",
        "contact_consent": "on",
    }
    data.update(answers)
    return client.post("/enquiry/details/", data, follow=True)


# -- the enquiry's free text -------------------------------------------------------------


def test_an_emergency_written_in_the_questions_box_flags_the_enquiry_and_says_seek_care(client):
    response = _enquiry(
        client, questions="Dad coughed up a cupful of blood this morning, is that normal?"
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/enquiry/seek-care/"
    assert "Seek local care now: call 999 or NHS 111" in page
    assert "coughed up a cupful of blood" in page  # the words that raised it, shown back
    enquiry = Enquiry.objects.get()
    assert enquiry.red_flag_state == Enquiry.RedFlag.FLAGGED
    assert enquiry.red_flag_answers == ["bleeding"]
    event = AuditEvent.objects.get(action="enquiry.red_flag")
    assert event.after["from"] == "free_text" and event.after["fields"] == ["questions"]


def test_an_emergency_in_chinese_in_the_diagnosis_box_flags_the_enquiry(client):
    response = _enquiry(client, diagnosis="肺癌骨转移，昨天开始双下肢无力，走不了路")
    assert response.redirect_chain[-1][0] == "/enquiry/seek-care/"
    assert Enquiry.objects.get().red_flag_answers == ["mscc"]


def test_a_look_alike_in_the_enquiry_does_not_flag_it(client):
    response = _enquiry(
        client,
        diagnosis="Bowel cancer. Had a blood clot in 2019, on apixaban, fine since",
        questions="The leaflet says signs of sepsis include a high temperature: what is the plan?",
    )
    assert response.redirect_chain[-1][0] == "/enquiry/sent/"
    assert Enquiry.objects.get().red_flag_state == Enquiry.RedFlag.NONE
    assert Enquiry.objects.get().safety_flags == []


def test_an_amber_problem_says_call_the_helpline_today_and_lists_the_enquiry_amber(client, people):
    response = _enquiry(client, current_status="On FOLFOX, diarrhoea five times today")
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/enquiry/sent/"
    assert "Call your acute oncology helpline today" in page
    enquiry = Enquiry.objects.get()
    assert enquiry.red_flag_state == Enquiry.RedFlag.NONE
    assert [f["level"] for f in enquiry.safety_flags] == ["amber"]
    assert AuditEvent.objects.filter(action="enquiry.amber_flag").exists()
    _login(client, people.coordinator)
    queue = client.get("/console/", secure=True).content.decode()
    assert "amber: call the patient today" in queue


def test_a_cleared_enquiry_opens_a_case_with_those_flags_cleared(client):
    _enquiry(client, questions="He has a temperature of 38.6 tonight after his chemo")
    enquiry = Enquiry.objects.get()
    assert enquiry.red_flag_answers == ["neutropenic_sepsis"]
    Enquiry.objects.update(red_flag_state=Enquiry.RedFlag.CLEARED)  # a coordinator spoke to them
    enquiry.refresh_from_db()
    assert enquiry_intake(enquiry)["safety_cleared"] == ["neutropenic_sepsis"]


# -- messages ----------------------------------------------------------------------------


def test_a_patients_message_with_a_red_flag_pauses_the_case_in_the_same_step(client, people, case):
    _login(client, people.owner)
    response = client.post(
        f"/cases/{case.pseudonym}/messages/",
        {"body": "Since last night my legs are numb and I can't walk. I have spinal mets."},
        follow=True,
    )
    assert "Your message mentions something that may need care now" in response.content.decode()
    case.refresh_from_db()
    assert case.status == workflow.PAUSED_SAFETY and case.paused
    assert "spinal cord compression" in case.paused_reason
    event = AuditEvent.objects.get(action="case.paused_for_safety")
    assert event.after["from"] == "message" and event.after["flags"][0]["flag"] == "mscc"


def test_a_chinese_message_with_a_red_flag_pauses_the_case(people, case):
    do_send_message(case, acting_user=people.owner, body="我爸今天咯血了，量很多")
    case.refresh_from_db()
    assert case.status == workflow.PAUSED_SAFETY


def test_a_staff_message_is_not_screened(people, case):
    do_send_message(
        case,
        acting_user=people.coordinator,
        body="Call 999 if you cough up blood or get chest pain.",
    )
    do_send_message(case, acting_user=people.coordinator, body="He coughed up blood, you said?")
    case.refresh_from_db()
    assert case.status != workflow.PAUSED_SAFETY and not case.safety_review


def test_a_message_about_something_resolved_or_hypothetical_changes_nothing(people, case):
    do_send_message(
        case,
        acting_user=people.owner,
        body="The diarrhoea has settled now. Should I call if I get a temperature?",
    )
    case.refresh_from_db()
    assert case.status == workflow.ENQUIRY or case.status in workflow.OPEN
    assert not case.paused and not case.safety_review


def test_an_amber_message_lists_the_case_and_a_coordinator_reviews_it(client, people, case):
    do_send_message(
        case, acting_user=people.owner, body="I've had mouth ulcers since my capecitabine started"
    )
    case.refresh_from_db()
    assert case.safety_review and not case.paused
    assert AuditEvent.objects.filter(action="case.safety_flag").exists()
    _login(client, people.coordinator)
    assert "amber: call the patient today" in client.get("/console/", secure=True).content.decode()
    page = client.get(reverse("console:case", args=[case.pseudonym]), secure=True).content.decode()
    assert "Mark the amber flags reviewed" in page

    reviewed = do_review_safety(
        case,
        acting_user=people.coordinator,
        note="Spoke to her; helpline called.",
        expected_version=case.version,
    )
    assert not reviewed.safety_review
    assert AuditEvent.objects.get(action="case.safety_reviewed").after["note"].startswith("Spoke")


def test_the_patient_cannot_review_an_amber_flag(people, case):
    from django.http import Http404

    do_send_message(
        case, acting_user=people.owner, body="New rash on my arms since the pembrolizumab"
    )
    case.refresh_from_db()
    with pytest.raises(Http404):  # the gate: staff only, and the case is not theirs to manage
        do_review_safety(case, acting_user=people.owner, note="fine", expected_version=case.version)


# -- records: resuming after a check does not pause again on the same words ---------------


def test_a_case_resumed_after_a_safety_check_is_not_paused_again_by_the_same_flag(people, case):
    today = dt.date.today().strftime("%d/%m/%Y")
    letter = (
        f"Clinic letter\nDate: {today}\nShe has new back pain and her legs are weak since Tuesday.\n"
    ).encode()
    doc = do_upload_document(case, acting_user=people.owner, file_name="letter.txt", data=letter)
    assert process_document.call(doc.pk) == "processed"
    case.refresh_from_db()
    assert case.status == workflow.PAUSED_SAFETY
    resumed = do_change_status(
        case,
        acting_user=people.coordinator,
        status=case.paused_from,
        expected_version=case.version,
        reason="Seen at A&E; MRI normal",
    )
    assert resumed.engine["intake"]["safety_cleared"] == ["mscc"]
    second = do_upload_document(
        case, acting_user=people.owner, file_name="more.txt", data=letter + b"Seen again.\n"
    )
    process_document.call(second.pk)
    assert Case.objects.get(pk=case.pk).status != workflow.PAUSED_SAFETY


def test_after_a_free_text_flag_a_phone_number_can_be_left_and_the_email_is_kept(client):
    response = _enquiry(client, questions="My mum is suddenly confused and very drowsy today")
    page = response.content.decode()
    assert "Leave a phone number so a coordinator can call you" in page
    assert page.index("Call 999 (emergency)") < page.index("What you wrote that worries us")
    client.post("/enquiry/seek-care/", {"phone": "07700 900123"})
    enquiry = Enquiry.objects.get()
    assert (enquiry.phone, enquiry.email, enquiry.full_name) == (
        "07700 900123",
        "sam@example.org",
        "Sam Lee",
    )


def test_a_relative_writing_about_the_patient_is_not_read_as_family_history(client):
    response = _enquiry(
        client, questions="My dad has lung cancer and since last night his legs are numb"
    )
    assert response.redirect_chain[-1][0] == "/enquiry/seek-care/"


def test_a_temperature_in_one_answer_is_read_with_the_treatment_named_in_another(client):
    response = _enquiry(client, questions="He has been shivery tonight, temp 37.8")
    assert response.redirect_chain[-1][0] == "/enquiry/seek-care/"  # "Second cycle of carboplatin"


def test_the_same_temperature_without_treatment_does_not_stop_the_enquiry(client):
    response = _enquiry(
        client,
        diagnosis="Lung cancer, waiting for results",
        current_status="Seen in clinic, no treatment yet",
        questions="He has been shivery tonight, temp 37.8",
    )
    assert response.redirect_chain[-1][0] != "/enquiry/seek-care/"


def test_a_message_is_screened_with_what_the_records_say_of_treatment(people, case):
    from casebridge.engine.case import Case as EngineCase
    from casebridge.engine.case import Fact

    do_send_message(case, acting_user=people.owner, body="Temp 37.8 tonight and shivery")
    case.refresh_from_db()
    assert case.status != workflow.PAUSED_SAFETY  # nothing says she is on treatment
    case.engine = EngineCase(facts=[Fact("regimen", "docetaxel", None)]).to_dict()
    case.save(update_fields=["engine"])
    do_send_message(case, acting_user=people.owner, body="Temp 37.8 tonight and shivery")
    case.refresh_from_db()
    assert case.status == workflow.PAUSED_SAFETY
