from django.db import migrations

from core.snapshots import watch_tables


class Migration(migrations.Migration):
    """Writes to incidents, their services and tags move the data version that kept summaries
    (insights, the action item dashboard) are checked against."""

    dependencies = [
        ("core", "0004_data_version"),
        ("incidents", "0007_trigram_word_similarity_cost"),
    ]

    operations = [
        watch_tables(
            "incidents_incident",
            "incidents_incident_services",
            "incidents_incident_tags",
            "incidents_service",
            "incidents_tag",
        ),
    ]
