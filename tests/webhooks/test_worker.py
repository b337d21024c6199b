"""The real task queue worker delivers webhooks on committed data, retrying a receiver that
answered 500 after the outbox's pause."""

import time

import pytest

from outbox.models import DeliveryStatus
from webhooks.models import WebhookDelivery

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("migration_data")]


def test_the_worker_retries_after_a_500_and_delivers_once(
    endpoint, receiver, ready, reviewer, author_client, settings, run_worker
):
    settings.OUTBOX_RETRY_BASE_SECONDS = 1
    receiver.statuses = [500]
    response = author_client.post(
        ready.review_url(), {"action": "request_review", "reviewers": [reviewer.pk]}
    )
    assert response.status_code == 302

    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_status_code == 500

    time.sleep(1.2)  # the retry is scheduled one second after the failed attempt
    run_worker()
    run_worker()  # nothing more to do

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    assert [r.headers["X-Hindsight-Event"] for r in receiver.received] == [
        "postmortem.review_requested"
    ] * 2
