"""Enqueue the periodic jobs on their schedules when the task queue is Redis (see
core/queue.py). Run exactly one per deployment. With PostgreSQL the workers do this themselves."""

from django.core.management.base import BaseCommand

from core import queue


class Command(BaseCommand):
    help = "Enqueue the periodic jobs on schedule (Redis task queue only; run one)."

    def handle(self, *args, **options):
        if queue.backend() != queue.REDIS:
            self.stdout.write(
                "The task queue is PostgreSQL: its workers run the periodic jobs; nothing to do."
            )
            return
        queue.run_redis_cron()
