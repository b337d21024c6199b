"""The webhooks' jobs, run by the task queue's workers (core/queue.py)."""

from django.conf import settings

from core import queue
from webhooks import services


@queue.task(name=services.DELIVER_TASK, queue=services.WEBHOOKS_QUEUE, pass_job_id=True)
def deliver(delivery_id: int, job_id: int) -> str:
    return services.deliver(delivery_id=delivery_id, job_id=job_id)


@queue.task(name="webhooks.sweep", queue=services.WEBHOOKS_QUEUE, cron=settings.OUTBOX_SWEEP_CRON)
def sweep() -> int:
    return services.sweep()
