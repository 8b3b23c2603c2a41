from django.db import migrations


def load(apps, schema_editor):
    from backoffice.services.areas import areas_load

    areas_load(apps.get_model("backoffice", "Area"))


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
