"""Alerting's scheduled work, run by `manage.py procrastinate worker`."""

from django.db import close_old_connections
from procrastinate.contrib.django import app

from alerting.services import prune_deliveries


# Once a day, at a quiet minute; pruning twice deletes nothing more.
@app.periodic(cron="23 3 * * *", periodic_id="alerting-prune-deliveries")
@app.task(name="alerting.prune_deliveries", queueing_lock="alerting.prune_deliveries")
def prune_delivery_log(timestamp: int) -> str:
    close_old_connections()
    try:
        return f"{prune_deliveries()} deliveries pruned"
    finally:
        close_old_connections()
