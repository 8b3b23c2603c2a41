"""PostgreSQL planner aids for the ledger at 1M persons (P); on SQLite this does nothing.

- Person search by the beginning of a name or of its pinyin initials reads its range and its
  order off one index, `(column COLLATE "C", id)`, whatever the database's own collation
  (services/ledger.py `_starting_with`). SQLite compares in code-point order already (BINARY)
  and uses the ordinary indexes of 0001/0012.
- A household's street determines its district: without these statistics PostgreSQL takes a
  street filter plus the district officer's scope as independent, expects 1/8 of the rows,
  and sorts a bitmap scan (270 ms) instead of walking the street's due-date index (3 ms).
"""

from django.db import migrations

INDEXES = {
    "person_name_code_points": "name",
    "person_initials_code_points": "name_initials",
}


STATISTICS = "household_area_dependencies"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" '
            f'ON "backoffice_person" (("{column}" COLLATE "C"), "id")'
        )
    schema_editor.execute(
        f'CREATE STATISTICS IF NOT EXISTS "{STATISTICS}" (dependencies) '
        'ON "district_id", "street_id", "community_id" FROM "backoffice_household"'
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    schema_editor.execute(f'DROP STATISTICS IF EXISTS "{STATISTICS}"')


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0013_household_member_categories"),
    ]

    operations = [migrations.RunPython(create, drop)]
