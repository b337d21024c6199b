"""The task queue: the one place that knows which backend runs Hindsight's background jobs.

Apps declare their jobs with ``@task`` (periodic ones with ``cron=``) in their ``tasks.py`` and
defer them with ``defer(name, **kwargs)``; they never import a backend. ``HINDSIGHT_TASK_QUEUE``
chooses it:

- ``postgres`` (the default): procrastinate, in the database Hindsight already uses. A job
  deferred inside a transaction is a row of that transaction, so it exists exactly when the
  change committed.
- ``redis``: RQ on ``REDIS_URL``. Redis cannot join the database transaction, so a job is
  enqueued once the transaction has committed (``transaction.on_commit``); a job lost between
  the commit and the enqueue (Redis unreachable, a crash) is for the caller's sweeper to find
  with ``live_jobs``, as ``outbox.services.sweep`` does.

Either way a job's id is an integer the caller may keep; ``live_jobs`` says which will still run.
"""

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction

logger = logging.getLogger(__name__)

POSTGRES = "postgres"
REDIS = "redis"
BACKENDS = (POSTGRES, REDIS)
DEFAULT_QUEUE = "default"
# procrastinate's workers record a heartbeat here every few seconds and delete their row when
# they stop.
POSTGRES_WORKERS_TABLE = "procrastinate_workers"
# RQ job ids are strings; ours are this prefix and the integer the caller keeps.
REDIS_JOB_PREFIX = "hindsight-"
# An RQ job is kept this long after it finished, so the sweeper can still see it ran.
REDIS_RESULT_TTL_SECONDS = 24 * 60 * 60


class QueueUnreachable(Exception):
    """The queue's own service (Redis) does not answer."""


@dataclass(frozen=True)
class Task:
    name: str
    function: Callable[..., Any]
    queue: str
    cron: str | None
    retries: int
    retry_wait_seconds: int
    pass_job_id: bool

    def run(self, kwargs: dict, *, job_id: int | None) -> Any:
        """Run the job as a worker does, with the fresh-connection rules of a request."""
        if self.pass_job_id:
            kwargs = {**kwargs, "job_id": job_id}
        close_old_connections()
        try:
            return self.function(**kwargs)
        finally:
            close_old_connections()


_tasks: dict[str, Task] = {}


def backend() -> str:
    return settings.HINDSIGHT_TASK_QUEUE


def task(
    *,
    name: str,
    queue: str = DEFAULT_QUEUE,
    cron: str | None = None,
    retries: int = 0,
    retry_wait_seconds: int = 60,
    pass_job_id: bool = False,
):
    """Declare a job. ``cron`` makes it periodic (5 fields, or 6 with seconds last; UTC), run
    once per tick. A job that raises is retried ``retries``
    times, after ``retry_wait_seconds`` doubling. With ``pass_job_id`` the function receives
    its own job's id as ``job_id``. Both backends learn of it here; only the configured one
    runs it.

    A periodic job runs once per tick: procrastinate defers each tick once however many workers
    there are; with Redis, the one `manage.py queue_cron` process enqueues it."""

    def register(function):
        declared = Task(name, function, queue, cron, retries, retry_wait_seconds, pass_job_id)
        _tasks[name] = declared
        _declare_to_procrastinate(declared)
        return function

    return register


def periodic_tasks() -> list[Task]:
    return [declared for declared in _tasks.values() if declared.cron]


def defer(name: str, *, delay: timedelta | None = None, **kwargs) -> int:
    """Queue the job ``name`` with ``kwargs`` (JSON values), to run after ``delay``; returns
    its id. Call it inside the transaction of the change that wants the job."""
    declared = _tasks[name]
    if backend() == REDIS:
        job_id = secrets.randbits(62)  # fits the bigint a caller keeps it in

        def enqueue():
            # The change has committed: a lost enqueue is logged, never the user's error.
            try:
                _enqueue_in_redis(declared, job_id, kwargs, delay)
            except Exception as error:  # Redis down, a network error: whatever it was
                logger.error("Job %s (%s) not enqueued in Redis: %s", job_id, name, error)

        transaction.on_commit(enqueue)
        return job_id
    return _defer_in_postgres(declared, kwargs, delay)


