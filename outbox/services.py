"""Durable delivery of what leaves Hindsight (emails now, webhooks later).

A change that should tell someone calls ``send_email`` inside its own transaction: the email is a
row, and the job that will deliver it is deferred in that same transaction, so both exist if and
only if the change committed. No request ever talks to a mail server. The worker runs
``deliver_email``; a failed attempt is recorded with its error and retried after a growing pause;
``sweep`` re-defers whatever is due but has no job (after a crash, or a lost job).
"""

import logging
from datetime import datetime, timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from procrastinate import manager, tasks
from procrastinate.contrib.django.django_connector import DjangoConnector
from procrastinate.contrib.django.models import ProcrastinateJob

from outbox.models import DeliveryStatus, OutgoingEmail

logger = logging.getLogger(__name__)

DELIVER_EMAIL_TASK = "outbox.deliver_email"
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
        email = OutgoingEmail.objects.create(
            kind=kind,
            to=list(to),
            reply_to=list(reply_to),
            subject=subject,
            body=body,
            html=html,
            message_id=make_msgid(domain=MESSAGE_ID_DOMAIN),
            next_attempt_at=timezone.now(),
        )
        email.job_id = _defer_delivery(email)
        email.save(update_fields=["job_id"])
    return email


def _defer_delivery(email: OutgoingEmail, *, delay: timedelta | None = None) -> int:
    """Defer a delivery job through Django's own connection, so the job commits or rolls back
    with the caller's transaction, also on the worker (whose procrastinate app talks to the
    database over a connection of its own)."""
    deferrer = tasks.configure_task(
        name=DELIVER_EMAIL_TASK,
        job_manager=manager.JobManager(DjangoConnector()),
        queue=OUTBOX_QUEUE,
        schedule_in={"seconds": delay.total_seconds()} if delay else None,
    )
    return deferrer.defer(email_id=email.pk)


def retry_delay(attempts: int) -> timedelta:
    """The pause after the ``attempts``-th failed attempt: doubling from
    ``OUTBOX_RETRY_BASE_SECONDS``, capped at ``OUTBOX_RETRY_MAX_SECONDS``."""
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.OUTBOX_RETRY_MAX_SECONDS))


def _as_message(email: OutgoingEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body,
        to=email.to,
        reply_to=email.reply_to or None,
        headers={"Message-ID": email.message_id},
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    return message


@transaction.atomic
def deliver_email(*, email_id: int, job_id: int | None = None) -> str:
    """Make one delivery attempt; what the worker runs. Returns what happened, for the log.

    Exactly once: the row is locked (a second worker holding the same job skips it), checked to
    be still pending, sent, and marked sent in one transaction. The SMTP conversation happens
    while the row is locked, bounded by EMAIL_TIMEOUT. If the process dies after the mail server
    accepted the message but before the commit, the transaction rolls back: the row is still
    pending and the sweeper delivers it again — the one window in which a person may receive a
    message twice (with the same Message-ID, so most mail clients show it once). No protocol
    closes that window without the mail server's help.
    """
    email = (
        OutgoingEmail.objects.select_for_update(skip_locked=True)
        .filter(pk=email_id, status=DeliveryStatus.PENDING)
        .first()
    )
    if email is None:
        return "not pending, or being delivered by another worker"
    if job_id is not None and email.job_id != job_id:
        return f"superseded by job {email.job_id}"
    now = timezone.now()
    email.attempts += 1
    email.last_attempt_at = now
    try:
        _as_message(email).send()
    except Exception as error:  # whatever the mail server or network did, record it and retry
        email.last_error = f"{type(error).__name__}: {error}"[:2000]
        if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            email.status = DeliveryStatus.FAILED
            email.next_attempt_at = None
            email.job_id = None
            logger.error(
                "Gave up on email %s after %s attempts: %s", email.pk, email.attempts, error
            )
            outcome = "failed; gave up"
        else:
            delay = retry_delay(email.attempts)
            email.next_attempt_at = now + delay
            email.job_id = _defer_delivery(email, delay=delay)
            logger.warning("Email %s not sent (%s); retrying in %s", email.pk, error, delay)
            outcome = f"failed; retrying in {delay}"
    else:
        email.status = DeliveryStatus.SENT
        email.sent_at = now
        email.next_attempt_at = None
        email.job_id = None
        outcome = "sent"
    email.save()
    return outcome


def _live_job(stalled_after: timedelta, now: datetime):
    """A delivery job that will still run: waiting, or running on a worker whose heartbeat is
    recent (a worker that died leaves its jobs "doing" forever)."""
    return ProcrastinateJob.objects.filter(id=OuterRef("job_id")).filter(
        Q(status="todo") | Q(status="doing", worker__last_heartbeat__gte=now - stalled_after)
    )


@transaction.atomic
def sweep(*, now: datetime | None = None) -> int:
    """Re-defer every pending email that is due and has no live job. Returns how many."""
    now = now or timezone.now()
    stalled_after = timedelta(seconds=settings.OUTBOX_STALLED_WORKER_SECONDS)
    orphans = (
        OutgoingEmail.objects.due(now)
        .filter(~Exists(_live_job(stalled_after, now)))
        .select_for_update(skip_locked=True)
    )
    count = 0
    for email in orphans:
        email.job_id = _defer_delivery(email)
        email.save(update_fields=["job_id", "updated_at"])
        count += 1
    if count:
        logger.warning("Re-deferred %s email(s) whose delivery job was lost", count)
    return count


@transaction.atomic
def retry_now(*, emails) -> int:
    """Staff's "Retry now": every given email not yet sent gets an attempt at once (one more
    attempt for those that gave up). Emails being delivered at this moment are left alone.
    Returns how many were scheduled."""
    now = timezone.now()
    count = 0
    for email in emails.exclude(status=DeliveryStatus.SENT).select_for_update(skip_locked=True):
        email.status = DeliveryStatus.PENDING
        email.next_attempt_at = now
        email.job_id = _defer_delivery(email)
        email.save(update_fields=["status", "next_attempt_at", "job_id", "updated_at"])
        count += 1
    return count
