"""PostgreSQL: person search by the beginning of a name or of its pinyin initials reads its
range and its order off one index, `(column COLLATE "C", id)`, whatever the database's own
collation (services/ledger.py `_starting_with`). SQLite compares in code-point order already
(BINARY) and uses the ordinary indexes of 0001/0012; there this migration does nothing.
"""

from django.db import migrations

INDEXES = {
    "person_name_code_points": "name",
    "person_initials_code_points": "name_initials",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" '
            f'ON "backoffice_person" (("{column}" COLLATE "C"), "id")'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0013_household_member_categories"),
    ]

    operations = [migrations.RunPython(create, drop)]
