"""Run a task queue worker for the backend HINDSIGHT_TASK_QUEUE names (see core/queue.py):
procrastinate on PostgreSQL, or RQ on Redis. Start as many as you like, on any hosts."""

from django.core.management.base import BaseCommand, CommandError

from core import queue


class Command(BaseCommand):
    help = "Run a worker of the configured task queue (PostgreSQL or Redis)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--concurrency",
            type=int,
            default=1,
            help="Jobs run at a time by this process (PostgreSQL only; with Redis, start more "
            "workers).",
        )
        parser.add_argument(
            "--burst", action="store_true", help="Stop once no job is left to do now."
        )

    def handle(self, *args, concurrency, burst, **options):
        if concurrency < 1:
            raise CommandError("--concurrency must be at least 1.")
        if queue.backend() == queue.REDIS:
            if concurrency != 1:
                raise CommandError(
                    "With the Redis queue each worker runs one job at a time; start more "
                    "workers instead of --concurrency."
                )
            queue.run_redis_worker(burst=burst)
        else:
            queue.run_postgres_worker(concurrency=concurrency, burst=burst)
