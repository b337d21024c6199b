"""Core's background work, run by the task queue's workers (core/queue.py)."""

from core import queue, snapshots


# Queued by the first view of a kept summary after a write (core/snapshots.py); a lost or
# failed job costs nothing but time: once the summary is older than snapshots.MAX_AGE the page
# computes its own.
@queue.task(name=snapshots.REFRESH_TASK)
def refresh_kept_summary(summary: str, digest: str) -> str:
    return snapshots.refresh(summary, digest)
