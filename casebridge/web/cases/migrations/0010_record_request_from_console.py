"""RecordRequest taken over from the console app (console 0003 let it go):
Django's state only, under its old table name console_recordrequest, so no row
moves or changes. The fields are as the console left them (clear text); 0011
seals its free text."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_seal_document_name"),
        ("console", "0003_record_request_to_cases"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="RecordRequest",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "title",
                            models.CharField(
                                help_text="What is asked for, in plain words.", max_length=200
                            ),
                        ),
                        (
                            "detail",
                            models.TextField(
                                blank=True, help_text="Why it is needed, who usually holds it."
                            ),
                        ),
                        (
                            "gap_id",
                            models.CharField(
                                blank=True, help_text="The engine gap it answers.", max_length=120
                            ),
                        ),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("open", "Waiting for the patient"),
                                    ("done", "Received"),
                                    ("cancelled", "No longer needed"),
                                ],
                                default="open",
                                max_length=20,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("closed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "close_note",
                            models.TextField(
                                blank=True,
                                help_text=(
                                    "Staff only: why it was closed (never shown to the patient)."
                                ),
                            ),
                        ),
                        (
                            "case",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="record_requests",
                                to="cases.case",
                            ),
                        ),
                        (
                            "message",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="cases.message",
                            ),
                        ),
                        (
                            "requested_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "closed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "console_recordrequest",
                        "ordering": ["created_at", "pk"],
                    },
                ),
            ],
        )
    ]
