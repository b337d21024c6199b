"""The outbox against a real SMTP server (aiosmtpd on a local port): a workflow action never
waits for mail, a failed delivery is kept with its error and retried later, each email is
delivered once. Delivery here runs the worker's own code in the test's transaction; the worker
process itself is exercised in test_worker.py."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from procrastinate.contrib.django.models import ProcrastinateJob

from outbox.models import DeliveryStatus, OutgoingEmail
from outbox.services import deliver_email, send_email, sweep
from postmortems.models import PostmortemStatus

pytestmark = pytest.mark.django_db


def _request_review(client, postmortem, reviewer):
    return client.post(
        postmortem.review_url(),
        {"action": "request_review", "reviewers": [reviewer.pk]},
        follow=True,
    )


def _queue_one(**overrides) -> OutgoingEmail:
    fields = {"to": ["pat@example.com"], "subject": "Hello", "body": "Body.", "kind": "test"}
    return send_email(**{**fields, **overrides})


def test_with_the_mail_server_down_requesting_a_review_succeeds_and_the_email_waits(
    smtp, ready, reviewer, author_client, pinned_now
):
    response = _request_review(author_client, ready, reviewer)

    assert response.status_code == 200
    assert "Review requested." in response.content.decode()
    ready.refresh_from_db()
    assert ready.status == PostmortemStatus.IN_REVIEW
    [email] = OutgoingEmail.objects.all()
    assert email.status == DeliveryStatus.PENDING and email.to == [reviewer.email]
    assert email.subject == f"Review requested: {ready.incident.reference} Checkout outage"
    job = ProcrastinateJob.objects.get(pk=email.job_id)
    assert job.status == "todo" and job.args == {"email_id": email.pk}

    assert deliver_email(email_id=email.pk, job_id=email.job_id).startswith("failed")

    email.refresh_from_db()
    assert email.status == DeliveryStatus.PENDING
    assert email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error
    assert email.next_attempt_at == email.last_attempt_at + timedelta(seconds=60)
    retry = ProcrastinateJob.objects.get(pk=email.job_id)
    assert retry.pk != job.pk and retry.status == "todo"
    assert smtp.received == []


def test_when_the_server_returns_each_email_arrives_once(smtp, ready, reviewer, author_client):
    _request_review(author_client, ready, reviewer)
    email = OutgoingEmail.objects.get()
    deliver_email(email_id=email.pk)  # refused: nothing listens yet

    smtp.start()
    assert deliver_email(email_id=email.pk) == "sent"
    assert deliver_email(email_id=email.pk) == "not pending, or being delivered by another worker"

    [received] = smtp.received
    assert received.to == [reviewer.email]
    assert received.subject == email.subject
    assert received.message["Message-ID"] == email.message_id
    email.refresh_from_db()
    assert email.status == DeliveryStatus.SENT and email.attempts == 2 and email.job_id is None


def test_a_refusing_server_gets_doubling_pauses_until_the_outbox_gives_up(smtp, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 5
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    settings.OUTBOX_RETRY_MAX_SECONDS = 200
    smtp.refusing = True
    smtp.start()
    email = _queue_one()

    pauses = []
    for _attempt in range(4):
        deliver_email(email_id=email.pk)
        email.refresh_from_db()
        pauses.append((email.next_attempt_at - email.last_attempt_at).total_seconds())
    assert pauses == [60, 120, 200, 200]  # doubling, then capped
    assert "554" in email.last_error and email.status == DeliveryStatus.PENDING

    assert deliver_email(email_id=email.pk) == "failed; gave up"
    email.refresh_from_db()
    assert email.status == DeliveryStatus.FAILED and email.attempts == 5
    assert email.next_attempt_at is None and email.job_id is None
    assert smtp.received == []


def test_a_job_superseded_by_a_newer_one_does_nothing(smtp):
    smtp.start()
    email = _queue_one()
    assert deliver_email(email_id=email.pk, job_id=email.job_id + 1000).startswith("superseded")
    assert smtp.received == []
    assert deliver_email(email_id=email.pk, job_id=email.job_id) == "sent"


def test_a_change_rolled_back_leaves_no_email_and_no_job():
    with pytest.raises(RuntimeError), transaction.atomic():
        _queue_one()
        raise RuntimeError("the change failed")
    assert not OutgoingEmail.objects.exists()
    assert not ProcrastinateJob.objects.exists()


def test_the_sweeper_re_defers_due_emails_whose_job_was_lost(smtp):
    kept = _queue_one(subject="Its job is waiting")
    lost = _queue_one(subject="Its job was lost")
    assert sweep() == 0  # both have a job waiting
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs WHERE id = %s", [lost.job_id])

    assert sweep() == 1

    kept_job = kept.job_id
    kept.refresh_from_db()
    lost.refresh_from_db()
    assert kept.job_id == kept_job
    assert ProcrastinateJob.objects.get(pk=lost.job_id).status == "todo"
    smtp.start()
    deliver_email(email_id=lost.pk, job_id=lost.job_id)
    assert [mail.subject for mail in smtp.received] == ["Its job was lost"]


def test_the_sweeper_leaves_emails_that_are_not_due_yet(smtp):
    email = _queue_one()
    deliver_email(email_id=email.pk)  # refused; the retry waits a minute
    email.refresh_from_db()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs WHERE id = %s", [email.job_id])
    assert sweep() == 0
    assert sweep(now=email.next_attempt_at) == 1


def test_staff_see_failed_deliveries_read_only_and_retry_them_now(smtp, settings, admin_client):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    email = _queue_one(subject="Your digest")
    deliver_email(email_id=email.pk)  # refused, and one attempt is all it gets
    email.refresh_from_db()
    assert email.status == DeliveryStatus.FAILED

    changelist = reverse("admin:outbox_outgoingemail_changelist")
    page = admin_client.get(changelist, {"status__exact": "failed"}).content.decode()
    assert "Your digest" in page and "Retry now" in page
    found = admin_client.get(changelist, {"q": "pat@example"}).content.decode()
    assert "Your digest" in found
    detail = admin_client.get(
        reverse("admin:outbox_outgoingemail_change", args=[email.pk])
    ).content.decode()
    assert "ConnectionRefusedError" in detail
    assert 'name="subject"' not in detail  # nothing to edit

    response = admin_client.post(
        changelist,
        {"action": "retry_now_action", "_selected_action": [email.pk]},
        follow=True,
    )
    assert "1 email will be delivered again now." in response.content.decode()
    email.refresh_from_db()
    assert email.status == DeliveryStatus.PENDING
    assert ProcrastinateJob.objects.get(pk=email.job_id).status == "todo"

    smtp.start()
    assert deliver_email(email_id=email.pk, job_id=email.job_id) == "sent"
    assert [mail.subject for mail in smtp.received] == ["Your digest"]
