from django.db import migrations, models

# Every timeline entry keeps its incident's ``restricted`` in ``incident_restricted``, so search
# applies the visibility rule without joining every match to its incident. The database keeps
# it on every write path (forms, imports, QuerySet.update, raw SQL): an entry takes its
# incident's value when written or moved, and restricting or unrestricting an incident (or
# inserting one already restricted, after entries that name it) passes the value on.
KEEP = """
CREATE FUNCTION incidents_timelineentry_take_incident_restricted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.incident_restricted := COALESCE(
        (SELECT restricted FROM incidents_incident WHERE id = NEW.incident_id), false
    );
    RETURN NEW;
END $$;

CREATE TRIGGER incidents_timelineentry_takes_incident_restricted
BEFORE INSERT OR UPDATE OF incident_id, incident_restricted ON incidents_timelineentry
FOR EACH ROW EXECUTE FUNCTION incidents_timelineentry_take_incident_restricted();

CREATE FUNCTION incidents_incident_pass_restricted_to_timeline() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE incidents_timelineentry SET incident_restricted = NEW.restricted
    WHERE incident_id = NEW.id AND incident_restricted IS DISTINCT FROM NEW.restricted;
    RETURN NULL;
END $$;

CREATE TRIGGER incidents_incident_passes_restricted_to_timeline
AFTER UPDATE ON incidents_incident FOR EACH ROW
WHEN (OLD.restricted IS DISTINCT FROM NEW.restricted)
EXECUTE FUNCTION incidents_incident_pass_restricted_to_timeline();

CREATE TRIGGER incidents_incident_passes_restricted_to_timeline_on_insert
AFTER INSERT ON incidents_incident FOR EACH ROW WHEN (NEW.restricted)
EXECUTE FUNCTION incidents_incident_pass_restricted_to_timeline();

UPDATE incidents_timelineentry AS entry SET incident_restricted = true
FROM incidents_incident AS incident
WHERE incident.id = entry.incident_id AND incident.restricted;
"""

FORGET = """
DROP TRIGGER incidents_incident_passes_restricted_to_timeline_on_insert ON incidents_incident;
DROP TRIGGER incidents_incident_passes_restricted_to_timeline ON incidents_incident;
DROP FUNCTION incidents_incident_pass_restricted_to_timeline();
DROP TRIGGER incidents_timelineentry_takes_incident_restricted ON incidents_timelineentry;
DROP FUNCTION incidents_timelineentry_take_incident_restricted();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0014_restriction_audit_and_watch"),
    ]

    operations = [
        migrations.AddField(
            model_name="timelineentry",
            name="incident_restricted",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                condition=models.Q(("restricted", True)),
                fields=["id"],
                include=("commander", "created_by"),
                name="incident_restricted_idx",
            ),
        ),
        migrations.RunSQL(KEEP, FORGET),
    ]
