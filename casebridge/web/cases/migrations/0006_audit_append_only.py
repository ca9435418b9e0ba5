"""Every audit row has its place in the chain (seq unique, never NULL), and on
PostgreSQL the table is append-only: a trigger refuses DELETE, and UPDATE
unless the only change is a foreign key set NULL (Django's on_delete=SET_NULL
when a case or user is deleted; the chain covers the pseudonym and the actor's
label, not the keys). TRUNCATE is left alone (no row trigger fires on it;
Django's test flush uses it); it empties the log, which `verify_audit --head`
with a head kept elsewhere notices.

A later migration that must change audit rows drops the trigger and creates it
again in the same migration."""

from typing import Any

from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION cases_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
            MESSAGE = 'audit rows are append-only: DELETE of audit row ' || OLD.id || ' refused';
    END IF;
    IF (NEW.actor_id IS NULL OR NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id)
       AND (NEW.case_id IS NULL OR NEW.case_id IS NOT DISTINCT FROM OLD.case_id)
       AND (to_jsonb(NEW) - 'actor_id' - 'case_id') = (to_jsonb(OLD) - 'actor_id' - 'case_id')
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
        MESSAGE = 'audit rows are append-only: UPDATE of audit row ' || OLD.id || ' refused';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS cases_auditevent_append_only ON cases_auditevent;
CREATE TRIGGER cases_auditevent_append_only
    BEFORE UPDATE OR DELETE ON cases_auditevent
    FOR EACH ROW EXECUTE FUNCTION cases_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS cases_auditevent_append_only ON cases_auditevent;
DROP FUNCTION IF EXISTS cases_auditevent_append_only();
"""


def _on_postgresql(sql: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_audit_chain")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(editable=False, unique=True),
        ),
        # RunSQL on the postgresql vendor only (SQLite has no such trigger language).
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False),
    ]
