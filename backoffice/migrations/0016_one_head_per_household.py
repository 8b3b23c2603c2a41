"""L7: one head per household, held by the database (a partial unique index)."""

from django.db import migrations, models


def demote_extra_heads(apps, schema_editor):
    """Before one head per household is enforced: where triage gave a household a second head
    (issue 12, finding 6), the earliest member stays head and the later ones become "other"
    (其他), for staff to correct on the person page."""
    Person = apps.get_model("backoffice", "Person")
    seen = set()
    heads = Person.objects.filter(relation="head", exited_on__isnull=True).order_by(
        "household_id", "id"
    )
    extra = []
    for pk, household_id in heads.values_list("pk", "household_id").iterator():
        if household_id in seen:
            extra.append(pk)
        seen.add(household_id)
    if extra:
        Person.objects.filter(pk__in=extra).update(relation="other")


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0015_handovers_audit_channel"),
    ]

    operations = [
        migrations.RunPython(demote_extra_heads, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='person',
            constraint=models.UniqueConstraint(condition=models.Q(('exited_on__isnull', True), ('relation', 'head')), fields=('household',), name='one_head_per_household'),
        ),
    ]