def live_jobs(job_ids: Iterable[int], *, now: datetime, stalled_after: timedelta) -> set[int]:
    """Those of ``job_ids`` that will still run: waiting, scheduled, or running on a worker
    that sent a heartbeat within ``stalled_after`` (a worker that died leaves its jobs
    running forever)."""
    job_ids = [job_id for job_id in job_ids if job_id is not None]
    if not job_ids:
        return set()
    if backend() == REDIS:
        return _live_jobs_in_redis(job_ids, since=now - stalled_after)
    from django.db.models import Q
    from procrastinate.contrib.django.models import ProcrastinateJob

    return set(
        ProcrastinateJob.objects.filter(id__in=job_ids)
        .filter(
            Q(status="todo") | Q(status="doing", worker__last_heartbeat__gte=now - stalled_after)
        )
        .values_list("id", flat=True)
    )


def failed_jobs(job_ids: Iterable[int]) -> set[int]:
    """Those of ``job_ids`` the queue gave up on (every retry failed). Raises QueueUnreachable
    when Redis does not answer."""
    job_ids = [job_id for job_id in job_ids if job_id is not None]
    if not job_ids:
        return set()
    if backend() == REDIS:
        return _failed_jobs_in_redis(job_ids)
    from procrastinate.contrib.django.models import ProcrastinateJob

    return set(
        ProcrastinateJob.objects.filter(id__in=job_ids, status="failed").values_list(
            "id", flat=True
        )
    )


def last_worker_heartbeat() -> datetime | None:
    """The newest heartbeat of any worker, or None if none is known (or the queue's tables do
    not exist yet). Raises QueueUnreachable when Redis does not answer."""
    if backend() == REDIS:
        return _last_worker_heartbeat_in_redis()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [POSTGRES_WORKERS_TABLE])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(f"SELECT max(last_heartbeat) FROM {POSTGRES_WORKERS_TABLE}")
        return cursor.fetchone()[0]


def run_job(name: str, kwargs: dict, job_id: int | None = None) -> Any:
    """What an RQ worker calls for every Hindsight job."""
    return _tasks[name].run(kwargs, job_id=job_id)


# --- PostgreSQL: procrastinate ------------------------------------------------------------


def _declare_to_procrastinate(declared: Task) -> None:
    from procrastinate import RetryStrategy
    from procrastinate.contrib.django import app

    retry = (
        RetryStrategy(max_attempts=declared.retries, exponential_wait=declared.retry_wait_seconds)
        if declared.retries
        else False
    )
    if declared.cron:

        def run_tick(timestamp: int):
            return declared.run({}, job_id=None)

        job = app.task(
            name=declared.name, queue=declared.queue, queueing_lock=declared.name, retry=retry
        )(run_tick)
        app.periodic(cron=declared.cron, periodic_id=declared.name)(job)
    else:

        def run(context, **kwargs):
            return declared.run(kwargs, job_id=context.job.id)

        app.task(name=declared.name, queue=declared.queue, pass_context=True, retry=retry)(run)


def _defer_in_postgres(declared: Task, kwargs: dict, delay: timedelta | None) -> int:
    """Defer through Django's own connection, so the job commits or rolls back with the
    caller's transaction, also on a worker (whose procrastinate app has a connection of its
    own)."""
    from procrastinate import manager, tasks
    from procrastinate.contrib.django.django_connector import DjangoConnector

    deferrer = tasks.configure_task(
        name=declared.name,
        job_manager=manager.JobManager(DjangoConnector()),
        queue=declared.queue,
        schedule_in={"seconds": delay.total_seconds()} if delay else None,
    )
    return deferrer.defer(**kwargs)


def run_postgres_worker(*, concurrency: int = 1, burst: bool = False, **options) -> None:
    """What `manage.py procrastinate worker` runs (and `queue_worker` with PostgreSQL): ``burst``
    stops once nothing is left to do; ``options`` go to procrastinate's ``run_worker``."""
    from procrastinate.contrib.django import app

    with app.replace_connector(app.connector.get_worker_connector()):
        app.run_worker(concurrency=concurrency, wait=not burst, **options)


# --- Redis: RQ ----------------------------------------------------------------------------


