"""The real procrastinate worker delivering the outbox, on committed data (transactional tests),
against a real SMTP server."""

import threading
import time

import pytest
from django.db import connection

from outbox.models import DeliveryStatus, OutgoingEmail
from outbox.services import deliver_email, send_email
from postmortems.models import PostmortemStatus
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("migration_data")]


def _queue(count: int) -> list[OutgoingEmail]:
    return [
        send_email(
            to=[f"person{n}@example.com"], subject=f"Message {n}", body="Hello.", kind="test"
        )
        for n in range(count)
    ]


def test_with_the_mail_server_down_a_review_request_commits_and_answers(
    smtp, ready, reviewer, author_client, run_worker
):
    response = author_client.post(
        ready.review_url(), {"action": "request_review", "reviewers": [reviewer.pk]}
    )
    assert response.status_code == 302
    ready.refresh_from_db()
    assert ready.status == PostmortemStatus.IN_REVIEW

    run_worker()  # the attempt fails: nothing listens

    email = OutgoingEmail.objects.get()
    assert email.status == DeliveryStatus.PENDING and email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error


def test_the_worker_delivers_each_email_once_when_the_server_is_back(smtp, settings, run_worker):
    settings.OUTBOX_RETRY_BASE_SECONDS = 1
    emails = _queue(3)
    run_worker()
    assert {e.attempts for e in OutgoingEmail.objects.all()} == {1}

    smtp.start()
    time.sleep(1.2)  # the retries are scheduled one second after the failed attempts
    run_worker()

    assert sorted(mail.subject for mail in smtp.received) == ["Message 0", "Message 1", "Message 2"]
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    run_worker()  # nothing left to do
    assert len(smtp.received) == len(emails)


def test_two_workers_racing_for_one_email_deliver_it_once(smtp):
    smtp.delay = 0.5  # the first sender holds the row while the server takes its time
    smtp.start()
    [email] = _queue(1)
    start = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            start.wait()
            outcomes.append(deliver_email(email_id=email.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["not pending, or being delivered by another worker", "sent"]
    assert [mail.subject for mail in smtp.received] == ["Message 0"]
    email.refresh_from_db()
    assert email.status == DeliveryStatus.SENT and email.attempts == 1


def test_a_worker_run_after_delivery_sends_nothing_more(smtp, run_worker):
    smtp.start()
    _queue(2)
    UserFactory()  # unrelated writes do not disturb the queue
    run_worker()
    run_worker()
    assert len(smtp.received) == 2
