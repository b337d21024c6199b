from django.db import migrations

from core.snapshots import watch_tables


class Migration(migrations.Migration):
    """Teams and their members move the data version: the dashboard's and the insights' kept
    figures filtered by team are computed afresh when a team gains or loses a member."""

    dependencies = [
        ("core", "0007_add_user_language"),
    ]

    operations = [
        watch_tables("core_team", "core_team_members"),
    ]
