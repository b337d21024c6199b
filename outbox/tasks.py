"""The outbox's jobs, run by `manage.py procrastinate worker`."""

from django.db import close_old_connections
from procrastinate import JobContext
from procrastinate.contrib.django import app

from outbox import services


@app.task(name=services.DELIVER_EMAIL_TASK, queue=services.OUTBOX_QUEUE, pass_context=True)
def deliver_email(context: JobContext, email_id: int) -> str:
    # Sync jobs run in worker threads: give each the fresh-connection rules of a request.
    close_old_connections()
    try:
        return services.deliver_email(email_id=email_id, job_id=context.job.id)
    finally:
        close_old_connections()


# Every minute, on whichever worker gets there first (procrastinate defers each tick once).
@app.periodic(cron="* * * * *", periodic_id="outbox-sweep")
@app.task(name="outbox.sweep", queue=services.OUTBOX_QUEUE, queueing_lock="outbox.sweep")
def sweep(timestamp: int) -> int:
    close_old_connections()
    try:
        return services.sweep()
    finally:
        close_old_connections()
