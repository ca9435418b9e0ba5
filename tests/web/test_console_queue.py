from __future__ import annotations

import pytest
from django.urls import reverse

from casebridge.web.cases.actions import do_assign, do_create_case
from casebridge.web.cases.models import AuditEvent, Enquiry
from casebridge.web.console.actions import do_clear_red_flag
from casebridge.web.console.lib_queue import QueueFilters, queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(people, case):
    """Alice's routine oncology case (unassigned) and an urgent eye case assigned
    to Carol, plus an ordinary enquiry and a red-flagged one."""
    urgent = do_create_case(
        acting_user=people.coordinator, owner=people.outsider, programme="eye", urgency="urgent"
    )
    urgent = do_assign(
        urgent,
        acting_user=people.coordinator,
        coordinator=people.coordinator,
        expected_version=urgent.version,
    )
    calm = Enquiry.objects.create(full_name="Calm Person", email="calm@example.org")
    flagged = Enquiry.objects.create(
        full_name="Flagged Person",
        email="flagged@example.org",
        programme="rare-disease",
        red_flag_state=Enquiry.RedFlag.FLAGGED,
    )
    return {"routine": case, "urgent": urgent, "calm": calm, "flagged": flagged}


def _refs(filters: QueueFilters, user) -> list[str]:
    return [row.ref for row in queue(filters, user)]


def test_the_queue_lists_open_cases_and_enquiries_with_red_flags_first(people, cases):
    refs = _refs(QueueFilters(), people.coordinator)
    assert refs[0] == f"Enquiry {cases['flagged'].pk}"
    assert set(refs) == {
        cases["routine"].pseudonym,
        cases["urgent"].pseudonym,
        f"Enquiry {cases['calm'].pk}",
        f"Enquiry {cases['flagged'].pk}",
    }


def test_mine_shows_only_the_cases_assigned_to_me(people, cases):
    assert _refs(QueueFilters(scope="mine"), people.coordinator) == [cases["urgent"].pseudonym]
    assert _refs(QueueFilters(scope="mine"), people.admin) == []


def test_unassigned_shows_cases_without_a_coordinator_and_enquiries(people, cases):
    refs = _refs(QueueFilters(scope="unassigned"), people.coordinator)
    assert cases["routine"].pseudonym in refs and cases["urgent"].pseudonym not in refs


def test_programme_urgency_status_and_kind_filters_narrow_the_queue(people, cases):
    coordinator = people.coordinator
    assert _refs(QueueFilters(programme="eye"), coordinator) == [cases["urgent"].pseudonym]
    assert _refs(QueueFilters(urgency="urgent"), coordinator) == [cases["urgent"].pseudonym]
    assert _refs(QueueFilters(kind="enquiries", programme="rare-disease"), coordinator) == [
        f"Enquiry {cases['flagged'].pk}"
    ]
    assert _refs(QueueFilters(kind="cases", status="triage"), coordinator) == []
    assert len(_refs(QueueFilters(kind="cases", status="enquiry"), coordinator)) == 2


def test_sorting_by_urgency_puts_the_urgent_case_before_the_routine_one(people, cases):
    refs = _refs(QueueFilters(kind="cases", sort="urgency"), people.coordinator)
    assert refs == [cases["urgent"].pseudonym, cases["routine"].pseudonym]


def test_unknown_filter_values_fall_back_to_the_defaults():
    filters = QueueFilters.from_query({"status": "nonsense", "sort": "'; drop", "scope": "x"})
    assert filters == QueueFilters()


def test_the_queue_page_filters_from_the_query_string(client, people, cases):
    client.force_login(people.coordinator)
    response = client.get(reverse("console:queue"), {"scope": "mine"}, secure=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert cases["urgent"].pseudonym in page and cases["routine"].pseudonym not in page
    assert "Red flags: speak to these people first" in page  # always on top


def test_a_coordinator_clears_a_red_flag_with_a_note_and_it_is_audited(client, people, cases):
    flagged = cases["flagged"]
    client.force_login(people.coordinator)
    url = reverse("console:clear_red_flag", args=[flagged.pk])
    response = client.post(url, {"note": "Spoke on the phone; seen at A&E today."}, secure=True)
    assert response.status_code == 302
    flagged.refresh_from_db()
    assert flagged.red_flag_state == Enquiry.RedFlag.CLEARED
    event = AuditEvent.objects.get(action="enquiry.red_flag_cleared")
    assert event.actor == people.coordinator and "A&E" in event.after["note"]
    assert event.before == {"red_flag_state": "flagged"}


def test_clearing_a_red_flag_without_a_note_is_refused(client, people, cases):
    client.force_login(people.coordinator)
    url = reverse("console:clear_red_flag", args=[cases["flagged"].pk])
    response = client.post(url, {"note": "  "}, secure=True)
    assert response.status_code == 400
    cases["flagged"].refresh_from_db()
    assert cases["flagged"].red_flag_state == Enquiry.RedFlag.FLAGGED


def test_clearing_a_red_flag_twice_says_it_is_already_cleared(people, cases):
    from casebridge.web.cases.errors import ActionError

    do_clear_red_flag(cases["flagged"], acting_user=people.coordinator, note="Called.")
    with pytest.raises(ActionError, match="no red flag"):
        do_clear_red_flag(cases["flagged"], acting_user=people.admin, note="Called too.")


def test_reading_an_enquiry_is_audited(client, people, cases):
    client.force_login(people.admin)
    client.get(reverse("console:enquiry", args=[cases["calm"].pk]), secure=True)
    assert AuditEvent.objects.filter(action="enquiry.read", actor=people.admin).count() == 1


def test_the_queue_s_filters_and_rows_read_in_chinese(client, people, cases):
    people.coordinator.preferred_language = "zh"  # signed in, the pages follow the account
    people.coordinator.save()
    client.force_login(people.coordinator)
    response = client.get(reverse("console:queue"), secure=True)
    page = response.content.decode()
    assert response.status_code == 200
    for words in ("病例和咨询", "等待最久", "指派给我的", "所有未结", "咨询：电子邮件已验证"):
        assert words in page, words  # the filters' labels
    assert "肿瘤" in page and "常规" in page  # a row's programme and urgency
    assert "Waiting longest" not in page and "Cases and enquiries" not in page


def test_waiting_times_read_in_the_reader_s_language():
    import datetime as dt

    from django.utils import translation

    from casebridge.web.console.lib_queue import waiting_words

    with translation.override("en-gb"):
        assert waiting_words(dt.timedelta(hours=50)) == "2 days"
        assert waiting_words(dt.timedelta(minutes=5)) == "5 min"
    with translation.override("zh-hans"):
        assert waiting_words(dt.timedelta(hours=50)) == "2 天"
        assert waiting_words(dt.timedelta(hours=3)) == "3 小时"
