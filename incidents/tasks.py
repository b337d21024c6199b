"""Incidents' background work, run by `manage.py procrastinate worker`."""

from django.db import close_old_connections
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from incidents import similarity


# Deferred by every write that can move similar-incidents lists (similarity.record_change,
# forget_incident): the changes, then the lists no longer trusted. A failed run is retried;
# its changes wait meanwhile, and the pages say so.
@app.task(name=similarity.REFRESH_TASK, retry=RetryStrategy(max_attempts=5, exponential_wait=10))
def refresh_similar() -> str:
    close_old_connections()
    try:
        changes = similarity.process_changes()
        ranked = similarity.refresh_oldest(unranked_only=True)
        return f"{changes} change(s) processed, {ranked} list(s) ranked"
    finally:
        close_old_connections()


# Every minute: the changes whose job was lost, then the lists not ranked yet, then the oldest.
@app.periodic(cron="* * * * *", periodic_id="similar-incidents-refresh")
@app.task(name="incidents.refresh_similar_lists", queueing_lock="incidents.refresh_similar_lists")
def refresh_similar_lists(timestamp: int) -> str:
    close_old_connections()
    try:
        changes = similarity.process_changes()
        ranked = similarity.refresh_oldest()
        return f"{changes} change(s) processed, {ranked} list(s) ranked"
    finally:
        close_old_connections()
