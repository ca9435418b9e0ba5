"""The last health data in clear in the database sealed:

- the enquiry's e-mail address, with the enquiry's key (nothing queries it: a
  duplicate is found by answers_hash, an account by the session);
- a document's processing reasons, with its case's key (plain-language
  problems that often quote the record);

and the enquiry's answers_hash keyed: it was a SHA-256 of the e-mail and the
person's words, which anyone reading the database could confirm a guess
against; it becomes the HMAC of cases/enquiry_digest.py (a key derived from
the master key), computed from the opened words, so duplicates still merge.

As 0008, 0009 and 0011: each sealed column is filled next to the clear one and
takes its place; one UPDATE per row (see 0011: a second update of a row in this
transaction would make PostgreSQL refuse the ALTER TABLE that follows).
Reversible: going back opens the columns into clear ones and puts the unkeyed
digest back."""

import importlib
from typing import Any

from django.db import migrations, models

import casebridge.web.cases.sealed
from casebridge.web.cases import enquiry_digest, sealed

previous = importlib.import_module("casebridge.web.cases.migrations.0008_seal_health_fields")

REASONS = [("document", "reasons", True, "case")]
# the enquiry's sealed words the digest covers (programme is clear)
WORDS = [name for name in enquiry_digest.FIELDS if name not in {"email", "programme"}]


def _enquiries(apps: Any, schema_editor: Any, email_column: str) -> Any:
    """Each enquiry with its holder, its words opened and its e-mail column."""
    db = schema_editor.connection.alias
    model = apps.get_model("cases", "Enquiry")
    _cases, holders = previous._holders(apps, db)
    table = model._meta.db_table
    columns = ["pk", "answers_hash", "programme", email_column, *WORDS]
    for row in model.objects.using(db).values(*columns).iterator():
        holder = holders[row["pk"]]

        def aad(name: str, holder: Any = holder) -> bytes:
            return sealed.field_aad(table, name, holder.sealing_identity())

        words = {
            name: sealed.open_sealed(holder.data_key(), aad(name), bytes(row[name])).decode()
            for name in WORDS
            if row[name] is not None
        }
        yield model.objects.using(db).filter(pk=row["pk"]), row, holder, aad, words


def seal_enquiries(apps: Any, schema_editor: Any) -> None:
    for one, row, holder, aad, words in _enquiries(apps, schema_editor, "email"):
        email = row["email"] or ""
        change: dict[str, Any] = {
            "email_sealed": sealed.seal(holder.data_key(), aad("email"), email.encode())
        }
        if row["answers_hash"]:  # only submitted enquiries have one
            fields = {**words, "email": email, "programme": row["programme"]}
            change["answers_hash"] = enquiry_digest.answers_digest(fields)
        one.update(**change)


def open_enquiries(apps: Any, schema_editor: Any) -> None:
    for one, row, holder, aad, words in _enquiries(apps, schema_editor, "email_sealed"):
        if row["email_sealed"] is None:
            continue
        email = sealed.open_sealed(holder.data_key(), aad("email"), bytes(row["email_sealed"]))
        change: dict[str, Any] = {"email": email.decode()}
        if row["answers_hash"]:
            fields = {**words, "email": change["email"], "programme": row["programme"]}
            change["answers_hash"] = enquiry_digest.unkeyed_digest(fields)
        one.update(**change)


def _swap(model: str, name: str, final: Any) -> list[Any]:
    return [
        migrations.RemoveField(model_name=model, name=name),
        migrations.RenameField(model_name=model, old_name=f"{name}_sealed", new_name=name),
        migrations.AlterField(model_name=model, name=name, field=final),
    ]


class Migration(migrations.Migration):
    dependencies = [("cases", "0024_document_held")]

    operations = [
        # nullable first, so that going back can add the clear column again to
        # a table with rows (filled before it is made required again)
        migrations.AlterField(
            model_name="enquiry",
            name="email",
            field=models.EmailField(max_length=254, null=True),
        ),
        migrations.AddField(
            model_name="enquiry",
            name="email_sealed",
            field=casebridge.web.cases.sealed.SealedTextField(null=True),
        ),
        migrations.AddField(
            model_name="document",
            name="reasons_sealed",
            field=casebridge.web.cases.sealed.SealedJSONField(holder="case", null=True),
        ),
        migrations.RunPython(seal_enquiries, open_enquiries, elidable=False),
        migrations.RunPython(previous.sealer(REASONS), previous.opener(REASONS), elidable=False),
        *_swap("enquiry", "email", casebridge.web.cases.sealed.SealedTextField(blank=True)),
        *_swap(
            "document",
            "reasons",
            casebridge.web.cases.sealed.SealedJSONField(holder="case", default=list, blank=True),
        ),
    ]
