"""Postmortems' scheduled work, run by the task queue's workers (core/queue.py)."""

from django.conf import settings

from core import queue
from postmortems.requirements import send_requirement_reminders


# Once a day; idempotent per required postmortem and organisation day, so a retried or
# repeated run sends nothing more.
@queue.task(
    name="postmortems.remind_required",
    cron=settings.POSTMORTEM_REMINDER_CRON,
    retries=5,
    retry_wait_seconds=60,
)
def remind_required() -> str:
    run = send_requirement_reminders()
    return f"{len(run.sent)} reminded, {run.already_sent} already reminded today"
