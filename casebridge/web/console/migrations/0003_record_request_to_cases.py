"""RecordRequest moved to the cases app (apps never import one another, and
portal, console and review all read it). Django's state only: the table
console_recordrequest and its rows stay as they are, and cases 0010 takes the
model over under the same table name."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("console", "0002_record_request_closing")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="RecordRequest")],
            database_operations=[],
        )
    ]
