"""SECURITY C2 with D5 (issue 19): the audit table stays append-only on PostgreSQL, except that
`backoffice.services.retention.audit_prune` may delete entries older than six months.

The trigger still refuses every UPDATE, and every DELETE unless the deleting transaction set
`ledger.audit_retention` to 'on' (set_config(..., true): for that transaction only) and the
row is more than six months old by the database's own clock, so no setting and no bug in the
application can remove a younger entry.
"""

from django.db import migrations

RETENTION = """
CREATE OR REPLACE FUNCTION backoffice_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('ledger.audit_retention', true) = 'on'
       AND OLD.at < now() - interval '6 months' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'backoffice_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
"""
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION backoffice_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'backoffice_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(RETENTION)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY)


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0028_statistics_snapshots")]
    operations = [migrations.RunPython(forwards, backwards)]
