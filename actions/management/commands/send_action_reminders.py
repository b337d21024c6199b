"""Queue action item reminder emails. The worker does this daily (actions/tasks.py); this command
runs it by hand.

Each owner with overdue or soon-due items gets one digest; each Manager gets one summary of
everything overdue. Idempotent: a second run on the same day (in each recipient's time zone)
sends nothing more.
"""

from django.core.management.base import BaseCommand, CommandError

from actions.services import send_action_reminders


class Command(BaseCommand):
    help = "Queue today's action item reminder emails (owners' digests, managers' summaries)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print what would be sent; send and record nothing.",
        )

    def handle(self, *args, dry_run=False, **options):
        run = send_action_reminders(dry_run=dry_run)
        shown = run.due if dry_run else run.sent
        verb = "Would send" if dry_run else "Queued"
        for reminder in shown:
            recipient = reminder.recipient
            self.stdout.write(
                f"{verb} {reminder.kind.label} to {recipient.display_name} "
                f"<{recipient.email}>: {reminder.subject}"
            )
            if dry_run:
                for item, days in reminder.items:
                    if item.due_date < reminder.sent_on:
                        when = f"{days} days overdue"
                    else:
                        when = f"in {days} days" if days else "today"
                    self.stdout.write(
                        f"    {item.postmortem.incident.reference} #{item.pk} {item.title} "
                        f"(due {item.due_date:%Y-%m-%d}, {when})"
                    )
        for reminder in run.already_sent:
            self.stdout.write(
                f"Skipped {reminder.kind.label} to {reminder.recipient.display_name}: "
                f"already sent on {reminder.sent_on:%Y-%m-%d}."
            )
        if dry_run:
            self.stdout.write(
                f"Dry run: {len(run.due)} email(s) would be sent; nothing was sent or recorded."
            )
        else:
            self.stdout.write(
                f"{len(run.sent)} email(s) queued for delivery, "
                f"{len(run.already_sent)} already sent today."
            )
        if run.failed:
            for reminder, error in run.failed:
                self.stderr.write(
                    f"Failed to queue for {reminder.recipient.display_name} "
                    f"<{reminder.recipient.email}>: {error}"
                )
            raise CommandError(
                f"{len(run.failed)} email(s) could not be queued; the next run will retry them."
            )
