from django.db import migrations

from core.snapshots import watch_tables


class Migration(migrations.Migration):
    """Writes to incidents, their services and tags move the data version that kept summaries
    (insights, the action item dashboard) are checked against."""

    dependencies = [
        ("core", "0005_data_version"),
        ("incidents", "0008_keep_similar_incidents"),
    ]

    operations = [
        # The worker ranking similar incidents stamps similar_computed_at all day long: no
        # summary shows it.
        watch_tables("incidents_incident", ignoring=("similar_computed_at",)),
        watch_tables(
            "incidents_incident_services",
            "incidents_incident_tags",
            "incidents_service",
            "incidents_tag",
        ),
    ]
