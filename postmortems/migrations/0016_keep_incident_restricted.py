from django.db import migrations, models

# Every postmortem keeps its incident's ``restricted`` in ``incident_restricted``, so search
# applies the visibility rule without joining every match to its incident. The database keeps
# it on every write path: a postmortem takes its incident's value when written or moved to
# another incident, and restricting or unrestricting an incident (or inserting one already
# restricted, after a postmortem that names it) passes the value on. Its action items follow
# (actions migration 0011).
KEEP = """
CREATE FUNCTION postmortems_postmortem_take_incident_restricted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.incident_restricted := COALESCE(
        (SELECT restricted FROM incidents_incident WHERE id = NEW.incident_id), false
    );
    RETURN NEW;
END $$;

CREATE TRIGGER postmortems_postmortem_takes_incident_restricted
BEFORE INSERT OR UPDATE OF incident_id, incident_restricted ON postmortems_postmortem
FOR EACH ROW EXECUTE FUNCTION postmortems_postmortem_take_incident_restricted();

CREATE FUNCTION incidents_incident_pass_restricted_to_postmortem() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE postmortems_postmortem SET incident_restricted = NEW.restricted
    WHERE incident_id = NEW.id AND incident_restricted IS DISTINCT FROM NEW.restricted;
    RETURN NULL;
END $$;

CREATE TRIGGER incidents_incident_passes_restricted_to_postmortem
AFTER UPDATE ON incidents_incident FOR EACH ROW
WHEN (OLD.restricted IS DISTINCT FROM NEW.restricted)
EXECUTE FUNCTION incidents_incident_pass_restricted_to_postmortem();

CREATE TRIGGER incidents_incident_passes_restricted_to_postmortem_on_insert
AFTER INSERT ON incidents_incident FOR EACH ROW WHEN (NEW.restricted)
EXECUTE FUNCTION incidents_incident_pass_restricted_to_postmortem();

UPDATE postmortems_postmortem AS postmortem SET incident_restricted = true
FROM incidents_incident AS incident
WHERE incident.id = postmortem.incident_id AND incident.restricted;
"""

FORGET = """
DROP TRIGGER incidents_incident_passes_restricted_to_postmortem_on_insert ON incidents_incident;
DROP TRIGGER incidents_incident_passes_restricted_to_postmortem ON incidents_incident;
DROP FUNCTION incidents_incident_pass_restricted_to_postmortem();
DROP TRIGGER postmortems_postmortem_takes_incident_restricted ON postmortems_postmortem;
DROP FUNCTION postmortems_postmortem_take_incident_restricted();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0015_keep_restricted_on_timeline_entries"),
        ("postmortems", "0015_contributing_factors"),
    ]

    operations = [
        migrations.AddField(
            model_name="postmortem",
            name="incident_restricted",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunSQL(KEEP, FORGET),
    ]
