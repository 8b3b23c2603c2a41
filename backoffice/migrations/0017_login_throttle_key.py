"""SECURITY A2, C3: the login throttle keyed by a keyed hash of the username, not the typed text
(a password typed into the username field must not be kept in clear)."""

from django.db import migrations, models

from backoffice.models.auth import throttle_key


def hash_usernames(apps, schema_editor):
    """Rewrite each row under the hash of its username. Running locks survive the deploy;
    names that now share a key (other case, other Unicode form) keep the strictest state."""
    LoginThrottle = apps.get_model("backoffice", "LoginThrottle")
    merged: dict[str, dict] = {}
    for row in LoginThrottle.objects.all():
        state = merged.setdefault(
            throttle_key(row.username),
            {"failures": 0, "last_failure_at": None, "locked_until": None},
        )
        state["failures"] = max(state["failures"], row.failures)
        for field in ("last_failure_at", "locked_until"):
            value = getattr(row, field)
            if value is not None and (state[field] is None or value > state[field]):
                state[field] = value
    LoginThrottle.objects.all().delete()
    LoginThrottle.objects.bulk_create(
        [LoginThrottle(username=key, **state) for key, state in merged.items()]
    )


def forget_counts(apps, schema_editor):
    """A hash cannot be turned back into a username: going back forgets the counts."""
    apps.get_model("backoffice", "LoginThrottle").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0016_one_head_per_household")]

    operations = [
        # The data first, while the column still holds 150 characters.
        migrations.RunPython(hash_usernames, forget_counts),
        migrations.RenameField("loginthrottle", "username", "key"),
        migrations.AlterField(
            model_name="loginthrottle",
            name="key",
            field=models.CharField(max_length=64, primary_key=True, serialize=False),
        ),
    ]
