"""SECURITY C2: on PostgreSQL the database itself refuses UPDATE and DELETE of audit rows."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION backoffice_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'backoffice_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER backoffice_auditevent_append_only
    BEFORE UPDATE OR DELETE ON backoffice_auditevent
    FOR EACH ROW EXECUTE FUNCTION backoffice_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS backoffice_auditevent_append_only ON backoffice_auditevent;
DROP FUNCTION IF EXISTS backoffice_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0002_load_areas")]
    operations = [migrations.RunPython(forwards, backwards)]
