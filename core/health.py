"""What a load balancer asks before sending traffic: can this process serve requests now?

Each check returns ``None`` when it passes, or a sentence saying what is wrong. They read the
database directly and know no app, so they work before and after the task queue is installed.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

# The task queue's workers record a heartbeat here every few seconds (procrastinate 3.x) and
# delete their row when they stop.
WORKERS_TABLE = "procrastinate_workers"


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


def last_worker_heartbeat() -> datetime | None:
    """The newest heartbeat of any task-queue worker, or None if none was ever seen (or the
    queue's tables do not exist yet)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [WORKERS_TABLE])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(f"SELECT max(last_heartbeat) FROM {WORKERS_TABLE}")
        return cursor.fetchone()[0]


def check_worker() -> str | None:
    stale_after = settings.HINDSIGHT_WORKER_STALE_AFTER
    if stale_after <= 0:
        return None  # switched off: this deployment does not want readiness tied to workers
    heartbeat = last_worker_heartbeat()
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
