"""Action items' scheduled work, run by the task queue's workers (core/queue.py)."""

from django.conf import settings

from actions.services import publish_overdue_items, send_action_reminders
from core import queue


# Once a day; idempotent per recipient and local day, so a second run (a retried job, a manual
# `send_action_reminders`) queues nothing more, and a failed run may simply be retried.
@queue.task(
    name="actions.send_reminders",
    cron=settings.ACTION_REMINDER_CRON,
    retries=5,
    retry_wait_seconds=60,
)
def send_reminders() -> str:
    run = send_action_reminders()
    publish_overdue_items()
    if run.failed:
        raise RuntimeError(f"{len(run.failed)} reminder(s) could not be queued; see the log.")
    return f"{len(run.sent)} queued, {len(run.already_sent)} already sent today"
