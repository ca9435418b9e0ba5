"""Enquiry.goals: the enquirer's goals get their own field. Before, the enquiry
form stored them at the start of `question` as "Goals: ...", then a blank line,
then the questions; this moves that part into `goals` (and back on reverse)."""

from typing import Any

from django.db import migrations, models

PREFIX = "Goals: "
SEPARATOR = "\n\n"


def split_goals(question: str) -> tuple[str, str]:
    """(goals, questions) from a question written by the old enquiry form."""
    if not question.startswith(PREFIX):
        return "", question
    rest = question[len(PREFIX) :]
    goals, _, questions = rest.partition(SEPARATOR)
    return goals.strip(), questions.strip()


def forwards(apps: Any, schema_editor: Any) -> None:
    Enquiry = apps.get_model("cases", "Enquiry")
    for enquiry in Enquiry.objects.filter(question__startswith=PREFIX).only("pk", "question"):
        goals, questions = split_goals(enquiry.question)
        Enquiry.objects.filter(pk=enquiry.pk).update(goals=goals, question=questions)


def backwards(apps: Any, schema_editor: Any) -> None:
    Enquiry = apps.get_model("cases", "Enquiry")
    for enquiry in Enquiry.objects.exclude(goals="").only("pk", "goals", "question"):
        parts = [PREFIX + enquiry.goals, enquiry.question]
        Enquiry.objects.filter(pk=enquiry.pk).update(
            question=SEPARATOR.join(part for part in parts if part)
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="enquiry",
            name="goals",
            field=models.TextField(
                blank=True, help_text="What they hope a second opinion helps with."
            ),
        ),
        migrations.AlterField(
            model_name="enquiry",
            name="question",
            field=models.TextField(blank=True, help_text="Their questions for the specialists."),
        ),
        migrations.RunPython(forwards, backwards),
    ]
