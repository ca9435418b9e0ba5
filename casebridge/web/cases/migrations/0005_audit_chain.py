"""The audit chain: a sequence number and an HMAC on every audit row, and the
rows already there chained in the order they were written (time, then id),
with the audit key of this installation (CASEBRIDGE_AUDIT_KEY)."""

from typing import Any

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from casebridge.web.cases import auditchain

BATCH = 2000


def chain_existing_rows(apps: Any, schema_editor: Any) -> None:
    AuditEvent = apps.get_model("cases", "AuditEvent")
    key = bytes(settings.CASEBRIDGE_AUDIT_KEY)
    prev, batch = auditchain.GENESIS, []
    rows = AuditEvent.objects.using(schema_editor.connection.alias).order_by("at", "pk")
    for seq, event in enumerate(rows.iterator(chunk_size=BATCH), start=1):
        content = {name: getattr(event, name) for name in auditchain.CONTENT_FIELDS}
        event.seq = seq
        event.hmac = prev = auditchain.mac(key, seq, prev, content)
        batch.append(event)
        if len(batch) >= BATCH:
            AuditEvent.objects.using(schema_editor.connection.alias).bulk_update(
                batch, ["seq", "hmac"]
            )
            batch = []
    if batch:
        AuditEvent.objects.using(schema_editor.connection.alias).bulk_update(batch, ["seq", "hmac"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_enquiry_limits")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(
                db_index=True, default=django.utils.timezone.now, editable=False
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hmac",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop, elidable=False),
    ]
