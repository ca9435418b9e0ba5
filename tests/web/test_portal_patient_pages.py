"""What the patient reads: one row per fact value with all its sources, cancer
types in words, the request letter as a letter (and as plain text), a status
that says what comes next, the list of cases, sign-up with the enquiry's address,
tap-to-call links, and the console's correction times for people."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.cache import cache

from casebridge.web.cases.actions import do_correct_fact, do_give_consent, do_upload_document
from casebridge.web.cases.lib import engine_case
from casebridge.web.cases.models import Document
from casebridge.web.cases.tasks import process_document
from casebridge.web.cases.templatetags.dates import when
from casebridge.web.portal.facts import group_fact_rows, patient_value
from casebridge.web.portal.lib.outputs import request_letters
from casebridge.web.portal.templatetags.portal_tags import letter_html_text, letter_plain_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

PASSWORD = "a long enough test password"
REPORT = (
    "HISTOPATHOLOGY REPORT\n"
    "Date of report: {day}/03/2024\n"
    "Specimen: Left breast core biopsy.\n"
    "Diagnosis: Invasive ductal carcinoma (NST) of the left breast, grade 2.\n"
    "ER positive (Allred 8/8). PR positive. HER2 IHC 3+ (positive).\n"
)


@pytest.fixture(autouse=True)
def _portal(plain_http) -> None:
    cache.clear()  # allauth's rate limits


def _login(client, user) -> None:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


def _consent(case, owner) -> None:
    do_give_consent(case, acting_user=owner, kind="processing_art9", text_version="t1")


def _read(case, owner, *days: int) -> list[Document]:
    docs = []
    for day in days:
        text = REPORT.format(day=f"{day:02d}").encode()
        doc = do_upload_document(case, acting_user=owner, file_name=f"report-{day}.txt", data=text)
        assert process_document.call(doc.pk) == "processed"
        docs.append(doc)
    case.refresh_from_db()
    return docs


# -- facts ------------------------------------------------------------------------------


def test_the_same_fact_in_several_records_is_one_row_listing_every_source(client, people, case):
    _consent(case, people.owner)
    _read(case, people.owner, 11, 12, 13)
    engine = engine_case(case)
    assert sum(1 for f in engine.facts if f.kind == "laterality") >= 3
    _login(client, people.owner)
    page = client.get(f"/cases/{case.pseudonym}/facts/").content.decode()
    assert page.count(">Laterality</span></th>") == 1
    assert "3 sources" in page
    for day in (11, 12, 13):
        assert f"report-{day}.txt, page 1" in page


def test_grouping_keeps_values_contexts_and_corrections_apart_and_each_place_once():
    def row(kind, value, doc, context="asserted", corrected=False, page=1):
        source = SimpleNamespace(document_id=doc, page=page, file_name=doc) if doc else None
        return SimpleNamespace(
            id=f"{kind}-{value}-{doc}-{context}",
            kind=kind,
            label=kind.title(),
            value=value,
            context=context,
            context_text="",
            source=source,
            corrected=corrected,
        )

    rows = [
        row("grade", "grade 3", "a"),
        row("grade", "Grade 3", "b"),
        row("grade", "grade 3", "b"),  # the same place again
        row("grade", "grade 2", "c", corrected=True),
        row("grade", "grade 3", "d", context="possible"),
        row("laterality", "left", None),  # added by a person
    ]
    groups = group_fact_rows(rows)
    # laterality comes before grade in knowledge/fact_kinds.yaml; the grades stay together
    assert [(g.value, g.count, g.corrected, g.first_of_kind) for g in groups] == [
        ("left", 0, False, True),
        ("grade 3", 2, False, True),
        ("grade 2", 1, True, False),
        ("grade 3", 1, False, False),
    ]
    assert groups[0].by_person


def test_the_cancer_type_is_named_in_words_never_by_its_study_code(client, people, case):
    _consent(case, people.owner)
    _read(case, people.owner, 11)
    engine = engine_case(case)
    cancer = [f for f in engine.facts if f.kind == "cancer_type"]
    assert cancer and cancer[0].value == "BRCA"
    _login(client, people.owner)
    page = client.get(f"/cases/{case.pseudonym}/facts/").content.decode()
    facts = page.split('id="h-facts"', 1)[1].split("</section>", 1)[0]
    assert "Cancer type</span></th>" in facts and "Invasive breast carcinoma" in facts
    assert "BRCA" not in facts and "TCGA" not in facts  # never read as the BRCA gene
    assert patient_value("cancer_type", "LUAD (Lung adenocarcinoma)") == "Lung adenocarcinoma"
    assert patient_value("cancer_type", "XYZ") == "XYZ"  # unknown: shown as it is


# -- the request letter -------------------------------------------------------------------


def test_the_letter_markdown_is_escaped_then_rendered_as_simple_html():
    text = "[Your name]\n[Your address]\n\n**Subject <b>x</b>**\n\n- one\n- two & three\n"
    html = str(letter_html_text(text))
    assert "<p>[Your name]<br>[Your address]</p>" in html
    assert "<strong>Subject &lt;b&gt;x&lt;/b&gt;</strong>" in html
    assert "<ul><li>one</li><li>two &amp; three</li></ul>" in html
    assert "**" not in html
    assert letter_plain_text(text).splitlines()[3] == "Subject <b>x</b>"


def test_the_request_letter_page_shows_no_asterisks_and_downloads_as_text_or_markdown(
    client, people, case
):
    _consent(case, people.owner)
    _read(case, people.owner, 11)
    letter = request_letters(engine_case(case))[0]
    assert "**" in letter.text
    _login(client, people.owner)
    base = f"/cases/{case.pseudonym}/letters/{letter.slug}/"
    page = client.get(base).content.decode()
    shown = page.split('id="letter-text">', 1)[1].split("</div>", 1)[0]
    assert "**" not in shown and "<strong>Subject access request" in shown
    assert f'href="{base}download.txt"' in page and f'href="{base}download.md"' in page

    text = client.get(base + "download.txt")
    assert text["Content-Disposition"] == f'attachment; filename="{letter.slug}.txt"'
    assert text["Content-Type"].startswith("text/plain")
    assert "**" not in text.content.decode() and "Subject access request" in text.content.decode()
    markdown = client.get(base + "download.md")
    assert markdown.content.decode() == letter.text
    assert markdown["Cache-Control"].startswith("no-store")
    assert client.get(base + "download.pdf").status_code == 404
    assert client.get(f"/cases/{case.pseudonym}/letters/nothing/download.txt").status_code == 404


# -- where the case stands ----------------------------------------------------------------


def test_the_status_says_what_comes_next_at_each_step(client, people, case):
    _login(client, people.owner)
    home = f"/cases/{case.pseudonym}/"
    assert "Next: give your consent" in client.get(home).content.decode()
    _consent(case, people.owner)
    page = client.get(home).content.decode()
    assert "Next: add your records" in page
    assert "We have your enquiry and will look at it soon." not in page

    text = REPORT.format(day="11").encode()
    doc = do_upload_document(case, acting_user=people.owner, file_name="r.txt", data=text)
    assert "Reading your records (0 of 1)" in client.get(home).content.decode()
    process_document.call(doc.pk)
    page = client.get(home).content.decode()
    assert "A coordinator will review your case next" in page
    # the other pages say the same
    assert (
        "coordinator will review your case next" in client.get(home + "messages/").content.decode()
    )

    Document.objects.filter(pk=doc.pk).update(state=Document.State.NEEDS_ATTENTION)
    assert "Some records need attention" in client.get(home).content.decode()


def test_a_family_member_reads_that_the_patients_consent_is_awaited(client, people, case):
    _login(client, people.family)
    page = client.get(f"/cases/{case.pseudonym}/").content.decode()
    assert "Waiting for the patient&#x27;s consent" in page or "Waiting for the patient's" in page


def test_your_cases_shows_the_programme_the_status_and_the_next_step(client, people, case):
    _login(client, people.owner)
    page = client.get("/").content.decode()
    assert case.pseudonym in page and "Cancer" in page and "Next: give your consent" in page
    _login(client, people.family)
    assert "Waiting for the patient" in client.get("/").content.decode()


# -- sign-up with the enquiry's address -----------------------------------------------


def _enquiry(client, email: str) -> None:
    assert client.post("/enquiry/", {"none_apply": "on"}).status_code == 302
    response = client.post(
        "/enquiry/details/",
        {
            "relationship": "self",
            "programme": "oncology",
            "diagnosis": "Breast cancer found after a biopsy",
            "country": "GB",
            "preferred_language": "en",
            "full_name": "Mei Lin",
            "email": email,
            "contact_consent": "on",
        },
    )
    assert response["Location"] == "/enquiry/sent/"


def _sign_up(client, email: str):
    response = client.post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302, response.content[:2000]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[-1].body).group(0)
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def test_sign_up_is_prefilled_with_the_enquiry_address_and_explains_another_one(client):
    _enquiry(client, "mei@example.org")
    page = client.get("/accounts/signup/").content.decode()
    assert 'value="mei@example.org"' in page
    assert "not</strong> be linked" in page and "data-other-address" in page
    assert "Create my account" in page and "Email:" not in page and "Sign Up" not in page


def test_sign_up_without_an_enquiry_is_not_prefilled(client):
    page = client.get("/accounts/signup/").content.decode()
    assert 'name="email"' in page and 'value=""' in page and "data-other-address" not in page


def test_signed_in_with_another_address_the_home_page_says_the_enquiry_is_not_linked(client):
    _enquiry(client, "mei@example.org")
    client.post(_sign_up(client, "someone.else@example.org"))
    client.post("/accounts/login/", {"login": "someone.else@example.org", "password": PASSWORD})
    page = client.get("/").content.decode()
    assert "mei@example.org" in page and "not linked to this account" in page


def test_with_login_on_confirmation_the_patient_is_signed_in_with_the_case_open(client, settings):
    settings.ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True  # what settings.py should say
    _enquiry(client, "mei@example.org")
    confirm = _sign_up(client, "mei@example.org")
    page = client.get(confirm).content.decode()
    assert "Yes, confirm my address" in page
    response = client.post(confirm)
    assert response.status_code == 302
    home = client.get("/").content.decode()
    assert "Sign out" in home and "Next: give your consent" in home


def test_the_sign_in_page_uses_plain_words_and_real_buttons(client):
    page = client.get("/accounts/login/").content.decode()
    assert "E-mail address" in page and "Email:" not in page
    assert '<button type="submit" class="primary">Sign in</button>' in page


# -- small things ---------------------------------------------------------------------


def test_the_seek_care_page_has_tap_to_call_links_and_every_page_a_favicon(client):
    client.post("/enquiry/", {"red_flags": ["chest_pain"]})
    page = client.get("/enquiry/seek-care/").content.decode()
    assert 'href="tel:999"' in page and 'href="tel:111"' in page
    assert 'rel="icon"' in page and "favicon.svg" in page


def test_the_upload_form_has_large_file_inputs_and_clears_its_progress_list(client, people, case):
    _consent(case, people.owner)
    _login(client, people.owner)
    page = client.get(f"/cases/{case.pseudonym}/documents/").content.decode()
    assert 'class="file-label"' in page and "data-added-many" in page


def test_a_correction_time_is_written_for_people(client, people, case):
    _consent(case, people.owner)
    _read(case, people.owner, 11)
    fact = next(f for f in case.engine["facts"] if f["kind"] == "grade")
    do_correct_fact(
        case,
        acting_user=people.coordinator,
        reason="the report says so",
        expected_version=case.version,
        fact_id=fact["id"],
        value="grade 3",
    )
    _login(client, people.coordinator)
    page = client.get(f"/console/cases/{case.pseudonym}/?section=facts").content.decode()
    assert re.search(r"Corrected by carol on <time datetime=\"[^\"]+\">\d{1,2} \w{3} \d{4}, ", page)
    assert not re.search(r">\d{4}-\d\d-\d\dT\d\d:", page)


def test_when_formats_iso_times_and_leaves_anything_else_alone():
    assert when("2026-11-23T08:56:50+00:00") == "23 Nov 2026, 08:56"  # Europe/London, GMT
    assert when("2026-07-01T08:00:00+00:00") == "1 Jul 2026, 09:00"  # BST
    assert when("not a date") == "not a date"
    assert when(None) == ""


def test_the_chinese_overview_names_the_cancer_type_with_the_engines_chinese_terms(
    client, people, case
):
    _consent(case, people.owner)
    _read(case, people.owner, 11)
    _login(client, people.owner)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = client.get(f"/cases/{case.pseudonym}/facts/").content.decode()
    assert "癌症类型" in page and "乳腺浸润性癌" in page


def test_a_facts_source_reads_file_then_page_number_in_chinese(client, people, case):
    _consent(case, people.owner)
    _read(case, people.owner, 11)
    _login(client, people.owner)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = client.get(f"/cases/{case.pseudonym}/facts/").content.decode()
    assert "report-11.txt，第 1 页" in page
    assert "第几页" not in page


def test_every_source_link_of_the_fact_table_names_its_page_in_the_readers_language():
    from django.template.loader import render_to_string
    from django.utils import translation

    from casebridge.web.portal.lib.facts import FactLine, SourceLink

    def line(*pages: int) -> FactLine:
        return FactLine(
            kind="cancer_type",
            label="Cancer type",
            value="Breast carcinoma",
            context_text="",
            corrected=False,
            by_person=False,
            first_of_kind=True,
            sources=[SourceLink(f"/f/{p}/", "<b>scan</b>.pdf", p) for p in pages],
        )

    lines = [line(3), line(12, 40)]
    with translation.override("zh-hans"):
        chinese = render_to_string("portal/_fact_table.html", {"lines": lines})
    assert chinese.count("，第 ") == 3 and "第 3 页" in chinese and "第 40 页" in chinese
    assert "第几页" not in chinese and ", page " not in chinese
    assert "&lt;b&gt;scan&lt;/b&gt;.pdf" in chinese and "<b>scan" not in chinese  # escaped
    with translation.override("en-gb"):
        english = render_to_string("portal/_fact_table.html", {"lines": lines})
    assert "&lt;b&gt;scan&lt;/b&gt;.pdf, page 3" in english and ", page 40" in english
