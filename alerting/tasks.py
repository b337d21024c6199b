"""Alerting's scheduled work, run by the task queue's workers (core/queue.py)."""

from alerting.services import prune_deliveries
from core import queue


# Once a day, at a quiet minute; pruning twice deletes nothing more.
@queue.task(name="alerting.prune_deliveries", cron="23 3 * * *")
def prune_delivery_log() -> str:
    return f"{prune_deliveries()} deliveries pruned"
