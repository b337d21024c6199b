from django.db import migrations, models

# Every action item keeps its postmortem's incident's ``restricted`` in
# ``incident_restricted``, so search applies the visibility rule without joining every match
# to its postmortem and incident. The database keeps it on every write path: an item takes the
# value when written or moved to another postmortem, and a postmortem whose value changes (its
# incident restricted or unrestricted, or the postmortem moved to another incident, see
# postmortems migration 0016) passes it on.
KEEP = """
CREATE FUNCTION actions_actionitem_take_incident_restricted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.incident_restricted := COALESCE(
        (
            SELECT incident.restricted
            FROM postmortems_postmortem AS postmortem
            JOIN incidents_incident AS incident ON incident.id = postmortem.incident_id
            WHERE postmortem.id = NEW.postmortem_id
        ),
        false
    );
    RETURN NEW;
END $$;

CREATE TRIGGER actions_actionitem_takes_incident_restricted
BEFORE INSERT OR UPDATE OF postmortem_id, incident_restricted ON actions_actionitem
FOR EACH ROW EXECUTE FUNCTION actions_actionitem_take_incident_restricted();

CREATE FUNCTION postmortems_postmortem_pass_restricted_to_action_items() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE actions_actionitem SET incident_restricted = NEW.incident_restricted
    WHERE postmortem_id = NEW.id
    AND incident_restricted IS DISTINCT FROM NEW.incident_restricted;
    RETURN NULL;
END $$;

CREATE TRIGGER postmortems_postmortem_passes_restricted_to_action_items
AFTER UPDATE ON postmortems_postmortem FOR EACH ROW
WHEN (OLD.incident_restricted IS DISTINCT FROM NEW.incident_restricted)
EXECUTE FUNCTION postmortems_postmortem_pass_restricted_to_action_items();

CREATE TRIGGER postmortems_postmortem_passes_restricted_to_action_items_on_insert
AFTER INSERT ON postmortems_postmortem FOR EACH ROW WHEN (NEW.incident_restricted)
EXECUTE FUNCTION postmortems_postmortem_pass_restricted_to_action_items();

UPDATE actions_actionitem AS item SET incident_restricted = true
FROM postmortems_postmortem AS postmortem
JOIN incidents_incident AS incident ON incident.id = postmortem.incident_id
WHERE postmortem.id = item.postmortem_id AND incident.restricted;
"""

FORGET = """
DROP TRIGGER postmortems_postmortem_passes_restricted_to_action_items_on_insert
    ON postmortems_postmortem;
DROP TRIGGER postmortems_postmortem_passes_restricted_to_action_items ON postmortems_postmortem;
DROP FUNCTION postmortems_postmortem_pass_restricted_to_action_items();
DROP TRIGGER actions_actionitem_takes_incident_restricted ON actions_actionitem;
DROP FUNCTION actions_actionitem_take_incident_restricted();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0010_french_search_vectors"),
        ("postmortems", "0016_keep_incident_restricted"),
    ]

    operations = [
        migrations.AddField(
            model_name="actionitem",
            name="incident_restricted",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunSQL(KEEP, FORGET),
    ]
