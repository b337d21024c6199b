"""The real task queue workers deliver webhooks on committed data: procrastinate's, retrying a
receiver that answered 500 after the outbox's pause, and an RQ worker process on a real
redis-server."""

import sys
import time

import pytest

from outbox.models import DeliveryStatus
from tests.outbox.conftest import free_port
from tests.outbox.processes import print_logs, start_process, stop_processes, worker_environment
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


def test_with_the_redis_queue_an_rq_worker_process_delivers_the_webhook(
    redis_queue, endpoint, receiver, ready, reviewer, author_client, tmp_path
):
    redis_queue.start()
    response = author_client.post(
        ready.review_url(), {"action": "request_review", "reviewers": [reviewer.pk]}
    )
    assert response.status_code == 302
    env = worker_environment(free_port(), HINDSIGHT_TASK_QUEUE="redis", REDIS_URL=redis_queue.url)
    worker = start_process(
        [sys.executable, "manage.py", "queue_worker", "--burst"], env, tmp_path, "worker"
    )
    try:
        assert worker.wait(timeout=60) == 0
    except BaseException:
        print_logs([worker])
        raise
    finally:
        stop_processes([worker])

    [request] = receiver.received
    assert request.json["event"] == "postmortem.review_requested"
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SENT
