"""One source for a patient's name: the account's full_name.

Since do_link_enquiry gives a new account its enquiry's name ("Your name"), the
account is where the portal (an invitation, a relative's pages) and the console
(the queue, the case page, the messages) read who the patient is. Accounts
linked to an enquiry before that have an empty full_name, and two fallbacks
read their enquiry's name instead, each a query of its own. This copies the
name once, so that the fallbacks can go: each account whose full_name is blank
takes the name of its latest linked enquiry (Enquiry.user) that gives one.
An account with a name keeps it; one with no enquiry naming it keeps none (it
is still named by its e-mail address, display_name).

The enquiry's name is sealed with the enquiry's own key (0008), so it is opened
here as 0008 does, through the enquiry's wrapped key; historical models have no
methods. No raw SQL (SQLite and PostgreSQL alike); rows are read with
iterator(). Going back leaves the names: an account that has its name is what
the current code writes too, so there is nothing to undo (RunPython.noop)."""

import importlib
from typing import Any

from django.conf import settings
from django.db import migrations

from casebridge.web.cases import sealed

keys = importlib.import_module("casebridge.web.cases.migrations.0008_seal_health_fields")

NAME_LIMIT = 200  # accounts.User.full_name's max_length
BATCH = 500


def _opened_name(table: str, key_ref: str, wrapped: bytes, stored: bytes | None) -> str:
    if not stored:
        return ""
    holder = keys._Holder("enquiry", key_ref, wrapped)
    aad = sealed.field_aad(table, "full_name", key_ref)
    return sealed.open_sealed(holder.data_key(), aad, bytes(stored)).decode("utf-8").strip()


def name_accounts_from_enquiries(apps: Any, schema_editor: Any) -> None:
    db = schema_editor.connection.alias
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Enquiry = apps.get_model("cases", "Enquiry")
    table = Enquiry._meta.db_table
    nameless = {
        pk
        for pk, name in User.objects.using(db).values_list("pk", "full_name").iterator()
        if not (name or "").strip()
    }
    if not nameless:
        return
    named: dict[int, str] = {}
    # each account's enquiries newest first: the first that gives a name is its name
    rows = (
        Enquiry.objects.using(db)
        .filter(user__isnull=False)
        .order_by("user_id", "-created_at", "-pk")
        .values_list("user_id", "key_ref", "wrapped_key", "full_name")
    )
    for user_id, key_ref, wrapped, stored in rows.iterator():
        if user_id not in nameless or user_id in named:
            continue
        name = _opened_name(table, key_ref, wrapped, stored)
        if name:
            named[user_id] = name[:NAME_LIMIT]
    batch = []
    for user_id, name in named.items():
        batch.append(User(pk=user_id, full_name=name))
        if len(batch) == BATCH:
            User.objects.using(db).bulk_update(batch, ["full_name"])
            batch = []
    if batch:
        User.objects.using(db).bulk_update(batch, ["full_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0025_seal_enquiry_email_and_reasons"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(name_accounts_from_enquiries, migrations.RunPython.noop),
    ]
