"""Durable delivery of what leaves Hindsight (emails now, webhooks later).

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
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from core import queue
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
    """Queue the job that delivers ``email``, with the caller's transaction (core/queue.py)."""
    return queue.defer(DELIVER_EMAIL_TASK, delay=delay, email_id=email.pk)


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


@transaction.atomic
def sweep(*, now: datetime | None = None) -> int:
    """Re-defer every pending email that is due and whose job will not run (lost, or held by a
    worker that stopped sending heartbeats). Returns how many."""
    now = now or timezone.now()
    due = dict(OutgoingEmail.objects.due(now).values_list("pk", "job_id"))
    live = queue.live_jobs(
        due.values(),
        now=now,
        stalled_after=timedelta(seconds=settings.OUTBOX_STALLED_WORKER_SECONDS),
    )
    orphans = {pk: job_id for pk, job_id in due.items() if job_id not in live}
    count = 0
    # Locked only now, so a worker delivering a live job is never made to skip its email.
    for email in (
        OutgoingEmail.objects.due(now).filter(pk__in=orphans).select_for_update(skip_locked=True)
    ):
        if email.job_id != orphans[email.pk]:
            continue  # given a new job since it was read
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
