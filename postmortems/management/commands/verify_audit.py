from django.core.management.base import BaseCommand, CommandError

from postmortems.audit import verify_chain


class Command(BaseCommand):
    help = (
        "Check the audit trail's hash chain. Prints a summary when it is intact; otherwise names "
        "the first broken link and exits with status 1."
    )

    def handle(self, *args, **options):
        report = verify_chain()
        if report.broken:
            raise CommandError(
                f"Audit trail broken at entry {report.broken.entry_id}: {report.broken.problem} "
                f"({report.checked} entries checked.)"
            )
        if not report.checked:
            self.stdout.write(self.style.SUCCESS("The audit trail is empty: nothing to verify."))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"The audit trail is intact: {report.checked} entries, each chained to the one "
                f"before. Newest hash: {report.head}"
            )
        )
