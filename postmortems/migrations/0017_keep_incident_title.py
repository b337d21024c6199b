import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.functions.comparison
from django.db import migrations, models

# Every postmortem also keeps its incident's title (a postmortem's title is its incident's) in
# ``incident_title``, with its words as ``incident_title_vector`` (weighted A, as in the
# incident's vector): search finds and ranks a postmortem by its title from its own row, not
# by looking up every incident titled with the words. The database keeps it as it keeps
# ``incident_restricted`` (migration 0016), on every write path: a postmortem takes it when
# written or moved to another incident, and an incident passes a new title (or restriction)
# on, as does an incident inserted after a postmortem that names it.
KEEP = """
CREATE OR REPLACE FUNCTION postmortems_postmortem_take_incident_restricted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    incident record;
BEGIN
    SELECT restricted, title INTO incident FROM incidents_incident WHERE id = NEW.incident_id;
    NEW.incident_restricted := COALESCE(incident.restricted, false);
    NEW.incident_title := COALESCE(incident.title, '');
    RETURN NEW;
END $$;

DROP TRIGGER postmortems_postmortem_takes_incident_restricted ON postmortems_postmortem;
CREATE TRIGGER postmortems_postmortem_takes_incident_restricted
BEFORE INSERT OR UPDATE OF incident_id, incident_restricted, incident_title
ON postmortems_postmortem
FOR EACH ROW EXECUTE FUNCTION postmortems_postmortem_take_incident_restricted();

CREATE OR REPLACE FUNCTION incidents_incident_pass_restricted_to_postmortem() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE postmortems_postmortem
    SET incident_restricted = NEW.restricted, incident_title = NEW.title
    WHERE incident_id = NEW.id
    AND (
        incident_restricted IS DISTINCT FROM NEW.restricted
        OR incident_title IS DISTINCT FROM NEW.title
    );
    RETURN NULL;
END $$;

DROP TRIGGER incidents_incident_passes_restricted_to_postmortem ON incidents_incident;
CREATE TRIGGER incidents_incident_passes_restricted_to_postmortem
AFTER UPDATE ON incidents_incident FOR EACH ROW
WHEN (OLD.restricted IS DISTINCT FROM NEW.restricted OR OLD.title IS DISTINCT FROM NEW.title)
EXECUTE FUNCTION incidents_incident_pass_restricted_to_postmortem();

DROP TRIGGER incidents_incident_passes_restricted_to_postmortem_on_insert ON incidents_incident;
CREATE TRIGGER incidents_incident_passes_restricted_to_postmortem_on_insert
AFTER INSERT ON incidents_incident FOR EACH ROW
EXECUTE FUNCTION incidents_incident_pass_restricted_to_postmortem();

UPDATE postmortems_postmortem AS postmortem SET incident_title = incident.title
FROM incidents_incident AS incident WHERE incident.id = postmortem.incident_id;
-- Checked now, so the index below may be built in the same transaction.
SET CONSTRAINTS ALL IMMEDIATE;
"""

FORGET = """
CREATE OR REPLACE FUNCTION postmortems_postmortem_take_incident_restricted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.incident_restricted := COALESCE(
        (SELECT restricted FROM incidents_incident WHERE id = NEW.incident_id), false
    );
    RETURN NEW;
END $$;

DROP TRIGGER postmortems_postmortem_takes_incident_restricted ON postmortems_postmortem;
CREATE TRIGGER postmortems_postmortem_takes_incident_restricted
BEFORE INSERT OR UPDATE OF incident_id, incident_restricted ON postmortems_postmortem
FOR EACH ROW EXECUTE FUNCTION postmortems_postmortem_take_incident_restricted();

CREATE OR REPLACE FUNCTION incidents_incident_pass_restricted_to_postmortem() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE postmortems_postmortem SET incident_restricted = NEW.restricted
    WHERE incident_id = NEW.id AND incident_restricted IS DISTINCT FROM NEW.restricted;
    RETURN NULL;
END $$;

DROP TRIGGER incidents_incident_passes_restricted_to_postmortem ON incidents_incident;
CREATE TRIGGER incidents_incident_passes_restricted_to_postmortem
AFTER UPDATE ON incidents_incident FOR EACH ROW
WHEN (OLD.restricted IS DISTINCT FROM NEW.restricted)
EXECUTE FUNCTION incidents_incident_pass_restricted_to_postmortem();

DROP TRIGGER incidents_incident_passes_restricted_to_postmortem_on_insert ON incidents_incident;
CREATE TRIGGER incidents_incident_passes_restricted_to_postmortem_on_insert
AFTER INSERT ON incidents_incident FOR EACH ROW WHEN (NEW.restricted)
EXECUTE FUNCTION incidents_incident_pass_restricted_to_postmortem();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0015_keep_restricted_on_timeline_entries"),
        ("postmortems", "0016_keep_incident_restricted"),
    ]

    operations = [
        migrations.AddField(
            model_name="postmortem",
            name="incident_title",
            field=models.CharField(default="", editable=False, max_length=200),
        ),
        migrations.AddField(
            model_name="postmortem",
            name="incident_title_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.contrib.postgres.search.SearchVector(
                    django.db.models.functions.comparison.Coalesce(
                        "incident_title", models.Value(""), output_field=models.TextField()
                    ),
                    config="english",
                    weight="A",
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.RunSQL(KEEP, FORGET),
        migrations.AddIndex(
            model_name="postmortem",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["incident_title_vector"], name="postmortem_title_search_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="postmortem",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["incident_title"],
                name="postmortem_title_trgm_idx",
                opclasses=["gin_trgm_ops"],
            ),
        ),
    ]
