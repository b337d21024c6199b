from django.db import migrations

from core.snapshots import watch_tables


class Migration(migrations.Migration):
    """Writes to action items move the data version that kept summaries (insights, the
    dashboard) are checked against."""

    dependencies = [
        ("core", "0005_data_version"),
        ("actions", "0005_index_the_list_orders_and_dashboard_lists"),
    ]

    operations = [
        watch_tables("actions_actionitem"),
    ]
