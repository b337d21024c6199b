"""What a load balancer asks before sending traffic: can this process serve requests now?

Each check returns ``None`` when it passes, or a sentence saying what is wrong. They read the
database (or the task queue's Redis) directly and know no app, so they work before and after the
task queue is installed.
"""

from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from core import queue


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return f"The database cannot be reached: {error}".strip()
    return None


def unapplied_migrations() -> list[str]:
    """Every migration on disk that the database has not recorded as applied."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def check_migrations() -> str | None:
    pending = unapplied_migrations()
    if pending:
        return (
            f"{len(pending)} migration(s) not applied, first {pending[0]}; run manage.py migrate."
        )
    return None


def check_worker() -> str | None:
    stale_after = settings.HINDSIGHT_WORKER_STALE_AFTER
    if stale_after <= 0:
        return None  # switched off: this deployment does not want readiness tied to workers
    try:
        heartbeat = queue.last_worker_heartbeat()
    except queue.QueueUnreachable as error:
        return f"The task queue cannot be reached: {error}"
    if heartbeat is None:
        return "No task-queue worker has been seen; start one."
    silent_for = timezone.now() - heartbeat
    if silent_for > timedelta(seconds=stale_after):
        return (
            f"No task-queue worker seen for {int(silent_for.total_seconds())} s "
            f"(allowed {stale_after} s); check the workers."
        )
    return None


CHECKS = ("database", "migrations", "worker")
SKIPPED = "Not checked: the database cannot be reached."


def readiness() -> dict[str, str]:
    """Each check's name and "ok" or what is wrong. The later checks need the database, so
    they are skipped when it cannot be reached."""
    failures = {"database": check_database()}
    if failures["database"] is None:
        try:
            failures["migrations"] = check_migrations()
            failures["worker"] = check_worker()
        except DatabaseError as error:  # the database went away between the checks
            failures["database"] = f"The database cannot be reached: {error}".strip()
    return {name: failures.get(name, SKIPPED) or "ok" for name in CHECKS}
