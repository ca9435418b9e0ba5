"""A direction choice's department, names and disciplines, and a consent's
recipients, sealed with the case's key: an oncology department or a
fertility one, and the disciplines asked to review, say what the patient
has. As 0011: each sealed column is filled next to the clear one and takes
its place; reversible.

And at most one active choice per case (a partial unique index), so two
coordinators choosing at once cannot leave two."""

import importlib
import json
from typing import Any

from django.db import migrations, models

import casebridge.web.cases.sealed
from casebridge.web.cases import sealed

previous = importlib.import_module("casebridge.web.cases.migrations.0008_seal_health_fields")

# model -> its sealed columns: name -> ("text" | "json", default of a JSON one)
SPEC: dict[str, dict[str, tuple[str, Any]]] = {
    "DirectionChoice": {
        "direction_id": ("text", None),
        "names": ("json", dict),
        "disciplines": ("json", list),
    },
    # a consent naming a department names what the patient has as well
    "Consent": {"recipients": ("json", list)},
}


def _encode(kind: str, value: Any) -> bytes:
    return (value or "").encode() if kind == "text" else sealed.encode_json(value)


def _decode(kind: str, data: bytes) -> Any:
    return data.decode() if kind == "text" else json.loads(data)


def _rows(apps: Any, schema_editor: Any, model_name: str, columns: list[str]) -> Any:
    db = schema_editor.connection.alias
    model = apps.get_model("cases", model_name)
    cases, _enquiries = previous._holders(apps, db)
    table = model._meta.db_table
    for row in model.objects.using(db).values("pk", "case_id", *columns).iterator():
        holder = cases[row["case_id"]]

        def aad(name: str, holder: Any = holder) -> bytes:
            return sealed.field_aad(table, name, holder.sealing_identity())

        yield model.objects.using(db).filter(pk=row["pk"]), row, holder.data_key(), aad


def seal_rows(apps: Any, schema_editor: Any) -> None:
    # one UPDATE per row for all its columns (see 0011 on PostgreSQL's pending triggers)
    for model_name, columns in SPEC.items():
        for one, row, key, aad in _rows(apps, schema_editor, model_name, list(columns)):
            one.update(
                **{
                    f"{name}_sealed": sealed.seal(key, aad(name), _encode(kind, row[name]))
                    for name, (kind, _default) in columns.items()
                }
            )


def open_rows(apps: Any, schema_editor: Any) -> None:
    for model_name, columns in SPEC.items():
        sealed_names = [f"{n}_sealed" for n in columns]
        for one, row, key, aad in _rows(apps, schema_editor, model_name, sealed_names):
            one.update(
                **{
                    name: _decode(
                        kind, sealed.open_sealed(key, aad(name), bytes(row[f"{name}_sealed"]))
                    )
                    for name, (kind, _default) in columns.items()
                    if row[f"{name}_sealed"] is not None
                }
            )


def _final(model_name: str, name: str) -> Any:
    kind, default = SPEC[model_name][name]
    if kind == "text":
        return casebridge.web.cases.sealed.SealedTextField(holder="case")
    extra = {"blank": True} if model_name == "Consent" else {}
    return casebridge.web.cases.sealed.SealedJSONField(default=default, holder="case", **extra)


def _clear(model_name: str, name: str) -> Any:
    kind, default = SPEC[model_name][name]
    if kind == "text":
        return models.CharField(max_length=120, null=True)
    return models.JSONField(default=default, null=True, blank=True)


def _each() -> list[tuple[str, str]]:
    return [(m, n) for m, columns in SPEC.items() for n in columns]


def _swap(model_name: str, name: str) -> list[Any]:
    model = model_name.lower()
    return [
        migrations.RemoveField(model_name=model, name=name),
        migrations.RenameField(model_name=model, old_name=f"{name}_sealed", new_name=name),
        migrations.AlterField(model_name=model, name=name, field=_final(model_name, name)),
    ]


class Migration(migrations.Migration):
    dependencies = [("cases", "0012_direction_choice")]

    operations = [
        # nullable first, so that going back can add the clear column again to
        # a table with rows (filled from the sealed one before it goes)
        *[
            migrations.AlterField(model_name=m.lower(), name=n, field=_clear(m, n))
            for m, n in _each()
        ],
        *[
            migrations.AddField(
                model_name=m.lower(),
                name=f"{n}_sealed",
                field=casebridge.web.cases.sealed.SealedTextField(holder="case", null=True),
            )
            for m, n in _each()
        ],
        migrations.RunPython(seal_rows, open_rows, elidable=False),
        *[op for m, n in _each() for op in _swap(m, n)],
        migrations.AddConstraint(
            model_name="directionchoice",
            constraint=models.UniqueConstraint(
                condition=models.Q(("active", True)),
                fields=("case",),
                name="cases_one_active_direction_choice",
            ),
        ),
    ]
