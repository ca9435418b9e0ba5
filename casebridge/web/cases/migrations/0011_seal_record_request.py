"""A record request's free text sealed with its case's key: the title ("CT
report of the chest, Leeds, May"), the detail and the staff's close note are
health data. As 0008 and 0009: each sealed column is filled next to the clear
one and takes its place; reversible (going back opens them into clear columns).

The associated data names the table console_recordrequest, the one the rows
live in (the model kept its table when it moved to cases)."""

import importlib
from typing import Any

from django.db import migrations, models

import casebridge.web.cases.sealed
from casebridge.web.cases import sealed

previous = importlib.import_module("casebridge.web.cases.migrations.0008_seal_health_fields")

NAMES = ("title", "detail", "close_note")
HELP = {
    "title": "What is asked for, in plain words.",
    "detail": "Why it is needed, who usually holds it.",
    "close_note": "Staff only: why it was closed (never shown to the patient).",
}


# One UPDATE per row for its three columns, not one per column as 0008's
# sealer does: on PostgreSQL a second update of a row this transaction already
# wrote queues its (deferred) foreign-key checks, and the ALTER TABLE that
# follows is then refused ("pending trigger events").


def _rows(apps: Any, schema_editor: Any, columns: list[str]) -> Any:
    db = schema_editor.connection.alias
    model = apps.get_model("cases", "RecordRequest")
    cases, _enquiries = previous._holders(apps, db)
    table = model._meta.db_table
    for row in model.objects.using(db).values("pk", "case_id", *columns).iterator():
        holder = cases[row["case_id"]]

        def aad(name: str, holder: Any = holder) -> bytes:
            return sealed.field_aad(table, name, holder.sealing_identity())

        yield model.objects.using(db).filter(pk=row["pk"]), row, holder.data_key(), aad


def seal_rows(apps: Any, schema_editor: Any) -> None:
    for one, row, key, aad in _rows(apps, schema_editor, list(NAMES)):
        one.update(
            **{
                f"{name}_sealed": sealed.seal(key, aad(name), (row[name] or "").encode())
                for name in NAMES
            }
        )


def open_rows(apps: Any, schema_editor: Any) -> None:
    for one, row, key, aad in _rows(apps, schema_editor, [f"{n}_sealed" for n in NAMES]):
        one.update(
            **{
                name: sealed.open_sealed(key, aad(name), bytes(row[f"{name}_sealed"])).decode()
                for name in NAMES
                if row[f"{name}_sealed"] is not None
            }
        )


def _sealed(name: str, *, final: bool) -> casebridge.web.cases.sealed.SealedTextField:
    if not final:
        return casebridge.web.cases.sealed.SealedTextField(holder="case", null=True)
    return casebridge.web.cases.sealed.SealedTextField(
        holder="case", blank=name != "title", help_text=HELP[name]
    )


def _swap(name: str) -> list[migrations.operations.base.Operation]:
    return [
        migrations.RemoveField(model_name="recordrequest", name=name),
        migrations.RenameField(
            model_name="recordrequest", old_name=f"{name}_sealed", new_name=name
        ),
        migrations.AlterField(
            model_name="recordrequest", name=name, field=_sealed(name, final=True)
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_record_request_from_console")]

    operations = [
        # The title has no default: nullable first, so that going back can add
        # the clear column again to a table with rows (filled before it is
        # made required again).
        migrations.AlterField(
            model_name="recordrequest",
            name="title",
            field=models.CharField(help_text=HELP["title"], max_length=200, null=True),
        ),
        *[
            migrations.AddField(
                model_name="recordrequest", name=f"{name}_sealed", field=_sealed(name, final=False)
            )
            for name in NAMES
        ],
        migrations.RunPython(seal_rows, open_rows, elidable=False),
        *_swap("title"),
        *_swap("detail"),
        *_swap("close_note"),
    ]
