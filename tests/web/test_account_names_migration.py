"""cases 0026: an account linked to its enquiry before the enquiry's name became
the account's takes that name, so the account is the one source of a patient's
name. The accounts and enquiries are made with 0025's historical models (the
enquiry's words sealed by hand, as a historical model has no key of its own),
then the migration runs. Real SQLite or PostgreSQL (CASEBRIDGE_DB=postgres)."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from casebridge.web.accounts.models import User
from casebridge.web.cases import datakeys, sealed

BEFORE = [("cases", "0025_seal_enquiry_email_and_reasons")]
AFTER = [("cases", "0026_account_names_from_enquiries")]


def _account(apps, email: str, name: str = "") -> int:
    model = apps.get_model("accounts", "User")
    return model.objects.create(email=email, full_name=name, password="!").pk


def _enquiry(apps, user_id: int | None, name: str, days_ago: int) -> None:
    """An enquiry as 0025 stored it: every sealed field sealed with its own key."""
    model = apps.get_model("cases", "Enquiry")
    ref = secrets.token_hex(16)
    wrapped = datakeys.new_wrapped_key(datakeys.enquiry_key_aad(ref))
    key = datakeys.unwrap(wrapped, datakeys.enquiry_key_aad(ref))
    words = {}
    for field in model._meta.fields:
        if isinstance(field, sealed.SealedField):
            plain = name if field.name == "full_name" else field.empty()
            aad = sealed.field_aad(model._meta.db_table, field.column, ref)
            words[field.attname] = sealed.seal(key, aad, field.encode(plain))
    row = model.objects.create(user_id=user_id, key_ref=ref, wrapped_key=wrapped, **words)
    when = timezone.now() - dt.timedelta(days=days_ago)
    model.objects.filter(pk=row.pk).update(created_at=when)


@pytest.fixture
def before():
    """The database at 0025, its historical models; back at the latest afterwards."""
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    MigrationExecutor(connection).migrate(BEFORE)
    try:
        yield MigrationExecutor(connection).loader.project_state(BEFORE).apps
    finally:
        MigrationExecutor(connection).migrate(latest)


def _forward() -> None:
    MigrationExecutor(connection).migrate(AFTER)


@pytest.mark.django_db(transaction=True)
def test_an_account_without_a_name_takes_the_name_its_enquiry_gave(before):
    wang = _account(before, "wang.xiuying@example.com")
    _enquiry(before, wang, "王秀英", days_ago=3)
    _forward()
    assert User.objects.get(pk=wang).full_name == "王秀英"


@pytest.mark.django_db(transaction=True)
def test_an_account_with_a_name_keeps_it(before):
    ada = _account(before, "ada@example.com", "Ada Lovelace")
    _enquiry(before, ada, "Augusta Ada King", days_ago=3)
    _forward()
    assert User.objects.get(pk=ada).full_name == "Ada Lovelace"


@pytest.mark.django_db(transaction=True)
def test_an_account_with_two_enquiries_takes_the_latests_name(before):
    li = _account(before, "li@example.com", "  ")  # blank: spaces are no name
    _enquiry(before, li, "Li Na (old)", days_ago=30)
    _enquiry(before, li, "Li Na", days_ago=2)
    _forward()
    assert User.objects.get(pk=li).full_name == "Li Na"


@pytest.mark.django_db(transaction=True)
def test_an_enquiry_that_gave_no_name_leaves_the_one_before_it(before):
    """A red-flagged enquiry may have no name (only a phone number): the latest
    enquiry that names the person names the account."""
    chen = _account(before, "chen@example.com")
    _enquiry(before, chen, "Chen Jing", days_ago=10)
    _enquiry(before, chen, "", days_ago=1)
    _forward()
    assert User.objects.get(pk=chen).full_name == "Chen Jing"


@pytest.mark.django_db(transaction=True)
def test_an_account_no_enquiry_names_is_still_named_by_its_address(before):
    nobody = _account(before, "nobody@example.com")
    other = _account(before, "other@example.com")
    _enquiry(before, other, "Someone Else", days_ago=1)
    _enquiry(before, None, "Not Linked", days_ago=1)  # never linked to an account
    _forward()
    user = User.objects.get(pk=nobody)
    assert user.full_name == "" and user.display_name == "nobody@example.com"
    assert User.objects.get(pk=other).full_name == "Someone Else"


@pytest.mark.django_db(transaction=True)
def test_going_back_keeps_the_names(before):
    zhao = _account(before, "zhao@example.com")
    _enquiry(before, zhao, "Zhao Lei", days_ago=1)
    _forward()
    MigrationExecutor(connection).migrate(BEFORE)
    assert User.objects.get(pk=zhao).full_name == "Zhao Lei"
