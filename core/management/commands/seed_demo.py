"""Load demo data for `make run`. Idempotent: running it again changes nothing."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from actions.models import ActionKind, ActionStatus, Priority
from actions.services import action_item_create, action_item_set_status, action_item_update
from core.models import Role, Team, User
from incidents import similarity
from incidents.models import (
    Incident,
    Service,
    Severity,
    Status,
    Tag,
    TimelineEntry,
    TimelineKind,
)
from postmortems import review
from postmortems.factors import factor_add
from postmortems.models import FactorCategory, Postmortem, PostmortemTemplate
from postmortems.services import postmortem_create, postmortem_save_sections

DEMO_PASSWORD = "hindsight-demo"
DEMO_USERS = [
    # username, first name, last name, roles, staff
    ("alex", "Alex", "Author", [Role.AUTHOR], False),
    ("riley", "Riley", "Reviewer", [Role.REVIEWER, Role.AUTHOR], False),
    ("morgan", "Morgan", "Manager", [Role.MANAGER], False),
    ("admin", "Ada", "Admin", [Role.AUTHOR, Role.REVIEWER, Role.MANAGER], True),
]
DEMO_SERVICES = ["API gateway", "Checkout", "Payments", "Search", "Accounts", "Primary database"]
DEMO_TEAMS = [
    # name, manager, members, services it owns
    ("Payments", "morgan", ["morgan", "alex"], ["Checkout", "Payments"]),
    ("Platform", "admin", ["admin", "riley"], ["API gateway", "Primary database", "Search"]),
    ("Identity", "morgan", ["morgan"], ["Accounts"]),
]

H = timedelta(hours=1)
M = timedelta(minutes=1)
DEMO_INCIDENTS = [
    {
        "title": "Checkout failures after payments config deploy",
        "severity": Severity.SEV1,
        "status": Status.RESOLVED,
        "services": ["Checkout", "Payments"],
        "tags": ["deploy", "config"],
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
        "tags": ["queue"],
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
        "tags": ["failover", "database"],
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
        "tags": ["network"],
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


DEMO_INCIDENTS.append(
    {
        "title": "Payments declined after provider config change",
        "severity": Severity.SEV3,
        "status": Status.RESOLVED,
        "services": ["Payments"],
        "tags": ["config"],
        "ago": timedelta(days=60),
        "detect": 20 * M,
        "mitigate": 40 * M,
        "resolve": H,
        "impact": "Some card payments were declined for 40 minutes.",
        "timeline": [
            (20 * M, TimelineKind.DETECTION, "Support noticed a rise in declined payments."),
            (40 * M, TimelineKind.MITIGATION, "Reverted the provider config change."),
            (H, TimelineKind.RESOLUTION, "Decline rate back to normal."),
        ],
    }
)

DEMO_POSTMORTEM = {
    "incident": "Checkout failures after payments config deploy",
    "author": "alex",
    "summary": (
        "A payments configuration change set the card-processor timeout in seconds where "
        "milliseconds were expected. Checkout calls timed out for 48 minutes until the change "
        "was rolled back."
    ),
    "impact": "About **18%** of checkout attempts failed for 48 minutes.",
    "what_happened": (
        "The config loader accepted a bare number for the timeout. The new value was read in "
        "the wrong unit, and nothing checked it before every region received it."
    ),
    "mitigations": "Validate units at load time, canary config changes, and alert per provider.",
}
DEMO_ACTION_ITEMS = [
    # title, kind, priority, owner, due in days (negative: overdue), final status, note
    (
        "Validate timeout units when the payments config is loaded",
        ActionKind.PREVENT,
        Priority.P1,
        "alex",
        -5,
        ActionStatus.OPEN,
        "",
    ),
    (
        "Add a schema with explicit units to the payments config repo",
        ActionKind.PREVENT,
        Priority.P2,
        "riley",
        -26,  # moved two weeks later: due 12 days ago
        ActionStatus.IN_PROGRESS,
        "",
    ),
    (
        "Roll out payments config changes to one region first",
        ActionKind.MITIGATE,
        Priority.P1,
        "riley",
        6,
        ActionStatus.OPEN,
        "",
    ),
    (
        "Alert on checkout errors per payment provider",
        ActionKind.DETECT,
        Priority.P2,
        "alex",
        3,
        ActionStatus.OPEN,
        "",
    ),
    (
        "Runbook: rolling back a payments config change",
        ActionKind.PROCESS,
        Priority.P2,
        "morgan",
        20,
        ActionStatus.DONE,
        "Linked from the on-call wiki.",
    ),
    (
        "Load-test every config change before rollout",
        ActionKind.PREVENT,
        Priority.P3,
        "riley",
        40,
        ActionStatus.WONT_DO,
        "The one-region rollout catches this sooner and costs far less.",
    ),
]

# Contributing factors of the demo postmortem: (category, description, the timeline entries that
# show it, by the start of their text).
DEMO_FACTORS = [
    (
        "Configuration change",
        "The timeout was given in seconds where the service reads milliseconds.",
        ["Payments config change", "Noticed errors started"],
    ),
    (
        "Change management",
        "The config change went to every region at once, with no canary stage.",
        ["Payments config change"],
    ),
    (
        "Monitoring gap",
        "Nothing linked the error rate to recent deploys, so the card processor was checked first.",
        ["Checkout error-rate alert", "Suspected the card processor"],
    ),
]


def add_demo_factors(postmortem, author) -> None:
    """The demo postmortem's factors, added as a writer adds them (before it is published)."""
    if postmortem.factors.exists():
        return
    entries = list(postmortem.incident.timeline_entries.all())
    for category, description, starts in DEMO_FACTORS:
        factor_add(
            postmortem=postmortem,
            actor=author,
            category=FactorCategory.objects.get(name=category),
            description=description,
            timeline_entries=[e for e in entries if any(e.body.startswith(s) for s in starts)],
        )