def redis_connection():
    """This process's client of ``REDIS_URL`` (its pool is reused, and reset after a fork)."""
    return _redis_client(settings.REDIS_URL)


@cache
def _redis_client(url: str):
    from redis import Redis

    return Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10)


def _rq_retry(declared: Task):
    from rq import Retry

    if not declared.retries:
        return None
    waits = [declared.retry_wait_seconds * 2**n for n in range(declared.retries)]
    return Retry(max=declared.retries, interval=waits)


def _enqueue_in_redis(declared: Task, job_id: int, kwargs: dict, delay: timedelta | None):
    from rq import Queue

    queue = Queue(declared.queue, connection=redis_connection())
    options = {
        "job_id": f"{REDIS_JOB_PREFIX}{job_id}",
        "kwargs": {"name": declared.name, "kwargs": kwargs, "job_id": job_id},
        "retry": _rq_retry(declared),
        "result_ttl": REDIS_RESULT_TTL_SECONDS,
    }
    if delay:
        queue.enqueue_in(delay, run_job, **options)
    else:
        queue.enqueue(run_job, **options)


def _live_jobs_in_redis(job_ids: list[int], *, since: datetime) -> set[int]:
    """Jobs waiting or scheduled, or running with a heartbeat after ``since`` (RQ itself marks
    a dead worker's job failed only at its next maintenance, minutes later)."""
    from redis.exceptions import RedisError
    from rq.job import Job, JobStatus

    waiting = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
    try:
        jobs = Job.fetch_many(
            [f"{REDIS_JOB_PREFIX}{job_id}" for job_id in job_ids], connection=redis_connection()
        )
    except RedisError as error:
        raise QueueUnreachable(f"Redis cannot be reached: {error}") from error

    def live(job) -> bool:
        status = job.get_status(refresh=False)
        if status == JobStatus.STARTED:
            return job.last_heartbeat is not None and job.last_heartbeat >= since
        return status in waiting

    return {
        job_id for job_id, job in zip(job_ids, jobs, strict=True) if job is not None and live(job)
    }


def _failed_jobs_in_redis(job_ids: list[int]) -> set[int]:
    from redis.exceptions import RedisError
    from rq.job import Job, JobStatus

    try:
        jobs = Job.fetch_many(
            [f"{REDIS_JOB_PREFIX}{job_id}" for job_id in job_ids], connection=redis_connection()
        )
    except RedisError as error:
        raise QueueUnreachable(f"Redis cannot be reached: {error}") from error
    return {
        job_id
        for job_id, job in zip(job_ids, jobs, strict=True)
        if job is not None and job.get_status(refresh=False) == JobStatus.FAILED
    }


def _last_worker_heartbeat_in_redis() -> datetime | None:
    from redis.exceptions import RedisError
    from rq import Worker

    try:
        heartbeats = [w.last_heartbeat for w in Worker.all(connection=redis_connection())]
    except RedisError as error:
        raise QueueUnreachable(f"Redis cannot be reached: {error}") from error
    return max((beat for beat in heartbeats if beat), default=None)


def queue_names() -> list[str]:
    return sorted({declared.queue for declared in _tasks.values()})


def run_redis_worker(*, burst: bool = False) -> None:
    """An RQ worker on every queue Hindsight uses, with RQ's scheduler (delayed jobs and retries;
    RQ lets one scheduler per queue act at a time, whatever the number of workers). Jobs run in
    the worker's own process, like procrastinate's, so it keeps its database connection."""
    from rq import SimpleWorker

    worker = SimpleWorker(queue_names(), connection=redis_connection())
    worker.work(burst=burst, with_scheduler=True)


def enqueue_periodic(name: str) -> None:
    """What RQ's cron scheduler enqueues at each tick: the job itself, with its retries."""
    defer(name)


def run_redis_cron() -> None:
    """Enqueue every periodic job on its schedule (RQ's CronScheduler). Run one per deployment:
    a second one would enqueue each tick twice."""
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=redis_connection())
    for declared in periodic_tasks():
        scheduler.register(
            enqueue_periodic,
            queue_name=declared.queue,
            kwargs={"name": declared.name},
            cron=declared.cron,
            name=declared.name,
        )
    scheduler.start()
