"""Incidents' background work, run by the task queue's workers (core/queue.py)."""

from core import queue
from incidents import similarity


# Deferred by every write that can move similar-incidents lists (similarity.record_change,
# forget_incident): the changes, then the lists no longer trusted. A failed run is retried;
# its changes wait meanwhile, and the pages say so.
@queue.task(name=similarity.REFRESH_TASK, retries=5, retry_wait_seconds=10)
def refresh_similar() -> str:
    changes = similarity.process_changes()
    ranked = similarity.refresh_oldest(unranked_only=True)
    return f"{changes} change(s) processed, {ranked} list(s) ranked"


# Every minute: the changes whose job was lost, then the lists not ranked yet, then the oldest.
@queue.task(name="incidents.refresh_similar_lists", cron="* * * * *")
def refresh_similar_lists() -> str:
    changes = similarity.process_changes()
    ranked = similarity.refresh_oldest()
    return f"{changes} change(s) processed, {ranked} list(s) ranked"
