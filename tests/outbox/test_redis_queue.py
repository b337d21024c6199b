"""The Redis task queue (HINDSIGHT_TASK_QUEUE=redis): workflow actions enqueue their emails in a
real redis-server once they commit, real RQ worker processes (`manage.py queue_worker`) deliver
them to a real SMTP server exactly once, and the periodic sweeper (`manage.py queue_cron`) finds
what Redis lost."""

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from rq import Queue
from rq.job import Job, JobStatus

from core import queue
from outbox.models import DeliveryStatus, OutgoingEmail
from outbox.services import OUTBOX_QUEUE, send_email, sweep
from tests.outbox.processes import (
    ROOT,
    print_logs,
    start_process,
    stop_processes,
    wait_until,
    worker_environment,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("migration_data")]


def _request_review(client, postmortem, reviewer):
    response = client.post(
        postmortem.review_url(), {"action": "request_review", "reviewers": [reviewer.pk]}
    )
    assert response.status_code == 302
    return OutgoingEmail.objects.get()


def _environment(smtp, redis_queue, **overrides):
    return worker_environment(
        smtp.port, HINDSIGHT_TASK_QUEUE="redis", REDIS_URL=redis_queue.url, **overrides
    )


def _run_burst_worker(env, tmp_path, name):
    process = start_process(
        [sys.executable, "manage.py", "queue_worker", "--burst"], env, tmp_path, name
    )
    try:
        assert process.wait(timeout=60) == 0, f"{name} exited with {process.returncode}"
    except BaseException:
        print_logs([process])
        raise
    finally:
        if process.poll() is None:
            process.kill()
        process.log.close()


def test_a_review_request_goes_through_redis_and_an_rq_worker_delivers_it_once(
    redis_queue, smtp, ready, reviewer, author_client, tmp_path
):
    redis_queue.start()
    smtp.start()

    email = _request_review(author_client, ready, reviewer)

    [job] = Queue(OUTBOX_QUEUE, connection=queue.redis_connection()).get_jobs()
    assert job.id == f"hindsight-{email.job_id}"
    assert job.kwargs == {
        "name": "outbox.deliver_email",
        "kwargs": {"email_id": email.pk},
        "job_id": email.job_id,
    }
    env = _environment(smtp, redis_queue)
    _run_burst_worker(env, tmp_path, "worker")
    _run_burst_worker(env, tmp_path, "worker-again")  # nothing left to do

    [received] = smtp.received
    assert received.to == [reviewer.email]
    assert received.subject == f"Review requested: {ready.incident.reference} Checkout outage"
    email.refresh_from_db()
    assert email.status == DeliveryStatus.SENT and email.attempts == 1 and email.job_id is None


def test_with_smtp_down_the_rq_workers_retry_and_each_email_arrives_once_when_it_is_back(
    redis_queue, smtp, client, tmp_path
):
    redis_queue.start()
    emails = [
        send_email(to=[f"p{n}@example.com"], subject=f"Message {n}", body="Hi.") for n in range(6)
    ]
    env = _environment(smtp, redis_queue)
    workers = [
        start_process([sys.executable, "manage.py", "queue_worker"], env, tmp_path, f"worker{n}")
        for n in range(2)
    ]
    try:
        wait_until(
            lambda: client.get(reverse("readyz")).json()["checks"]["worker"] == "ok",
            "the workers' heartbeats in /readyz/",
            workers,
        )
        wait_until(
            lambda: OutgoingEmail.objects.filter(attempts__gte=2).count() == len(emails),
            "retried delivery attempts",
            workers,
        )
        assert "ConnectionRefusedError" in OutgoingEmail.objects.first().last_error
        assert smtp.received == []

        smtp.start()
        wait_until(lambda: not OutgoingEmail.objects.pending().exists(), "delivery", workers)
        time.sleep(1.5)  # a duplicate, were there one, would have arrived by now
    except BaseException:
        print_logs(workers)
        raise
    finally:
        stop_processes(workers)

    assert sorted(mail.subject for mail in smtp.received) == [f"Message {n}" for n in range(6)]
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_an_email_whose_enqueue_was_lost_with_redis_down_is_found_by_the_periodic_sweeper(
    redis_queue, smtp, ready, reviewer, author_client, client, tmp_path
):
    # Redis is down when the change commits: the action still succeeds, the email waits.
    email = _request_review(author_client, ready, reviewer)
    assert email.status == DeliveryStatus.PENDING and email.job_id is not None
    readiness = client.get(reverse("readyz"))
    assert readiness.status_code == 503
    assert readiness.json()["checks"]["worker"].startswith("The task queue cannot be reached")

    redis_queue.start()
    smtp.start()
    assert Queue(OUTBOX_QUEUE, connection=queue.redis_connection()).count == 0
    assert client.get(reverse("readyz")).json()["checks"]["worker"] == (
        "No task-queue worker has been seen; start one."
    )
    # The sweeper every two seconds instead of every minute.
    env = _environment(smtp, redis_queue, HINDSIGHT_OUTBOX_SWEEP_CRON="* * * * * */2")
    processes = [
        start_process([sys.executable, "manage.py", command], env, tmp_path, command)
        for command in ("queue_cron", "queue_worker")
    ]
    try:
        wait_until(lambda: len(smtp.received) >= 1, "the swept email", processes)
        time.sleep(4.5)  # two more sweeps: a duplicate, were there one, would have arrived
    except BaseException:
        print_logs(processes)
        raise
    finally:
        stop_processes(processes)

    [received] = smtp.received
    assert received.to == [reviewer.email]
    email.refresh_from_db()
    assert email.status == DeliveryStatus.SENT and email.attempts == 1


def test_queue_cron_has_nothing_to_do_with_the_postgresql_queue():
    result = subprocess.run(
        [sys.executable, "manage.py", "queue_cron"],
        capture_output=True,
        text=True,
        timeout=60,
        env=worker_environment(25),
        cwd=ROOT,
    )
    assert result.returncode == 0
    assert "its workers run the periodic jobs" in result.stdout


def test_the_sweeper_asks_redis_which_delivery_jobs_will_still_run(redis_queue, pinned_now):
    redis_queue.start()
    waiting, lost, stalled = (
        send_email(to=["pat@example.com"], subject=f"Email {n}", body="Hi.") for n in range(3)
    )
    connection = queue.redis_connection()
    Job.fetch(f"hindsight-{lost.job_id}", connection=connection).delete()
    # Taken by a worker that died: started, its last heartbeat long before the allowed silence.
    job = Job.fetch(f"hindsight-{stalled.job_id}", connection=connection)
    job.set_status(JobStatus.STARTED)
    job.heartbeat(pinned_now - timedelta(hours=1), ttl=600)

    assert sweep() == 2

    jobs = {email.subject: email.job_id for email in OutgoingEmail.objects.all()}
    assert jobs["Email 0"] == waiting.job_id
    assert jobs["Email 1"] != lost.job_id and jobs["Email 2"] != stalled.job_id
    queued = set(Queue(OUTBOX_QUEUE, connection=connection).get_job_ids())
    assert {f"hindsight-{job_id}" for job_id in jobs.values()} <= queued
    assert sweep() == 0
