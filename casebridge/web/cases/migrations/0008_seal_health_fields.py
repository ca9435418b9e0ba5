"""Every other health-data field sealed (cases/sealed.py): messages, internal
notes, fact corrections (reason, value), the pause reason, the enquiry's own
words (name, phone, diagnosis, treatment, goals, question, red-flag ticks, what
the screen found), and the audit log's before/after.

An enquiry gets its own data key (key_ref names it in the key's associated
data). Each sealed column is added next to the clear one, filled with the
ciphertext, and takes the clear one's place.

The audit rows' before/after are sealed in their JSON envelope with the key of
the case or enquiry they are about (rows about neither, e.g. sign-ins, and rows
of a case deleted earlier, which has no key any more, stay clear). As the
chain's HMACs cover what is stored, the chain is verified first (the migration
refuses to go on if it does not verify: re-chaining would hide a change) and
then computed again over the sealed rows; a head exported before
(`verify_audit --export-head`) must be exported again afterwards. On
PostgreSQL the append-only trigger is dropped and created again around it.

Reversible: going back opens everything into clear columns and re-chains.
"""

import importlib
import json
from typing import Any

from django.conf import settings
from django.db import migrations, models

import casebridge.web.cases.models
import casebridge.web.cases.sealed
from casebridge.web.cases import auditchain, datakeys, sealed

append_only = importlib.import_module("casebridge.web.cases.migrations.0006_audit_append_only")

# (model, field, json?, holder: "self" or the foreign key to the case)
FIELDS = [
    ("case", "paused_reason", False, "self"),
    ("enquiry", "full_name", False, "self"),
    ("enquiry", "phone", False, "self"),
    ("enquiry", "diagnosis", False, "self"),
    ("enquiry", "current_treatment", False, "self"),
    ("enquiry", "goals", False, "self"),
    ("enquiry", "question", False, "self"),
    ("enquiry", "red_flag_answers", True, "self"),
    ("enquiry", "safety_flags", True, "self"),
    ("factcorrection", "reason", False, "case"),
    ("factcorrection", "value", False, "case"),
    ("message", "body", False, "case"),
    ("internalnote", "body", False, "case"),
]
NULLABLE = {("factcorrection", "value")}
# the clear fields with neither a default nor blank, as nullable versions
REQUIRED: dict[tuple[str, str], models.Field[Any, Any]] = {
    ("enquiry", "full_name"): models.CharField(max_length=200, null=True),
    ("factcorrection", "reason"): models.TextField(null=True),
    ("message", "body"): models.TextField(null=True),
    ("internalnote", "body"): models.TextField(null=True),
}


class _Holder(sealed.KeyHolder):
    """A case or enquiry as the migration sees it (historical models have no methods)."""

    def __init__(self, kind: str, identity: str, wrapped: bytes) -> None:
        self.KIND, self.identity, self.wrapped_key = kind, identity, bytes(wrapped)

    def key_aad(self) -> bytes:
        if self.KIND == "case":
            return datakeys.case_key_aad(self.identity)
        return datakeys.enquiry_key_aad(self.identity)

    def sealing_identity(self) -> str:
        return self.identity


def _holders(apps: Any, db: str) -> tuple[dict[int, _Holder], dict[int, _Holder]]:
    Case = apps.get_model("cases", "Case")
    Enquiry = apps.get_model("cases", "Enquiry")
    cases = {
        pk: _Holder("case", pseudonym, wrapped)
        for pk, pseudonym, wrapped in Case.objects.using(db).values_list(
            "pk", "pseudonym", "wrapped_key"
        )
    }
    enquiries = {
        pk: _Holder("enquiry", ref, wrapped)
        for pk, ref, wrapped in Enquiry.objects.using(db).values_list(
            "pk", "key_ref", "wrapped_key"
        )
    }
    return cases, enquiries


def _field_holder(row: dict[str, Any], model: str, holder: str, cases: Any, enquiries: Any) -> Any:
    if holder == "case":
        return cases[row["case_id"]]
    return cases[row["pk"]] if model == "case" else enquiries[row["pk"]]


def give_enquiries_keys(apps: Any, schema_editor: Any) -> None:
    Enquiry = apps.get_model("cases", "Enquiry")
    db = schema_editor.connection.alias
    for pk in Enquiry.objects.using(db).values_list("pk", flat=True):
        ref = casebridge.web.cases.models.new_key_ref()
        wrapped = datakeys.new_wrapped_key(datakeys.enquiry_key_aad(ref))
        Enquiry.objects.using(db).filter(pk=pk).update(key_ref=ref, wrapped_key=wrapped)


