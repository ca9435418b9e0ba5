"""A record request's free text sealed with its case's key: the title ("CT
report of the chest, Leeds, May"), the detail and the staff's close note are
health data. As 0008 and 0009: each sealed column is filled next to the clear
one and takes its place; reversible (going back opens them into clear columns).

The associated data names the table console_recordrequest, the one the rows
live in (the model kept its table when it moved to cases)."""

import importlib

from django.db import migrations, models

import casebridge.web.cases.sealed

previous = importlib.import_module("casebridge.web.cases.migrations.0008_seal_health_fields")

FIELDS = [
    ("recordrequest", "title", False, "case"),
    ("recordrequest", "detail", False, "case"),
    ("recordrequest", "close_note", False, "case"),
]
HELP = {
    "title": "What is asked for, in plain words.",
    "detail": "Why it is needed, who usually holds it.",
    "close_note": "Staff only: why it was closed (never shown to the patient).",
}


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
            for _model, name, _json, _holder in FIELDS
        ],
        migrations.RunPython(previous.sealer(FIELDS), previous.opener(FIELDS), elidable=False),
        *_swap("title"),
        *_swap("detail"),
        *_swap("close_note"),
    ]
