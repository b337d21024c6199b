"""Durable delivery of what leaves Hindsight: emails here, and every other kind of Delivery
(outbox.models), such as webhooks, through ``schedule``, ``attempt`` and ``requeue_lost``.

A change that should tell someone calls ``send_email`` inside its own transaction: the email is a
row, and the job that will deliver it is deferred with that same transaction (core/queue.py: in
it with PostgreSQL, right after its commit with Redis), so neither exists unless the change
committed. No request ever talks to a mail server. The worker runs
``deliver_email``; a failed attempt is recorded with its error and retried after a growing pause;
``sweep`` re-defers whatever is due but has no job (after a crash, or a lost job).
"""

import logging
from datetime import datetime, timedelta
from email.utils import make_msgid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import queue
from outbox.models import Delivery, DeliveryStatus, OutgoingEmail

logger = logging.getLogger(__name__)

DELIVER_EMAIL_TASK = OutgoingEmail.delivery_task
OUTBOX_QUEUE = "outbox"
# The domain of Message-IDs; fixed so a worker's host name does not leak into every email.
MESSAGE_ID_DOMAIN = "hindsight.outbox"


def send_email(
    *,
    to: list[str],
    subject: str,
    body: str,
    html: str = "",
    reply_to: list[str] | tuple[str, ...] = (),
    kind: str = "",
) -> OutgoingEmail:
    """Queue one email for delivery by the worker, in the caller's transaction."""
    with transaction.atomic():
        return schedule(
            OutgoingEmail(
                kind=kind,
                to=list(to),
                reply_to=list(reply_to),
                subject=subject,
                body=body,
                html=html,
                message_id=make_msgid(domain=MESSAGE_ID_DOMAIN),
            )
        )


def _defer_delivery(delivery: Delivery, *, delay: timedelta | None = None) -> int:
    """Queue the job that delivers ``delivery``, with the caller's transaction (core/queue.py)."""
    return queue.defer(
        delivery.delivery_task, delay=delay, **{delivery.delivery_argument: delivery.pk}
    )


def schedule(delivery: Delivery) -> Delivery:
    """Give a new row its first attempt now: what every kind of delivery calls once written."""
    delivery.next_attempt_at = timezone.now()
    delivery.save()
    delivery.job_id = _defer_delivery(delivery)
    delivery.save(update_fields=["job_id"])
    return delivery


def retry_delay(attempts: int) -> timedelta:
    """The pause after the ``attempts``-th failed attempt: doubling from
    ``OUTBOX_RETRY_BASE_SECONDS``, capped at ``OUTBOX_RETRY_MAX_SECONDS``."""
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.OUTBOX_RETRY_MAX_SECONDS))


def deliver_email(*, email_id: int, job_id: int | None = None) -> str:
    """One attempt at an email; what the worker runs. Returns what happened, for the log.

    If the process dies after the mail server accepted the message but before the commit, the
    email is still pending and is sent again later — the one window in which a person may
    receive a message twice (with the same Message-ID, so most mail clients show it once). No
    protocol closes that window without the mail server's help.
    """
    return attempt(OutgoingEmail, pk=email_id, job_id=job_id)


@transaction.atomic
def attempt(model: type[Delivery], *, pk: int, job_id: int | None = None) -> str:
    """Make one delivery attempt of ``model`` row ``pk``. Returns what happened, for the log.

    Exactly once: the row is locked (a second worker holding the same job skips it), checked to
    be still pending, sent, and marked sent in one transaction. The conversation with the other
    side happens while the row is locked, bounded by its timeout.
    """
    delivery = (
        model.objects.select_for_update(skip_locked=True)
        .filter(pk=pk, status=DeliveryStatus.PENDING)
        .first()
    )
    if delivery is None:
        return "not pending, or being delivered by another worker"
    if job_id is not None and delivery.job_id != job_id:
        return f"superseded by job {delivery.job_id}"
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    name = f"{model._meta.verbose_name} {delivery.pk}"
    try:
        delivery.send()
    except Exception as error:  # whatever the other side or the network did: record, retry
        delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
        if delivery.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            delivery.job_id = None
            logger.error("Gave up on %s after %s attempts: %s", name, delivery.attempts, error)
            outcome = "failed; gave up"
        else:
            delay = retry_delay(delivery.attempts)
            delivery.next_attempt_at = now + delay
            delivery.job_id = _defer_delivery(delivery, delay=delay)
            logger.warning("%s not sent (%s); retrying in %s", name, error, delay)
            outcome = f"failed; retrying in {delay}"
    else:
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = now
        delivery.next_attempt_at = None
        delivery.job_id = None
        outcome = "sent"
    delivery.save()
    return outcome


def sweep(*, now: datetime | None = None) -> int:
    """Re-defer every pending email that is due and whose job will not run. Returns how many."""
    return requeue_lost(OutgoingEmail, now=now)


@transaction.atomic
def requeue_lost(model: type[Delivery], *, now: datetime | None = None) -> int:
    """Re-defer every pending ``model`` row that is due and whose job will not run (lost, or
    held by a worker that stopped sending heartbeats). Returns how many."""
    now = now or timezone.now()
    due = dict(model.objects.due(now).values_list("pk", "job_id"))
    live = queue.live_jobs(
        due.values(),
        now=now,
        stalled_after=timedelta(seconds=settings.OUTBOX_STALLED_WORKER_SECONDS),
    )
    orphans = {pk: job_id for pk, job_id in due.items() if job_id not in live}
    count = 0
    # Locked only now, so a worker delivering a live job is never made to skip its row.
    for delivery in (
        model.objects.due(now).filter(pk__in=orphans).select_for_update(skip_locked=True)
    ):
        if delivery.job_id != orphans[delivery.pk]:
            continue  # given a new job since it was read
        delivery.job_id = _defer_delivery(delivery)
        delivery.save(update_fields=["job_id", "updated_at"])
        count += 1
    if count:
        logger.warning(
            "Re-deferred %s %s whose job was lost", count, model._meta.verbose_name_plural
        )
    return count


@transaction.atomic
def retry_now(*, deliveries) -> int:
    """Staff's "Retry now": every given delivery (emails, or any kind) not yet sent gets an
    attempt at once (one more attempt for those that gave up). Those being delivered at this
    moment are left alone. Returns how many were scheduled."""
    now = timezone.now()
    count = 0
    for delivery in deliveries.exclude(status=DeliveryStatus.SENT).select_for_update(
        skip_locked=True
    ):
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = now
        delivery.job_id = _defer_delivery(delivery)
        delivery.save(update_fields=["status", "next_attempt_at", "job_id", "updated_at"])
        count += 1
    return count
