"""Rank incidents' similar incidents and keep them (incidents.similarity). The worker does this
after every change and for the oldest lists every minute; this command fills the lists at once,
e.g. after upgrading (until then each page ranks its own list, as before).
"""

import time

from django.core.management.base import BaseCommand, CommandError

from incidents.models import Incident
from incidents.similarity import rank_and_keep

BATCH = 500


class Command(BaseCommand):
    help = "Rank and keep similar incidents: of the given incidents, or of every one not ranked."

    def add_arguments(self, parser):
        parser.add_argument("references", nargs="*", help="e.g. INC-42 (default: every incident)")
        parser.add_argument(
            "--all", action="store_true", help="Rank every incident again, also those ranked."
        )

    def handle(self, *args, references=(), all=False, **options):
        if references:
            numbers = [Incident.number_from_reference(reference) for reference in references]
            if None in numbers:
                raise CommandError("References look like INC-42.")
            incidents = Incident.objects.filter(number__in=numbers)
        elif all:
            incidents = Incident.objects.all()
        else:
            incidents = Incident.objects.filter(similar_computed_at__isnull=True)
        pks = list(incidents.order_by("pk").values_list("pk", flat=True))
        started = time.perf_counter()
        for start in range(0, len(pks), BATCH):
            done = start + rank_and_keep(pks[start : start + BATCH])
            self.stdout.write(
                f"{done} of {len(pks)} ranked ({time.perf_counter() - started:.0f} s)"
            )
        self.stdout.write(
            f"Ranked {len(pks)} incident(s) in {time.perf_counter() - started:.1f} s."
        )
