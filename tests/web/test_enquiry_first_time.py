"""What a first-time user meets before and during the enquiry (issue 12): what
to expect and the privacy notice and terms before any health data is given;
the enquiry's question pages in the NHS pattern; the red-flag page saying what
happens next, by when, and how to correct a mistaken tick; the sent page saying
what has (not yet) been e-mailed. English and Simplified Chinese."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from casebridge.web.cases.enquiry_flags import MISTAKEN_RED_FLAG
from casebridge.web.cases.models import AuditEvent, Enquiry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def _details(**extra: str) -> dict[str, str]:
    data = {
        "relationship": "family",
        "programme": "oncology",
        "diagnosis": "Bowel cancer, found in May",
        "country": "GB",
        "preferred_language": "en",
        "full_name": "Li Wei",
        "email": "li@example.org",
        "contact_consent": "on",
    }
    data.update(extra)
    return data


def _to_details(client) -> None:
    assert client.post("/enquiry/", {"none_apply": "on"})["Location"] == "/enquiry/details/"


def _flagged(client) -> Enquiry:
    client.post("/enquiry/", {"red_flags": ["chest_pain"]})
    return Enquiry.objects.get()


# -- before any health data -------------------------------------------------------------


def test_the_home_page_says_what_to_expect_without_promising_anything(client):
    page = client.get("/").content.decode()
    assert "What to expect" in page
    assert "Your coordinator tells you what it costs, if anything, before anything is sent" in page
    assert "within 2 working days" in page
    assert "a hospital department in China" in page
    assert "How the opinion comes back" in page
    assert "We cannot promise that a case will be accepted, or any outcome" in page
    assert "£" not in page  # no invented price
    assert reverse("account_signup") in page
    assert reverse("portal:privacy") in page and reverse("portal:terms") in page


def test_the_home_page_timeframe_follows_the_first_contact_setting(client, settings):
    settings.CASEBRIDGE_FIRST_CONTACT_DAYS = 3
    assert "within 3 working days" in client.get("/").content.decode()


def test_every_page_footer_links_to_the_privacy_notice_and_the_terms(client):
    page = client.get("/enquiry/").content.decode()
    assert f'href="{reverse("portal:privacy")}"' in page
    assert f'href="{reverse("portal:terms")}"' in page


def test_the_enquiry_first_step_links_to_the_privacy_notice_and_terms_before_health_data(
    client,
):
    page = client.get("/enquiry/").content.decode()
    assert "Before you tell us about your health" in page
    assert page.count(reverse("portal:privacy")) >= 2  # the step itself and the footer


def test_the_privacy_notice_names_the_controller_bases_transfer_rights_and_the_ico(client):
    response = client.get("/privacy/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "The organisation running this casebridge installation runs this site" in page
    assert "Article 6(1)(b)" in page and "Article 6(1)(a)" in page and "Article 9(2)(a)" in page
    assert "names the hospital department and the country" in page
    assert "approved it" in page
    assert "NHS number" in page  # what is removed before sending
    assert "How long we keep it" in page
    assert "erase" in page and "withdraw" in page
    assert "ico.org.uk/make-a-complaint" in page
    assert "casebridge is open-source software" in page  # not capitalised as a sentence start
    assert "must review it with its data protection officer" in page  # still the template


def test_the_privacy_notice_names_the_operator_from_the_settings(client, settings):
    settings.CASEBRIDGE_OPERATOR_NAME = "Bridge Health Ltd"
    settings.CASEBRIDGE_OPERATOR_CONTACT = "privacy@bridge.example"
    page = client.get("/privacy/").content.decode()
    assert "Bridge Health Ltd runs this site" in page
    assert "privacy@bridge.example" in page
    assert "casebridge installation runs this site" not in page


def test_the_terms_say_not_an_emergency_not_a_diagnosis_and_not_a_replacement(client):
    response = client.get("/terms/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "It is not an emergency service" in page
    assert "call 999" in page
    assert "not a diagnosis or a treatment plan" in page
    assert "does not replace your own doctors in the UK" in page


def test_the_privacy_notice_and_terms_read_in_chinese(client):
    privacy = client.get("/privacy/", **ZH).content.decode()
    assert "隐私声明" in privacy and "运营此 casebridge 系统的机构" in privacy
    assert "第 9(2)(a) 条" in privacy and "ico.org.uk" in privacy
    terms = client.get("/terms/", **ZH).content.decode()
    assert "使用条款" in terms and "本服务不是急救服务" in terms


def test_the_legal_pages_need_no_account_and_take_no_post(client):
    assert client.get("/privacy/").status_code == 200
    assert client.post("/terms/").status_code == 405


# -- the enquiry's question page ----------------------------------------------------------


def test_the_enquiry_preselects_no_relationship_and_asks_for_one(client):
    _to_details(client)
    page = client.get("/enquiry/details/").content.decode()
    radios = re.findall(r'<input type="radio" name="relationship"[^>]*>', page)
    assert len(radios) == 3 and not any("checked" in radio for radio in radios)
    response = client.post("/enquiry/details/", _details(relationship=""))
    assert response.status_code == 200
    assert "Select whether you are the patient, a family member or a caregiver." in (
        response.content.decode()
    )
    assert not Enquiry.objects.exists()


def test_a_relative_sends_the_enquiry_as_a_family_member(client):
    _to_details(client)
    client.post("/enquiry/details/", _details())
    assert Enquiry.objects.get().relationship == "family"


def test_optional_fields_say_optional_and_required_ones_do_not(client):
    _to_details(client)
    page = client.get("/enquiry/details/").content.decode()
    assert "How things are now, and the current treatment (optional)" in page
    assert "What you hope a second opinion will help with (optional)" in page
    assert "Your questions for the specialists (optional)" in page
    assert "The diagnosis, in your own words (optional)" not in page
    assert "Your name (optional)" not in page


def test_every_required_field_says_what_to_do_in_its_error_with_a_summary_first(client):
    _to_details(client)
    empty = dict.fromkeys(_details(), "")
    page = client.post("/enquiry/details/", empty).content.decode()
    assert "<title>Error:" in page
    assert page.index("There is a problem") < page.index("Who are you?")
    for error in (
        "Select whether you are the patient, a family member or a caregiver.",
        "Enter the diagnosis in your own words, or what the doctors are looking for.",
        "Enter your name.",
        "Enter your e-mail address.",
        "Tick the box to agree that we may e-mail you",
    ):
        assert page.count(error) >= 2, error  # in the summary and by its field
    assert 'href="#id_relationship_0"' in page and 'href="#id_diagnosis"' in page
    assert "This field is required" not in page


def test_the_email_consent_says_it_is_needed_and_why(client):
    _to_details(client)
    page = client.get("/enquiry/details/").content.decode()
    assert "contact me about this enquiry by e-mail (needed)" in page
    assert "We need this to reply to you" in page
    page = client.post("/enquiry/details/", _details(contact_consent="")).content.decode()
    assert "without it we cannot reply to your enquiry" in page


def test_the_enquiry_questions_and_errors_read_in_chinese(client):
    client.post("/enquiry/", {"none_apply": "on"}, **ZH)
    page = client.get("/enquiry/details/", **ZH).content.decode()
    assert "（选填）" in page and "（必填）" in page
    page = client.post("/enquiry/details/", _details(full_name=""), **ZH).content.decode()
    assert "有问题需要修改" in page and "请填写您的姓名。" in page


def test_the_preferred_language_starts_as_the_page_language(client):
    client.post("/enquiry/", {"none_apply": "on"}, **ZH)
    form = client.get("/enquiry/details/", **ZH).context["form"]
    assert form["preferred_language"].value() == "zh"
    assert form["relationship"].value() is None


# -- the sent page --------------------------------------------------------------------------


def test_the_sent_page_says_nothing_is_emailed_until_the_account_exists(client):
    _to_details(client)
    client.post("/enquiry/details/", _details())
    page = client.get("/enquiry/sent/").content.decode()
    assert "Your enquiry has been sent" in page
    assert "We have not e-mailed you yet" in page
    assert "We will e-mail you a link; open it" not in page
    assert "li@example.org" in page
    assert "A coordinator will contact you within 2 working days" in page


def test_the_enquiry_details_step_no_longer_promises_a_link_before_anything_is_sent(client):
    _to_details(client)
    page = client.get("/enquiry/details/").content.decode()
    assert "We will e-mail you a link" not in page


# -- the red-flag page -----------------------------------------------------------------------


def test_the_red_flag_page_says_what_happens_next_and_by_when(client):
    _flagged(client)
    page = client.get("/enquiry/seek-care/").content.decode()
    assert "What happens next" in page
    assert "a coordinator will contact you within 1 working day" in page
    assert "Do not wait for our call" in page and 'href="tel:999"' in page
    assert "Ticked this by mistake?" in page


def test_the_red_flag_callback_follows_its_setting_in_hours(client, settings):
    settings.CASEBRIDGE_RED_FLAG_CALLBACK_HOURS = 4
    _flagged(client)
    page = client.get("/enquiry/seek-care/").content.decode()
    assert "within 4 hours" in page and "within 1 working day" not in page


def test_leaving_contact_details_gives_one_message_with_a_timeframe(client):
    _flagged(client)
    response = client.post(
        "/enquiry/seek-care/", {"full_name": "Li", "phone": "07700 900123"}, follow=True
    )
    page = response.content.decode()
    assert "Thank you. We have your contact details." in page
    assert page.count("will contact you") == 1
    assert "A coordinator will contact you within 1 working day to check that you are safe" in page
    assert "will get in touch" not in page


def test_a_mistaken_tick_is_recorded_for_the_coordinator_and_the_enquiry_stays_paused(client):
    enquiry = _flagged(client)
    response = client.post("/enquiry/seek-care/", {"action": "mistake"}, follow=True)
    page = response.content.decode()
    assert "Thank you. We have told the coordinator." in page
    assert "You told us this was a mistake" in page
    assert 'name="action" value="mistake"' not in page
    event = AuditEvent.objects.get(action=MISTAKEN_RED_FLAG)
    assert event.object_id == str(enquiry.pk)
    enquiry.refresh_from_db()
    assert enquiry.red_flag_state == Enquiry.RedFlag.FLAGGED
    assert client.get("/enquiry/details/")["Location"] == "/enquiry/seek-care/"


def test_reporting_a_mistake_twice_records_it_once(client):
    _flagged(client)
    client.post("/enquiry/seek-care/", {"action": "mistake"})
    client.post("/enquiry/seek-care/", {"action": "mistake"})
    assert AuditEvent.objects.filter(action=MISTAKEN_RED_FLAG).count() == 1


def test_the_coordinator_sees_that_the_tick_was_reported_as_a_mistake(client, people):
    enquiry = _flagged(client)
    client.post("/enquiry/seek-care/", {"action": "mistake"})
    client.force_login(people.coordinator)
    page = client.get(reverse("console:enquiry", args=[enquiry.pk])).content.decode()
    assert "that they ticked this by mistake" in page


def test_the_red_flag_page_reads_in_chinese_with_its_timeframe(client):
    client.post("/enquiry/", {"red_flags": ["chest_pain"]}, **ZH)
    page = client.get("/enquiry/seek-care/", **ZH).content.decode()
    assert "接下来会怎样" in page and "1 个工作日内" in page and "勾选错了？" in page
