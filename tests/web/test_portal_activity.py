"""Who opened my case: the patient's view of the audit log, grouped for reading
on a phone. Other people first (coordinators, reviewers by role and
department), then the patient's and their family's own openings, one line a
person, a day and a thing done. Display only: every audit row is still there."""

from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casebridge.web.cases import audit, matching
from casebridge.web.cases.models import AuditEvent
from casebridge.web.portal.lib.activity import activity
from tests.web.reviewing import reviewer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

LONDON = ZoneInfo("Europe/London")
DEPARTMENT = "fuscc-breast-surgery"


def _login(client, user) -> None:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


@contextmanager
def _at(moment: dt.datetime):
    """Audit rows written now carry `moment` (audit.record stamps timezone.now())."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _opens(user, case, day: int, *times: str) -> None:
    for hhmm in times:
        hour, minute = map(int, hhmm.split(":"))
        with _at(dt.datetime(2026, 12, day, hour, minute, tzinfo=LONDON)):
            audit.record(user, case, "case.read")


def _page(client, case) -> str:
    response = client.get(f"/cases/{case.pseudonym}/activity/")
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def _section(page: str, heading: str, next_heading: str | None = None) -> str:
    start = page.index(f"<h2>{heading}</h2>")
    end = page.index(f"<h2>{next_heading}</h2>", start) if next_heading else len(page)
    return page[start:end]


def test_the_patients_own_openings_are_one_line_a_day_with_the_count_and_the_last_time(
    client, people, case
):
    _opens(people.owner, case, 7, *[f"13:{m:02d}" for m in range(0, 55, 5)], "14:02")
    _opens(people.owner, case, 6, "09:00", "09:30", "10:15")
    _login(client, people.owner)
    page = _page(client, case)
    own = _section(page, "You and your family")
    assert "<strong>You</strong> — opened the case 12 times on 7 Dec 2026, last at 14:02" in own
    assert "<strong>You</strong> — opened the case 3 times on 6 Dec 2026, last at 10:15" in own
    assert own.index("7 Dec 2026") < own.index("6 Dec 2026")  # the most recent day first
    assert own.count("opened the case") == 2  # two lines, not fifteen rows
    # each time is still there, behind "See each time"
    assert "See each time" in own and "13:00, " not in own and "14:02, 13:50, 13:45" in own


def test_a_relatives_openings_are_grouped_under_their_name_and_role(client, people, case):
    _opens(people.family, case, 7, "10:00", "10:01")
    _opens(people.owner, case, 7, "11:00")
    _login(client, people.owner)
    own = _section(_page(client, case), "You and your family")
    assert "<strong>You</strong> — opened the case on 7 Dec 2026 at 11:00" in own
    assert (
        "<strong>bob (Family member)</strong> — opened the case 2 times on "
        "7 Dec 2026, last at 10:01"
    ) in own
    assert own.index("<strong>You</strong>") < own.index("<strong>bob")  # newest first


def test_other_people_come_first_with_their_role_and_the_reviewers_department(client, people, case):
    rui = reviewer(people, "li@hospital.test", DEPARTMENT, ["pathology"])
    _opens(rui, case, 5, "08:00", "08:20")
    _opens(people.coordinator, case, 6, "15:00")
    _opens(people.owner, case, 7, "09:00", "09:05")  # the most recent of all, yet after them
    _login(client, people.owner)
    page = _page(client, case)
    others = _section(page, "Other people", "You and your family")
    department = matching.recipient_names("en")[DEPARTMENT]
    assert department
    assert "<strong>carol (Coordinator)</strong> — opened the case on 6 Dec 2026 at 15:00" in others
    assert (
        f"<strong>Li (Clinical reviewer, {department})</strong> — opened the case 2 times "
        "on 5 Dec 2026, last at 08:20"
    ) in others
    assert others.index("carol") < others.index("Li (")  # the most recent first
    assert "<strong>You</strong>" not in others
    assert page.index("<h2>Other people</h2>") < page.index("<h2>You and your family</h2>")


def test_the_same_person_doing_different_things_on_one_day_is_one_line_a_thing(people, case):
    _opens(people.coordinator, case, 7, "10:00", "10:05")
    with _at(dt.datetime(2026, 12, 7, 10, 10, tzinfo=LONDON)):
        audit.record(people.coordinator, case, "case.status_changed")
    log = activity(case, people.owner, "en")
    carol = [g for g in log.others if g.name == "carol"]
    assert [(str(g.what), g.count) for g in carol] == [
        ("changed the status", 1),
        ("opened the case", 2),
    ]


def test_grouping_hides_no_audit_row_and_writes_none(client, people, case):
    _opens(people.owner, case, 7, *[f"10:{m:02d}" for m in range(58)])
    _opens(people.coordinator, case, 7, "12:00")
    before = AuditEvent.objects.count()
    log = activity(case, people.owner, "en")
    assert log.rows == AuditEvent.objects.filter(case=case).count()
    assert sum(g.count for g in log.own_side) >= 58
    assert AuditEvent.objects.count() == before  # reading the log writes nothing
    assert (
        AuditEvent.objects.filter(case=case, action="case.read", actor=people.owner).count() == 58
    )


def test_what_casebridge_did_by_itself_is_listed_last(client, people, case):
    with _at(dt.datetime(2026, 12, 8, 9, 0, tzinfo=LONDON)):
        audit.record(None, case, "document.processed")
    _opens(people.coordinator, case, 7, "10:00")
    _login(client, people.owner)
    page = _page(client, case)
    automatic = _section(page, "What casebridge did automatically")
    assert (
        "casebridge (automatic)</strong> — finished reading a document on 8 Dec 2026" in automatic
    )
    assert page.index("<h2>You and your family</h2>") < page.index(
        "<h2>What casebridge did automatically</h2>"
    )


def test_a_case_no_one_else_opened_says_so(client, people, case):
    _login(client, people.owner)
    others = _section(_page(client, case), "Other people", "You and your family")
    assert "No one else has opened your case yet." in others


def test_the_log_is_a_list_not_a_wide_table_for_a_phone(client, people, case):
    _opens(people.owner, case, 7, "10:00")
    _login(client, people.owner)
    page = _page(client, case)
    main = page[page.index('<main id="main"') : page.index("</main>")]
    assert "<table" not in main and '<ul class="activity">' in main


def test_the_chinese_log_reads_day_then_what_then_how_many_times(client, people, case):
    _opens(people.owner, case, 7, "13:00", "14:02")
    _opens(people.coordinator, case, 7, "15:30")
    _login(client, people.owner)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = _page(client, case)
    assert "<h2>其他人</h2>" in page and "<h2>您和您的家人</h2>" in page
    assert "<strong>您</strong> — 2026年12月7日打开了病例 2 次，最近一次在 14:02" in page
    assert "<strong>carol（协调员）</strong> — 2026年12月7日 15:30 打开了病例" in page
    assert "times on" not in page


def test_the_activity_pages_queries_do_not_grow_with_the_rows(client, people, case):
    rui = reviewer(people, "li@hospital.test", DEPARTMENT, ["pathology"])
    _opens(people.owner, case, 7, "09:00")
    _opens(rui, case, 7, "09:10")
    _login(client, people.owner)
    url = f"/cases/{case.pseudonym}/activity/"
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    for day in (3, 4, 5, 6):
        _opens(people.owner, case, day, *[f"10:{m:02d}" for m in range(15)])
        _opens(people.family, case, day, "11:00", "11:30")
        _opens(people.coordinator, case, day, "12:00")
        _opens(rui, case, day, "13:00", "13:10")
    assert count() == few


def test_a_coordinators_opening_stays_on_the_page_after_hundreds_of_the_patients_own(
    client, people, case
):
    _opens(people.coordinator, case, 1, "09:00")
    for day in range(2, 8):
        _opens(people.owner, case, day, *[f"{h:02d}:{m:02d}" for h in (10, 11) for m in range(50)])
    _login(client, people.owner)
    page = _page(client, case)
    others = _section(page, "Other people", "You and your family")
    assert "<strong>carol (Coordinator)</strong> — opened the case on 1 Dec 2026 at 09:00" in others
    assert "opened the case 100 times on 2 Dec 2026, last at 11:49" in page
    assert activity(case, people.owner, "en").rows == AuditEvent.objects.filter(case=case).count()
