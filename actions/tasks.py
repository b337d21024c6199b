"""Action items' scheduled work, run by `manage.py procrastinate worker`."""

from django.conf import settings
from django.db import close_old_connections
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from actions.services import send_action_reminders


# Once a day; idempotent per recipient and local day, so a second run (a retried job, a manual
# `send_action_reminders`) queues nothing more, and a failed run may simply be retried.
@app.periodic(cron=settings.ACTION_REMINDER_CRON, periodic_id="action-reminders")
@app.task(
    name="actions.send_reminders",
    queueing_lock="actions.send_reminders",
    retry=RetryStrategy(max_attempts=5, exponential_wait=60),
)
def send_reminders(timestamp: int) -> str:
    close_old_connections()
    try:
        run = send_action_reminders()
    finally:
        close_old_connections()
    if run.failed:
        raise RuntimeError(f"{len(run.failed)} reminder(s) could not be queued; see the log.")
    return f"{len(run.sent)} queued, {len(run.already_sent)} already sent today"
