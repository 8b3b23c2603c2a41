# Issue 12 (G2): a keyed hash of a report's form content, to tell a replayed form from one
# changed after it was sent. Written by hand: only this column (no index).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0003_lean_report_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="content_digest",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
    ]
