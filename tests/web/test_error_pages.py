"""The error pages (templates/404.html, 403.html, 400.html, 500.html): in the
site's layout and the reader's language, in plain words, with what to do next;
a 404 never says whether the case exists."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.utils import translation
from django.views import defaults

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


def _login(client, user) -> None:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


def _chinese(client, user) -> None:
    """Signed in, the pages follow the account's language; the cookie for the rest."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    user.preferred_language = "zh"
    user.save(update_fields=["preferred_language"])


def _without_tokens(page: str, *paths: str) -> str:
    """The page less what differs by request: the CSRF token and the address asked for."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    for path in paths:
        page = page.replace(path, "")
    return page


def test_an_outsider_opening_another_persons_case_gets_the_sites_404_page_in_english(
    client, people, case
):
    _login(client, people.outsider)
    response = client.get(f"/cases/{case.pseudonym}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'lang="en-GB"' in page and "casebridge/site.css" in page
    assert "We cannot find this page" in page and "Go to your cases" in page
    assert 'class="site-footer"' in page  # the layout's emergency numbers
    assert "Not Found" not in page and "No such case" not in page


def test_a_page_a_relative_may_not_see_answers_in_the_sites_layout_in_their_language(
    client, people, case
):
    _login(client, people.outsider)
    _chinese(client, people.outsider)
    response = client.get(f"/cases/{case.pseudonym}/messages/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'lang="zh-Hans"' in page and "casebridge/site.css" in page
    assert "我们找不到这个页面" in page and "前往您的病例" in page
    assert "We cannot find this page" not in page


def test_the_404_page_does_not_say_whether_the_case_exists(client, people, case):
    _login(client, people.outsider)
    someone_elses = f"/cases/{case.pseudonym}/"
    never_was = "/cases/CB-00000000/"
    assert never_was != someone_elses
    first = client.get(someone_elses)
    second = client.get(never_was)
    assert first.status_code == second.status_code == 404
    assert _without_tokens(first.content.decode(), someone_elses) == _without_tokens(
        second.content.decode(), never_was
    )
    assert case.pseudonym not in first.content.decode().replace(someone_elses, "")


def test_a_family_member_whose_access_was_removed_gets_the_404_page(client, people, case):
    from casebridge.web.cases.models import CaseMember

    CaseMember.objects.filter(case=case, user=people.family).delete()
    _login(client, people.family)
    response = client.get(f"/cases/{case.pseudonym}/documents/")
    assert response.status_code == 404
    assert "We cannot find this page" in response.content.decode()


def test_a_page_that_never_existed_offers_sign_in_to_a_visitor_who_is_not_signed_in(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "We cannot find this page" in page
    assert "Go to the home page" in page and 'href="/accounts/login/"' in page


def test_the_403_page_says_you_do_not_have_access_in_the_sites_layout(people):
    request = RequestFactory().get("/somewhere/")
    request.user = people.family
    for language, words in (
        ("en-gb", "You do not have access to this page"),
        ("zh-hans", "您无权查看此页面"),
    ):
        with translation.override(language):
            response = defaults.permission_denied(request, PermissionDenied())
        page = response.content.decode()
        assert response.status_code == 403
        assert words in page and "casebridge/site.css" in page and 'class="site-footer"' in page


def test_a_request_for_a_host_we_do_not_serve_gets_the_400_page(client):
    response = client.get("/", HTTP_HOST="elsewhere.example")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Sorry, something went wrong with this request" in page
    assert "casebridge/site.css" in page


def test_the_500_page_needs_no_request_and_no_database_and_speaks_both_languages(
    django_assert_num_queries,
):
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        english = defaults.server_error(request)
        with translation.override("zh-hans"):
            chinese = defaults.server_error(request)
    assert english.status_code == chinese.status_code == 500
    assert "Sorry, there is a problem with the service" in english.content.decode()
    page = chinese.content.decode()
    assert "抱歉，服务出现了问题" in page and 'lang="zh-Hans"' in page
    assert "casebridge/site.css" in page and 'href="tel:999"' in page


def test_the_gate_still_answers_404_for_someone_elses_case(people, case):
    from django.http import Http404

    from casebridge.web.cases.access import get_case_for_user_or_404

    with pytest.raises(Http404):
        get_case_for_user_or_404(people.outsider, case.pseudonym)
    with pytest.raises(Http404):
        get_case_for_user_or_404(people.outsider, "CB-00000000")


def test_a_form_sent_after_its_page_expired_says_so_in_plain_words(people, case):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    _login(client, people.owner)
    _chinese(client, people.owner)
    response = client.post(f"/cases/{case.pseudonym}/messages/", {"body": "hello"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "此页面已过期" in page and "casebridge/site.css" in page and 'lang="zh-Hans"' in page
    assert "CSRF" not in page
