"""Case.engine (every page's text, every fact with its snippet, the identifiers)
sealed with the case's data key (cases/sealed.py): a new binary column is
filled with the ciphertext of each row's JSON, the clear column dropped, the
new one takes its name.

Reversible: going back opens every row again into a JSON column (it needs the
master key, like going forward)."""

import json
from typing import Any

from django.db import migrations

import casebridge.web.cases.sealed
from casebridge.web.cases import datakeys, sealed

TABLE, COLUMN = "cases_case", "engine"


def _key(row: Any) -> bytes:
    return datakeys.unwrap(bytes(row.wrapped_key), datakeys.case_key_aad(row.pseudonym))


def seal_engines(apps: Any, schema_editor: Any) -> None:
    Case = apps.get_model("cases", "Case")
    db = schema_editor.connection.alias
    for row in Case.objects.using(db).only("pk", "pseudonym", "wrapped_key", "engine").iterator():
        aad = sealed.field_aad(TABLE, COLUMN, row.pseudonym)
        ciphertext = sealed.seal(_key(row), aad, sealed.encode_json(row.engine))
        Case.objects.using(db).filter(pk=row.pk).update(engine_sealed=ciphertext)


def open_engines(apps: Any, schema_editor: Any) -> None:
    Case = apps.get_model("cases", "Case")
    db = schema_editor.connection.alias
    rows = Case.objects.using(db).values_list("pk", "pseudonym", "wrapped_key", "engine_sealed")
    for pk, pseudonym, wrapped, ciphertext in rows.iterator():
        key = datakeys.unwrap(bytes(wrapped), datakeys.case_key_aad(pseudonym))
        aad = sealed.field_aad(TABLE, COLUMN, pseudonym)
        value = json.loads(sealed.open_sealed(key, aad, bytes(ciphertext)))
        Case.objects.using(db).filter(pk=pk).update(engine=value)


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_audit_append_only")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="engine_sealed",
            field=casebridge.web.cases.sealed.SealedJSONField(null=True),
        ),
        migrations.RunPython(seal_engines, open_engines, elidable=False),
        migrations.RemoveField(model_name="case", name="engine"),
        migrations.RenameField(model_name="case", old_name="engine_sealed", new_name="engine"),
        migrations.AlterField(
            model_name="case",
            name="engine",
            field=casebridge.web.cases.sealed.SealedJSONField(default=dict),
        ),
    ]