def sealer(fields: list[tuple[str, str, bool, str]]) -> Any:
    """A RunPython function that fills each `<name>_sealed` column with the
    ciphertext of `name` (also used by later migrations sealing more fields)."""

    def seal_fields(apps: Any, schema_editor: Any) -> None:
        db = schema_editor.connection.alias
        cases, enquiries = _holders(apps, db)
        for model_name, name, is_json, holder_name in fields:
            model = apps.get_model("cases", model_name)
            table = model._meta.db_table
            extra = ["case_id"] if holder_name == "case" else []
            for row in model.objects.using(db).values("pk", name, *extra).iterator():
                holder = _field_holder(row, model_name, holder_name, cases, enquiries)
                value = row[name]
                if value is None and (model_name, name) in NULLABLE:
                    continue
                plain = sealed.encode_json(value) if is_json else str(value).encode()
                aad = sealed.field_aad(table, name, holder.sealing_identity())
                ciphertext = sealed.seal(holder.data_key(), aad, plain)
                model.objects.using(db).filter(pk=row["pk"]).update(
                    **{f"{name}_sealed": ciphertext}
                )

    return seal_fields


def opener(fields: list[tuple[str, str, bool, str]]) -> Any:
    """The reverse of sealer(fields): the clear column filled again."""

    def open_fields(apps: Any, schema_editor: Any) -> None:
        db = schema_editor.connection.alias
        cases, enquiries = _holders(apps, db)
        for model_name, name, is_json, holder_name in fields:
            model = apps.get_model("cases", model_name)
            table = model._meta.db_table
            extra = ["case_id"] if holder_name == "case" else []
            rows = model.objects.using(db).values("pk", f"{name}_sealed", *extra)
            for row in rows.iterator():
                ciphertext = row[f"{name}_sealed"]
                if ciphertext is None:
                    continue
                holder = _field_holder(row, model_name, holder_name, cases, enquiries)
                aad = sealed.field_aad(table, name, holder.sealing_identity())
                plain = sealed.open_sealed(holder.data_key(), aad, bytes(ciphertext))
                value = json.loads(plain) if is_json else plain.decode()
                model.objects.using(db).filter(pk=row["pk"]).update(**{name: value})

    return open_fields


def _verified_rows(apps: Any, schema_editor: Any) -> list[dict[str, Any]]:
    """The audit rows in chain order, refused when the chain does not verify."""
    AuditEvent = apps.get_model("cases", "AuditEvent")
    db = schema_editor.connection.alias
    fields = (*auditchain.ROW_FIELDS, "case_id")
    rows = list(AuditEvent.objects.using(db).order_by("seq", "pk").values(*fields))
    result = auditchain.walk(rows, bytes(settings.CASEBRIDGE_AUDIT_KEY))
    if result.problem is not None:
        raise RuntimeError(
            "The audit log does not verify, so its details were not sealed (re-chaining "
            f"would hide the change): {result.problem.message}. Run `manage.py verify_audit`."
        )
    return rows


def check_audit_chain(apps: Any, schema_editor: Any) -> None:
    """Refuse before anything changes when the audit log does not verify: the steps
    below commit one by one (the migration is not atomic), so a late refusal would
    leave the fields sealed and the audit not."""
    _verified_rows(apps, schema_editor)


def _rechain(apps: Any, schema_editor: Any, change: Any) -> None:
    """Verify the chain, change each row's before/after with change(row,
    cases, enquiries), and chain the rows again from the first changed one."""
    AuditEvent = apps.get_model("cases", "AuditEvent")
    db = schema_editor.connection.alias
    key = bytes(settings.CASEBRIDGE_AUDIT_KEY)
    rows = _verified_rows(apps, schema_editor)
    cases, enquiries = _holders(apps, db)
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(append_only.DROP)
    prev, dirty = auditchain.GENESIS, False
    for row in rows:
        changed = change(row, cases, enquiries)
        dirty = dirty or changed
        if dirty:
            row["hmac"] = auditchain.mac(key, row["seq"], prev, row)
            AuditEvent.objects.using(db).filter(pk=row["id"]).update(
                before=row["before"], after=row["after"], hmac=row["hmac"]
            )
        prev = row["hmac"]
    if postgres:
        schema_editor.execute(append_only.CREATE)


def _audit_holder(row: dict[str, Any], cases: Any, enquiries: Any) -> Any:
    if row["case_id"] is not None:
        return cases.get(row["case_id"])
    if row["object_type"] == "enquiry" and str(row["object_id"]).isdigit():
        return enquiries.get(int(row["object_id"]))
    return None


