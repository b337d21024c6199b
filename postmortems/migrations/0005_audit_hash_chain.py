"""Chain the audit trail: a hash on every entry (back-filled for existing ones, in id order),
and a trigger that makes PostgreSQL refuse UPDATE and DELETE on the table."""

from django.db import migrations, models

from postmortems.audit import entry_hash

APPEND_ONLY_SQL = """
CREATE FUNCTION postmortems_auditentry_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'The audit trail is append-only: % of audit entry % refused.', TG_OP, OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER postmortems_auditentry_append_only
    BEFORE UPDATE OR DELETE ON postmortems_auditentry
    FOR EACH ROW EXECUTE FUNCTION postmortems_auditentry_append_only();
"""

DROP_APPEND_ONLY_SQL = """
DROP TRIGGER IF EXISTS postmortems_auditentry_append_only ON postmortems_auditentry;
DROP FUNCTION IF EXISTS postmortems_auditentry_append_only();
"""


def chain_existing_entries(apps, schema_editor):
    AuditEntry = apps.get_model("postmortems", "AuditEntry")
    prev_hash = ""
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        entry.prev_hash = prev_hash
        entry.hash = entry_hash(entry, prev_hash)
        AuditEntry.objects.filter(pk=entry.pk).update(prev_hash=entry.prev_hash, hash=entry.hash)
        prev_hash = entry.hash


class Migration(migrations.Migration):
    dependencies = [
        ("postmortems", "0004_search_vector"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="hash",
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name="hash"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(
                blank=True, editable=False, max_length=64, verbose_name="previous hash"
            ),
        ),
        migrations.RunPython(chain_existing_entries, migrations.RunPython.noop),
        migrations.RunSQL(APPEND_ONLY_SQL, DROP_APPEND_ONLY_SQL),
    ]
