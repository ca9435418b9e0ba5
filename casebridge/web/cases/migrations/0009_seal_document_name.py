"""Document.file_name sealed with its case's key: an upload's name often
carries the patient's name or NHS number. As 0008: a sealed column is filled
next to the clear one and takes its place; reversible."""

import importlib

from django.db import migrations, models

import casebridge.web.cases.sealed

previous = importlib.import_module("casebridge.web.cases.migrations.0008_seal_health_fields")

FIELDS = [("document", "file_name", False, "case")]


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_seal_health_fields")]

    operations = [
        # nullable first, so that going back can add it again to a table with rows
        migrations.AlterField(
            model_name="document",
            name="file_name",
            field=models.CharField(max_length=255, null=True),
        ),
        migrations.AddField(
            model_name="document",
            name="file_name_sealed",
            field=casebridge.web.cases.sealed.SealedTextField(holder="case", null=True),
        ),
        migrations.RunPython(previous.sealer(FIELDS), previous.opener(FIELDS), elidable=False),
        migrations.RemoveField(model_name="document", name="file_name"),
        migrations.RenameField(
            model_name="document", old_name="file_name_sealed", new_name="file_name"
        ),
        migrations.AlterField(
            model_name="document",
            name="file_name",
            field=casebridge.web.cases.sealed.SealedTextField(holder="case"),
        ),
    ]