def _seal_row(row: dict[str, Any], cases: Any, enquiries: Any) -> bool:
    holder = _audit_holder(row, cases, enquiries)
    changed = False
    for name in ("before", "after"):
        value = row[name]
        if holder is not None and value is not None and not sealed.is_envelope(value):
            row[name] = sealed.seal_json(holder, "cases_auditevent", name, value)
            changed = True
    return changed


def _open_row(row: dict[str, Any], cases: Any, enquiries: Any) -> bool:
    changed = False
    for name in ("before", "after"):
        value = row[name]
        if sealed.is_envelope(value):
            holder = cases.get(row["case_id"]) if value["by"] == "case" else None
            if value["by"] == "enquiry" and str(row["object_id"]).isdigit():
                holder = enquiries.get(int(row["object_id"]))
            if holder is None:
                continue  # its key is gone: it stays sealed
            row[name] = sealed.open_json(holder, "cases_auditevent", name, value)
            changed = True
    return changed


def seal_audit(apps: Any, schema_editor: Any) -> None:
    _rechain(apps, schema_editor, _seal_row)


def open_audit(apps: Any, schema_editor: Any) -> None:
    _rechain(apps, schema_editor, _open_row)


def _sealed_field(model: str, name: str, is_json: bool, holder: str, final: bool) -> Any:
    kwargs: dict[str, Any] = {} if holder == "self" else {"holder": holder}
    if not final or (model, name) in NULLABLE:
        kwargs["null"] = True
    if final and name not in {"full_name", "body", "reason"}:
        kwargs["blank"] = True
    if final and is_json:
        kwargs["default"] = list
    if is_json:
        return casebridge.web.cases.sealed.SealedJSONField(**kwargs)
    return casebridge.web.cases.sealed.SealedTextField(**kwargs)


def _operations() -> list[Any]:
    add = [
        migrations.AddField(
            model_name=model,
            name=f"{name}_sealed",
            field=_sealed_field(model, name, is_json, holder, final=False),
        )
        for model, name, is_json, holder in FIELDS
    ]
    # The clear fields that have neither a default nor blank are made nullable
    # first, so that going back can add them again to a table with rows
    # (filled by open_fields before they are made required again).
    nullable = [
        migrations.AlterField(model_name=model, name=name, field=field)
        for (model, name), field in REQUIRED.items()
    ]
    swap: list[Any] = []
    for model, name, is_json, holder in FIELDS:
        swap += [
            migrations.RemoveField(model_name=model, name=name),
            migrations.RenameField(model_name=model, old_name=f"{name}_sealed", new_name=name),
            migrations.AlterField(
                model_name=model,
                name=name,
                field=_sealed_field(model, name, is_json, holder, final=True),
            ),
        ]
    return [
        migrations.RunPython(check_audit_chain, migrations.RunPython.noop, elidable=False),
        migrations.AddField(
            model_name="enquiry",
            name="key_ref",
            field=models.CharField(default="", editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name="enquiry",
            name="wrapped_key",
            field=models.BinaryField(default=b"", editable=False),
        ),
        migrations.RunPython(give_enquiries_keys, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="enquiry",
            name="key_ref",
            field=models.CharField(
                default=casebridge.web.cases.models.new_key_ref,
                editable=False,
                max_length=32,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="enquiry",
            name="wrapped_key",
            field=models.BinaryField(editable=False),
        ),
        *nullable,
        *add,
        migrations.RunPython(sealer(FIELDS), opener(FIELDS), elidable=False),
        *swap,
        migrations.AlterField(
            model_name="auditevent",
            name="before",
            field=casebridge.web.cases.sealed.SealedEnvelopeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="after",
            field=casebridge.web.cases.sealed.SealedEnvelopeField(blank=True, null=True),
        ),
        migrations.RunPython(seal_audit, open_audit, elidable=False),
    ]


class Migration(migrations.Migration):
    # Not one transaction: each RunPython step commits in its own (Django wraps it), and
    # the schema changes run after. In one transaction PostgreSQL refuses the ALTER TABLE
    # that follows an update of rows with foreign keys that were already changed in the
    # same transaction ("pending trigger events": an enquiry given its key, then sealed;
    # a correction's reason and value sealed one after the other). Every step can run
    # again: sealing writes only the *_sealed columns, which the swap then renames.
    atomic = False

    dependencies = [("cases", "0007_seal_case_engine")]

    operations = _operations()
