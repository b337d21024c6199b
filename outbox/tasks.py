"""The outbox's jobs, run by the task queue's workers (core/queue.py)."""

from django.conf import settings

from core import queue
from outbox import services


@queue.task(name=services.DELIVER_EMAIL_TASK, queue=services.OUTBOX_QUEUE, pass_job_id=True)
def deliver_email(email_id: int, job_id: int) -> str:
    return services.deliver_email(email_id=email_id, job_id=job_id)


# Every minute by default, once per tick whatever the number of workers.
@queue.task(name="outbox.sweep", queue=services.OUTBOX_QUEUE, cron=settings.OUTBOX_SWEEP_CRON)
def sweep() -> int:
    return services.sweep()
