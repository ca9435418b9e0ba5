from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_safety_screen")]

    operations = [
        migrations.AddField(
            model_name="enquiry",
            name="client_ip",
            field=models.GenericIPAddressField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="enquiry",
            name="answers_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddIndex(
            model_name="enquiry",
            index=models.Index(fields=["client_ip", "red_flag_state"], name="enquiry_client"),
        ),
        migrations.AddIndex(
            model_name="enquiry",
            index=models.Index(fields=["answers_hash"], name="enquiry_answers"),
        ),
    ]
