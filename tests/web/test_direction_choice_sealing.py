"""cases 0013: a direction choice's department, names and disciplines, and a
consent's recipients, sealed with the case's key. Going back to 0012 opens
them into clear columns; coming forward seals them again, nothing lost. Real SQLite or PostgreSQL (CASEBRIDGE_DB=postgres)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from casebridge.web.cases.models import Consent, DirectionChoice

BEFORE = [("cases", "0012_direction_choice")]
MARKER = "fuscc-breast-surgery"


def _stored(table: str) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed names
        rows = cursor.fetchall()
    return b"|".join(
        bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode()
        for row in rows
        for v in row
    )


@pytest.mark.django_db(transaction=True)
def test_going_back_opens_choices_and_consents_and_coming_forward_seals_them_again(people, case):
    # made with today's models (a choice's explanation is sealed since 0012, so
    # 0012's own model cannot write one without the case's key)
    choice = DirectionChoice(case=case, chosen_by=people.coordinator)
    choice.direction_id, choice.disciplines = MARKER, ["pathology"]
    choice.names = {"hospital": {"en": "Fudan University Shanghai Cancer Center"}}
    choice.save()
    Consent.objects.create(
        case=case,
        kind="transfer_abroad",
        text_version="1",
        country="CN",
        recipients=[MARKER],
        given_by=people.owner,
    )
    assert MARKER.encode() not in _stored("cases_directionchoice")
    assert MARKER.encode() not in _stored("cases_consent")
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        MigrationExecutor(connection).migrate(BEFORE)
        assert MARKER.encode() in _stored("cases_directionchoice")
        assert MARKER.encode() in _stored("cases_consent")
        apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        old = apps.get_model("cases", "Consent").objects.get(case_id=case.pk)
        assert old.recipients == [MARKER]

        MigrationExecutor(connection).migrate(latest)
        assert MARKER.encode() not in _stored("cases_directionchoice")
        assert MARKER.encode() not in _stored("cases_consent")
    finally:
        MigrationExecutor(connection).migrate(latest)
    again = DirectionChoice.objects.get(case=case)
    assert (again.direction_id, again.disciplines) == (MARKER, ["pathology"])
    assert again.names["hospital"]["en"] == "Fudan University Shanghai Cancer Center"
    assert Consent.objects.get(case=case).recipients == [MARKER]
