"""Every reviewer-workspace URL × every role, generated like the console's and
the portal's matrices: the reviewers on the case's team get in; every other
signed-in person — the patient, their family, staff, a colleague of the same
department not on the team, a reviewer of another department — gets 404
(never 403); anonymous visitors the login page. A reviewer off the team still
has their own (empty) list of cases."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, reverse

from casebridge.web.review import urls as review_urls
from tests.web.reviewing import reviewer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

# URL name -> method, and who gets past the gate. A URL added to review/urls.py
# and not here fails test_the_matrix_covers_every_review_url.
METHODS = {
    "home": "get",
    "case": "get",
    "file": "get",
    "viewer": "get",
    "slide": "get",
    "my_opinion": "post",
    "team_opinion": "post",
    "sign": "post",
}
ON_TEAM = {"lead", "member"}
ROLES = ("owner", "family", "coordinator", "admin", "lead", "member", "colleague", "stranger")


@pytest.fixture
def world(people, team):
    case, best, _assignment, lead, member, colleague = team
    from casebridge.web.cases.matching import ranking

    other = next(d for d in ranking(case)["matches"] if d["id"] != best)["id"]
    people.lead, people.member, people.colleague = lead, member, colleague
    people.stranger = reviewer(people, "x@elsewhere.test", other, ["pathology"])
    kwargs = {"ref": case.pseudonym, "number": 1, "position": 0, "row": 999999, "path": "x"}
    return people, kwargs


def _url(name: str, kwargs: dict) -> str:
    pattern = next(p for p in review_urls.urlpatterns if p.name == name)
    wanted = {k: v for k, v in kwargs.items() if k in pattern.pattern.converters}
    return reverse(f"review:{name}", kwargs=wanted)


def test_the_matrix_covers_every_review_url():
    names = {p.name for p in review_urls.urlpatterns if isinstance(p, URLPattern)}
    assert names == set(METHODS)


@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
@pytest.mark.parametrize("name", sorted(METHODS))
def test_only_the_cases_reviewers_get_past_the_gate(client, world, role, name):
    people, kwargs = world
    if role != "anonymous":
        client.force_login(getattr(people, role))
    response = getattr(client, METHODS[name])(_url(name, kwargs))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    elif role in ON_TEAM:
        # in: a page, or an empty form refused as input; the viewer's unknown
        # series row and a non-lead's signature are the object's 404 / 400
        assert response.status_code in {200, 302, 400, 404}, response.status_code
        if name in ("home", "case", "file"):
            assert response.status_code == 200
    elif name == "home" and role in ("colleague", "stranger"):
        # every reviewer has their own list: this case is not on theirs
        assert response.status_code == 200 and kwargs["ref"] not in response.text
    else:
        assert response.status_code == 404