def seed_demo_teams(users: dict[str, User], services: dict[str, Service]) -> None:
    """The demo's teams, their managers and members, and the services they own. A team that
    exists is left as it is (its people and services may have been changed since); a service
    with an owner keeps it. Names missing from ``users`` or ``services`` are skipped."""
    for name, manager, members, owned in DEMO_TEAMS:
        team, created = Team.objects.get_or_create(
            name=name, defaults={"manager": users.get(manager)}
        )
        if created:
            team.members.set([users[member] for member in members if member in users])
        Service.objects.filter(
            pk__in=[services[service].pk for service in owned if service in services],
            team__isnull=True,
        ).update(team=team)


class Command(BaseCommand):
    help = "Create demo users, services and incidents (once; safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even when DEBUG is off (never in production)."
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Demo data is for development; refusing to load it with DEBUG off.")
        # The demo review goes through the real workflow; its notifications go nowhere.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            self._load()

    @transaction.atomic
    def _load(self):
        users = self._users()
        services = {name: Service.objects.get_or_create(name=name)[0] for name in DEMO_SERVICES}
        seed_demo_teams(users, services)
        created = self._incidents(users, services)
        # Their similar incidents, ranked now rather than by the worker's first rounds.
        similarity.rank_and_keep(
            Incident.objects.filter(similar_computed_at__isnull=True).values_list("pk", flat=True)
        )
        new_items = self._action_items(users)
        self.stdout.write(
            f"Demo data ready ({created} new incidents, {new_items} new action items). "
            f"Sign in with any of these users, password {DEMO_PASSWORD!r}:"
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
            incident.tags.set(Tag.from_names(spec["tags"]))
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

    def _action_items(self, users) -> int:
        """A postmortem for the first demo incident, with action items: some overdue, one due
        soon, one done, one declined, and one whose due date was moved (with a reason)."""
        incident = Incident.objects.filter(title=DEMO_POSTMORTEM["incident"]).first()
        if incident is None:
            return 0
        postmortem = Postmortem.objects.filter(incident=incident).first()
        if postmortem is None:
            postmortem = self._written_postmortem(incident, users)
        if postmortem.action_items.exists():
            return 0
        today = timezone.localdate()
        author = users[DEMO_POSTMORTEM["author"]]
        for title, kind, priority, owner, due_in, status, note in DEMO_ACTION_ITEMS:
            owner = users[owner]
            item = action_item_create(
                postmortem=postmortem,
                created_by=author,
                title=title,
                kind=kind,
                priority=priority,
                owner=owner,
                due_date=today + timedelta(days=due_in),
            )
            if status == ActionStatus.IN_PROGRESS:  # show a moved due date in the history
                action_item_update(
                    item=item,
                    changed_by=owner,
                    due_date=today + timedelta(days=due_in + 14),
                    reason="The schema library we need is not released yet.",
                )
            if status != ActionStatus.OPEN:
                action_item_set_status(item=item, status=status, changed_by=owner, note=note)
        # Items are written after the incident, not today.
        postmortem.action_items.update(created_at=incident.started_at + timedelta(days=1))
        add_demo_factors(postmortem, users[DEMO_POSTMORTEM["author"]])
        self._review_and_publish(postmortem, users)
        return len(DEMO_ACTION_ITEMS)

    def _written_postmortem(self, incident, users) -> Postmortem:
        """Started from the standard template and written, so its history has two versions."""
        author = users[DEMO_POSTMORTEM["author"]]
        postmortem = postmortem_create(
            incident=incident,
            author=author,
            template=PostmortemTemplate.objects.filter(name="Standard blameless review").first(),
        )
        texts = {k: v for k, v in DEMO_POSTMORTEM.items() if k not in ("incident", "author")}
        postmortem, _revision = postmortem_save_sections(
            postmortem_id=postmortem.pk, editor=author, texts=texts, loaded_version=1
        )
        return postmortem

    def _review_and_publish(self, postmortem, users) -> None:
        """Through the real workflow, so the activity feed, library and public page have data."""
        author, reviewer = users[DEMO_POSTMORTEM["author"]], users["riley"]
        review.request_review(postmortem=postmortem, actor=author, reviewers=[reviewer])
        review.approve(postmortem=postmortem, actor=reviewer)
        review.publish(
            postmortem=postmortem,
            actor=author,
            make_public=True,
            public_title="Some card payments failed at checkout",
            public_summary=(
                "For 48 minutes, about one in five card payments at checkout failed. We "
                "reversed the change that caused it and are adding checks so it cannot recur."
            ),
        )
