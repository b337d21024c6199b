from django.db import migrations

from core.snapshots import watch_tables


class Migration(migrations.Migration):
    """Writes to postmortems and their co-authors (who may read a draft) move the data version
    that kept summaries (insights, the action item dashboard) are checked against."""

    dependencies = [
        ("core", "0005_data_version"),
        ("postmortems", "0007_bound_dates_to_1970_2100"),
    ]

    operations = [
        watch_tables("postmortems_postmortem", "postmortems_postmortem_co_authors"),
    ]
