"""Load demo data for `make run`. Idempotent: running it again changes nothing."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from core.models import Role, User
from incidents.models import Incident, Service, Severity, Status, TimelineEntry, TimelineKind

DEMO_PASSWORD = "hindsight-demo"
DEMO_USERS = [
    # username, first name, last name, roles, staff
    ("alex", "Alex", "Author", [Role.AUTHOR], False),
    ("riley", "Riley", "Reviewer", [Role.REVIEWER, Role.AUTHOR], False),
    ("morgan", "Morgan", "Manager", [Role.MANAGER], False),
    ("admin", "Ada", "Admin", [Role.AUTHOR, Role.REVIEWER, Role.MANAGER], True),
]
DEMO_SERVICES = ["API gateway", "Checkout", "Payments", "Search", "Accounts", "Primary database"]

H = timedelta(hours=1)
M = timedelta(minutes=1)
DEMO_INCIDENTS = [
    {
        "title": "Checkout failures after payments config deploy",
        "severity": Severity.SEV1,
        "status": Status.RESOLVED,
        "services": ["Checkout", "Payments"],
        "ago": timedelta(days=12),
        "detect": 6 * M,
        "mitigate": 48 * M,
        "resolve": 2 * H,
        "impact": "About **18%** of checkout attempts failed for 48 minutes.",
        "timeline": [
            (0 * M, TimelineKind.NOTE, "Payments config change rolled out to all regions."),
            (6 * M, TimelineKind.DETECTION, "Checkout error-rate alert fired (5xx > 2%)."),
            (9 * M, TimelineKind.ESCALATION, "Paged the payments on-call; incident declared."),
            (
                15 * M,
                TimelineKind.BLIND_ALLEY,
                "Suspected the card processor; their status page was green and test charges worked.",
            ),
            (
                31 * M,
                TimelineKind.GOLDEN_PATH,
                "Noticed errors started with the config rollout; diffed the config and found the wrong timeout unit.",
            ),
            (
                48 * M,
                TimelineKind.MITIGATION,
                "Rolled the config back; error rate back to baseline.",
            ),
            (50 * M, TimelineKind.COMMUNICATION, "Status page updated: checkout recovered."),
            (2 * H, TimelineKind.RESOLUTION, "Fixed config validated in staging and redeployed."),
        ],
    },
    {
        "title": "Search results stale for two days",
        "severity": Severity.SEV3,
        "status": Status.RESOLVED,
        "services": ["Search"],
        "ago": timedelta(days=30),
        "detect": 30 * H,
        "mitigate": 36 * H,
        "resolve": 40 * H,
        "impact": "New products did not appear in search results.",
        "timeline": [
            (0 * M, TimelineKind.NOTE, "Indexer worker stopped consuming after a broker restart."),
            (
                30 * H,
                TimelineKind.DETECTION,
                "Merchant support ticket: new listings missing from search.",
            ),
            (
                31 * H,
                TimelineKind.INVESTIGATION,
                "Indexer lag dashboard shows no progress since Tuesday.",
            ),
            (36 * H, TimelineKind.MITIGATION, "Restarted the indexer; backlog drained in 3 hours."),
            (
                40 * H,
                TimelineKind.RESOLUTION,
                "Backlog cleared; lag alert added to the on-call dashboard.",
            ),
        ],
    },
    {
        "title": "Login latency spike during database failover",
        "severity": Severity.SEV2,
        "status": Status.MITIGATED,
        "services": ["Accounts", "Primary database"],
        "ago": timedelta(days=2),
        "detect": 3 * M,
        "mitigate": 25 * M,
        "resolve": None,
        "impact": "Sign-ins took up to 20 seconds for about 25 minutes.",
        "timeline": [
            (0 * M, TimelineKind.NOTE, "Planned failover of the primary database started."),
            (3 * M, TimelineKind.DETECTION, "p99 login latency alert."),
            (10 * M, TimelineKind.BLIND_ALLEY, "Scaled up the accounts service; no change."),
            (
                18 * M,
                TimelineKind.GOLDEN_PATH,
                "Connection pool still pointed at the old primary's address.",
            ),
            (
                25 * M,
                TimelineKind.MITIGATION,
                "Restarted the accounts pods to pick up the new address.",
            ),
        ],
    },
    {
        "title": "API gateway returning 502s in one region",
        "severity": Severity.SEV2,
        "status": Status.INVESTIGATING,
        "services": ["API gateway"],
        "ago": timedelta(hours=3),
        "detect": 4 * M,
        "mitigate": None,
        "resolve": None,
        "impact": "",
        "timeline": [
            (4 * M, TimelineKind.DETECTION, "Synthetic checks failing from eu-west."),
            (12 * M, TimelineKind.INVESTIGATION, "Load balancer health checks flapping."),
        ],
    },
]


class Command(BaseCommand):
    help = "Create demo users, services and incidents (once; safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even when DEBUG is off (never in production)."
        )

    @transaction.atomic
    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Demo data is for development; refusing to load it with DEBUG off.")
        users = self._users()
        services = {name: Service.objects.get_or_create(name=name)[0] for name in DEMO_SERVICES}
        created = self._incidents(users, services)
        self.stdout.write(
            f"Demo data ready ({created} new incidents). Sign in with any of these users, "
            f"password {DEMO_PASSWORD!r}:"
        )
        for username, first, _last, roles, staff in DEMO_USERS:
            role_list = ", ".join(roles) + (", staff" if staff else "")
            self.stdout.write(f"  {username:<8} {first} ({role_list})")

    def _users(self) -> dict[str, User]:
        users = {}
        for username, first, last, roles, staff in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.com",
                    "is_staff": staff,
                    "is_superuser": staff,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
                user.groups.set(Group.objects.filter(name__in=roles))
            users[username] = user
        return users

    def _incidents(self, users, services) -> int:
        now = timezone.now().replace(second=0, microsecond=0)
        created = 0
        for spec in DEMO_INCIDENTS:
            if Incident.objects.filter(title=spec["title"]).exists():
                continue
            started = now - spec["ago"]

            def after(offset, started=started):
                return started + offset if offset is not None else None

            incident = Incident.objects.create(
                title=spec["title"],
                severity=spec["severity"],
                status=spec["status"],
                started_at=started,
                detected_at=after(spec["detect"]),
                mitigated_at=after(spec["mitigate"]),
                resolved_at=after(spec["resolve"]),
                customer_impact=spec["impact"],
                commander=users["riley"],
                created_by=users["alex"],
            )
            incident.services.set([services[name] for name in spec["services"]])
            for offset, kind, body in spec["timeline"]:
                TimelineEntry.objects.create(
                    incident=incident,
                    occurred_at=started + offset,
                    kind=kind,
                    body=body,
                    author=users["alex"],
                )
            created += 1
        return created
