"""Load demo data for `make run`. Idempotent: running it again changes nothing."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from actions.models import ActionItem, ActionKind, ActionStatus, Priority
from actions.services import action_item_create, action_item_set_status, action_item_update
from core.models import Role, Team, User
from core.views import home_url_name
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
    ("sam", "Sam", "Writer", [Role.AUTHOR], False),
    ("jordan", "Jordan", "Reviewer", [Role.REVIEWER], False),
    ("admin", "Ada", "Admin", [Role.AUTHOR, Role.REVIEWER, Role.MANAGER], True),
]
# A French-speaking reviewer: Jordan's pages and emails are in French (Settings > language).
DEMO_LANGUAGES = {"jordan": "fr"}
# Where each demo login lands after signing in (core.views.home).
LANDS_ON = {
    "actions:dashboard": "the dashboard",
    "postmortems:queue": "the review queue",
    "actions:mine": "their drafts and action items",
}
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
    "timeline_narrative": (
        "The change went to every region at once. The error-rate alert fired six minutes "
        "later; the first half hour went to the card processor, which was healthy. Comparing "
        "the error onset with the deploy log pointed at the config, and a rollback fixed it."
    ),
    "assumptions": (
        "Everyone read `timeout: 30` as thirty milliseconds, because every other value in the "
        "file is in milliseconds. The loader's docs said seconds."
    ),
    "contributing_factors": (
        "- No schema for the payments config\n- Config changes skip the canary stage\n"
        "- The alert does not say which provider fails"
    ),
    "what_went_well": "The alert fired within six minutes and the rollback took two.",
    "what_went_wrong": (
        "Thirty minutes on the card processor, whose status page was green: we trusted the "
        "symptom over the change log."
    ),
    "where_we_got_lucky": "It happened at 10:00 on a Tuesday, with the payments team online.",
    "mitigations": "Validate units at load time, canary config changes, and alert per provider.",
    "lessons_learned": "Look at what changed first. A number without a unit is a bug waiting.",
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


# Months of history behind the first five: each becomes a postmortem in its own state (below).
DEMO_INCIDENTS += [
    {
        "title": "Email notifications delayed by a queue backlog",
        "severity": Severity.SEV3,
        "status": Status.RESOLVED,
        "services": ["Accounts"],
        "tags": ["queue"],
        "ago": timedelta(days=45),
        "detect": 2 * H,
        "mitigate": 3 * H,
        "resolve": 5 * H,
        "impact": "Password-reset and sign-in emails arrived up to three hours late.",
        "timeline": [
            (0 * M, TimelineKind.NOTE, "Marketing newsletter of 2 million emails queued."),
            (2 * H, TimelineKind.DETECTION, "Support: customers waiting for reset emails."),
            (2 * H + 20 * M, TimelineKind.INVESTIGATION, "One queue holds every kind of email."),
            (3 * H, TimelineKind.MITIGATION, "Paused the newsletter; reset emails flowed again."),
            (5 * H, TimelineKind.RESOLUTION, "Newsletter resumed at a tenth of the rate."),
        ],
    },
    {
        "title": "Mobile app crashed on launch after release 4.2",
        "severity": Severity.SEV2,
        "status": Status.RESOLVED,
        "services": ["API gateway", "Accounts"],
        "tags": ["deploy", "mobile"],
        "ago": timedelta(days=20),
        "detect": 15 * M,
        "mitigate": 2 * H,
        "resolve": 26 * H,
        "impact": "About 30% of Android users could not open the app for two hours.",
        "timeline": [
            (0 * M, TimelineKind.NOTE, "Release 4.2 rolled out to 100% of Android users."),
            (15 * M, TimelineKind.DETECTION, "Crash-free sessions fell from 99.8% to 70%."),
            (40 * M, TimelineKind.BLIND_ALLEY, "Suspected the new login screen; it was fine."),
            (
                80 * M,
                TimelineKind.GOLDEN_PATH,
                "Crash reports all on Android 9: a date API missing there.",
            ),
            (2 * H, TimelineKind.MITIGATION, "Remote flag turned the new date picker off."),
            (26 * H, TimelineKind.RESOLUTION, "Release 4.2.1 with a fallback published."),
        ],
    },
    {
        "title": "Webhook deliveries dropped during a deploy",
        "severity": Severity.SEV4,
        "status": Status.RESOLVED,
        "services": ["API gateway"],
        "tags": ["deploy"],
        "ago": timedelta(days=75),
        "detect": 40 * M,
        "mitigate": 50 * M,
        "resolve": 3 * H,
        "impact": "About 1,200 webhook deliveries were lost and had to be replayed.",
        "timeline": [
            (0 * M, TimelineKind.NOTE, "Rolling deploy of the webhook sender started."),
            (40 * M, TimelineKind.DETECTION, "A partner asked why their events stopped."),
            (50 * M, TimelineKind.MITIGATION, "Deploy finished; deliveries resumed."),
            (3 * H, TimelineKind.RESOLUTION, "Lost deliveries replayed from the event log."),
        ],
    },
    {
        "title": "Static assets failed: CDN certificate expired",
        "severity": Severity.SEV2,
        "status": Status.RESOLVED,
        "services": ["Checkout", "Search"],
        "tags": ["certificates"],
        "ago": timedelta(days=95),
        "detect": 9 * M,
        "mitigate": 55 * M,
        "resolve": 70 * M,
        "impact": "Pages loaded without styles or scripts for 55 minutes; checkout was unusable.",
        "timeline": [
            (0 * M, TimelineKind.NOTE, "The CDN's TLS certificate for static assets expired."),
            (9 * M, TimelineKind.DETECTION, "Synthetic checkout journey failed."),
            (20 * M, TimelineKind.ESCALATION, "Paged the platform team."),
            (
                35 * M,
                TimelineKind.INVESTIGATION,
                "The certificate was issued by hand two years ago; auto-renew was off.",
            ),
            (55 * M, TimelineKind.MITIGATION, "New certificate uploaded to the CDN."),
            (70 * M, TimelineKind.RESOLUTION, "Caches purged; every region serving assets."),
        ],
    },
    {
        "title": "Primary database ran out of disk",
        "severity": Severity.SEV1,
        "status": Status.RESOLVED,
        "services": ["Primary database", "Checkout", "Accounts"],
        "tags": ["database"],
        "ago": timedelta(days=130),
        "detect": 2 * M,
        "mitigate": 38 * M,
        "resolve": 4 * H,
        "impact": "Every write failed for 38 minutes: no orders, sign-ups or password changes.",
        "timeline": [
            (0 * M, TimelineKind.NOTE, "Disk on the primary reached 100%."),
            (2 * M, TimelineKind.DETECTION, "Write errors alert; checkout failing."),
            (5 * M, TimelineKind.ESCALATION, "Database on-call and incident commander paged."),
            (
                14 * M,
                TimelineKind.BLIND_ALLEY,
                "Tried to vacuum the largest table; it needs disk space to run.",
            ),
            (
                25 * M,
                TimelineKind.GOLDEN_PATH,
                "Found 400 GB of WAL kept for a replication slot nobody used.",
            ),
            (38 * M, TimelineKind.MITIGATION, "Dropped the unused slot; writes recovered."),
            (50 * M, TimelineKind.COMMUNICATION, "Status page: all services recovered."),
            (4 * H, TimelineKind.RESOLUTION, "Disk grown by 50%; slot alerts added."),
        ],
    },
    {
        "title": "Stock counts wrong after a cache change",
        "severity": Severity.SEV3,
        "status": Status.RESOLVED,
        "services": ["Checkout"],
        "tags": ["cache"],
        "ago": timedelta(days=160),
        "detect": 6 * H,
        "mitigate": 7 * H,
        "resolve": 9 * H,
        "impact": "About 300 orders were taken for items out of stock.",
        "timeline": [
            (0 * M, TimelineKind.NOTE, "Stock cache lifetime raised from 1 to 60 minutes."),
            (6 * H, TimelineKind.DETECTION, "Warehouse reported orders they could not fill."),
            (7 * H, TimelineKind.MITIGATION, "Cache lifetime set back to one minute."),
            (9 * H, TimelineKind.RESOLUTION, "Affected customers contacted and refunded."),
        ],
    },
]


def _sections(**texts) -> dict[str, str]:
    return texts


# One postmortem in each state of the review workflow, so the review queue, the dashboard and
# insights show real work on first sign-in. Items: (title, kind, priority, owner, due in days
# from today (negative: overdue), status). Done items are finished a few weeks in.
DEMO_STORIES = [
    {
        "incident": "Login latency spike during database failover",
        "author": "alex",
        "state": "draft",
        "sections": _sections(
            summary="A planned database failover left the accounts service pointing at the old "
            "primary, so sign-ins waited on timeouts for 25 minutes.",
            impact="Sign-ins took up to 20 seconds for about 25 minutes.",
        ),
        "items": [
            (
                "Resolve the database address at each connection",
                ActionKind.PREVENT,
                Priority.P1,
                "alex",
                9,
                ActionStatus.OPEN,
            ),
        ],
    },
    {
        "incident": "Webhook deliveries dropped during a deploy",
        "author": "sam",
        "state": "draft",
        "sections": _sections(
            summary="The webhook sender dropped events in flight when a deploy stopped it.",
        ),
        "items": [],
    },
    {
        "incident": "Search results stale for two days",
        "author": "alex",
        "reviewer": "riley",
        "state": "in_review",
        "sections": _sections(
            summary="The search indexer stopped consuming after a broker restart and nobody "
            "noticed for thirty hours: new products were missing from search.",
            impact="New products did not appear in search results for about 40 hours.",
            timeline_narrative="A merchant's ticket, not an alert, told us. Restarting the "
            "indexer drained the backlog in three hours.",
            what_happened="The indexer's connection did not reconnect after the broker "
            "restarted; it stayed up, idle, and its health check only asked whether the "
            "process was alive.",
            what_went_well="Once found, the restart and the backlog drain needed no manual work.",
            what_went_wrong="No alert on indexer lag; the health check tested the wrong thing.",
            mitigations="Alert on lag; reconnect on broker restarts; a health check that "
            "checks progress.",
        ),
        "items": [
            (
                "Alert when indexer lag passes 15 minutes",
                ActionKind.DETECT,
                Priority.P1,
                "riley",
                4,
                ActionStatus.OPEN,
            ),
            (
                "Reconnect the indexer after broker restarts",
                ActionKind.PREVENT,
                Priority.P2,
                "alex",
                12,
                ActionStatus.IN_PROGRESS,
            ),
        ],
        # (commenter, section, text, replies [(who, text)], resolved)
        "comments": [
            (
                "riley",
                "impact",
                "How many products were missing? A number helps readers judge the impact.",
                [("alex", "About 2,400 listings; I'll add it.")],
                False,
            ),
            (
                "riley",
                "what_happened",
                "Was the health check written this way on purpose?",
                [],
                False,
            ),
            ("riley", "summary", "Nice and short.", [], True),
        ],
    },
    {
        "incident": "Email notifications delayed by a queue backlog",
        "author": "alex",
        "reviewer": "riley",
        "state": "changes_requested",
        "sections": _sections(
            summary="A newsletter filled the single email queue, and password-reset emails "
            "waited behind two million marketing messages.",
            impact="Password-reset and sign-in emails arrived up to three hours late.",
            what_happened="Every kind of email shares one queue, first in first out.",
        ),
        "items": [
            (
                "Give transactional email its own queue",
                ActionKind.PREVENT,
                Priority.P1,
                "alex",
                -6,
                ActionStatus.OPEN,
            ),
        ],
        "changes": "The timeline narrative and what went wrong are missing, and please say "
        "how many customers could not sign in.",
    },
    {
        "incident": "Mobile app crashed on launch after release 4.2",
        "author": "alex",
        "reviewer": "riley",
        "state": "approved",
        "sections": _sections(
            summary="Release 4.2 called a date API missing on Android 9; the app crashed on "
            "launch for those users until a remote flag turned the feature off.",
            impact="About 30% of Android users could not open the app for two hours.",
            timeline_narrative="Crash reports spiked within fifteen minutes. We first "
            "suspected the new login screen; grouping crashes by OS version found it.",
            what_happened="The date picker used an API added in Android 10. Our test "
            "devices all ran Android 12 or later.",
            assumptions="We believed the minimum supported version was tested on every release.",
            contributing_factors="- No Android 9 device in the test lab\n- 100% rollout on day one",
            what_went_well="The remote flag existed and worked within seconds.",
            what_went_wrong="The staged rollout was skipped to meet a marketing date.",
            where_we_got_lucky="The feature was behind a flag at all.",
            mitigations="Test on the oldest supported OS; roll out 5% first.",
            lessons_learned="Staged rollouts are cheap insurance: keep them on dates that matter.",
        ),
        "items": [
            (
                "Add an Android 9 device to the test lab",
                ActionKind.PREVENT,
                Priority.P2,
                "sam",
                2,
                ActionStatus.OPEN,
            ),
            (
                "Make 5% the first stage of every mobile rollout",
                ActionKind.MITIGATE,
                Priority.P1,
                "alex",
                -2,
                ActionStatus.IN_PROGRESS,
            ),
        ],
    },
    {
        "incident": "Payments declined after provider config change",
        "author": "riley",
        "reviewer": "jordan",
        "state": "published",
        "published_after": timedelta(days=6),
        "sections": _sections(
            summary="A provider-side setting we changed for a test account applied to "
            "production; some card payments were declined for 40 minutes.",
            impact="Some card payments were declined for 40 minutes; customers could retry.",
            timeline_narrative="Support saw declines first. The change was in the provider's "
            "dashboard, outside our deploy log, so it took twenty minutes to connect.",
            what_happened="The provider's dashboard applies settings per merchant, not per "
            "account; the test and production accounts share one merchant.",
            assumptions="That the test account was isolated from production.",
            contributing_factors="Provider settings are not in version control.",
            what_went_well="Reverting was one click once we knew where to look.",
            what_went_wrong="Support noticed before monitoring did.",
            where_we_got_lucky="A quiet hour: few customers were paying.",
            mitigations="Record provider setting changes in the change log; alert on decline rate.",
            lessons_learned="A change outside the deploy pipeline is still a change.",
        ),
        "items": [
            (
                "Alert on card decline rate per provider",
                ActionKind.DETECT,
                Priority.P1,
                "riley",
                -9,
                ActionStatus.OPEN,
            ),
            (
                "Log provider dashboard changes in the change calendar",
                ActionKind.PROCESS,
                Priority.P2,
                "sam",
                -20,
                ActionStatus.DONE,
            ),
        ],
    },
    {
        "incident": "Static assets failed: CDN certificate expired",
        "author": "riley",
        "reviewer": "jordan",
        "state": "published",
        "published_after": timedelta(days=9),
        "sections": _sections(
            summary="The CDN's certificate for static assets was issued by hand and expired; "
            "pages loaded without styles or scripts for 55 minutes.",
            impact="Pages loaded without styles or scripts for 55 minutes; checkout was unusable.",
            timeline_narrative="The synthetic checkout caught it in nine minutes; finding who "
            "owned the certificate took most of the rest.",
            what_happened="The certificate was uploaded by hand two years ago, outside the "
            "automated renewal every other certificate uses.",
            assumptions="That every certificate renewed itself.",
            contributing_factors="- No inventory of certificates\n- No expiry alert",
            what_went_well="The synthetic journey alerted before customers reported it.",
            what_went_wrong="Nobody knew who owned the CDN account.",
            where_we_got_lucky="The registrar issued a new certificate in minutes.",
            mitigations="Move every certificate to automated renewal; alert 30 days ahead.",
            lessons_learned="Anything done by hand once will expire silently later.",
        ),
        "items": [
            (
                "Alert 30 days before any certificate expires",
                ActionKind.DETECT,
                Priority.P1,
                "riley",
                -60,
                ActionStatus.DONE,
            ),
            (
                "Move the CDN certificate to automated renewal",
                ActionKind.PREVENT,
                Priority.P1,
                "alex",
                -45,
                ActionStatus.DONE,
            ),
            (
                "Name an owner for every third-party account",
                ActionKind.PROCESS,
                Priority.P3,
                "morgan",
                -14,
                ActionStatus.OPEN,
            ),
        ],
    },
    {
        "incident": "Primary database ran out of disk",
        "author": "alex",
        "reviewer": "riley",
        "state": "published",
        "published_after": timedelta(days=5),
        "sections": _sections(
            summary="An unused replication slot kept 400 GB of write-ahead log until the "
            "primary database's disk filled and every write failed for 38 minutes.",
            impact="Every write failed for 38 minutes: no orders, sign-ups or password changes.",
            timeline_narrative="Write errors paged us in two minutes. A vacuum attempt failed "
            "for lack of space; the WAL directory's size pointed at the slot.",
            what_happened="A replica removed in June left its replication slot behind; the "
            "primary kept every WAL segment for it.",
            assumptions="That removing a replica removed everything it needed.",
            contributing_factors="- Disk alert at 95% gave 40 minutes' warning at night\n"
            "- No alert on slot lag",
            what_went_well="Clear roles: one commander, one database expert, one communicator.",
            what_went_wrong="The disk alert went to an email list nobody reads at night.",
            where_we_got_lucky="The slot could be dropped safely; a real replica would have "
            "needed a rebuild.",
            mitigations="Alert on replication slot lag; page on disk at 80%.",
            lessons_learned="Tear-down checklists matter as much as set-up ones.",
        ),
        "items": [
            (
                "Alert on inactive replication slots",
                ActionKind.DETECT,
                Priority.P1,
                "riley",
                -100,
                ActionStatus.DONE,
            ),
            (
                "Page on database disk at 80%",
                ActionKind.DETECT,
                Priority.P1,
                "alex",
                -90,
                ActionStatus.DONE,
            ),
            (
                "Replica tear-down checklist",
                ActionKind.PROCESS,
                Priority.P2,
                "sam",
                -30,
                ActionStatus.OPEN,
            ),
        ],
    },
    {
        "incident": "Stock counts wrong after a cache change",
        "author": "sam",
        "reviewer": "riley",
        "state": "published",
        "published_after": timedelta(days=12),
        "sections": _sections(
            summary="Raising the stock cache lifetime to an hour let checkout sell items "
            "that were already out of stock.",
            impact="About 300 orders were taken for items out of stock.",
            timeline_narrative="The warehouse noticed six hours later; reverting took minutes.",
            what_happened="Checkout trusted the cached count and did not check stock again "
            "when taking payment.",
            assumptions="That the cache was only used for display.",
            contributing_factors="The cache's users were not documented.",
            what_went_well="The revert was a one-line change.",
            what_went_wrong="No check of stock at payment time.",
            where_we_got_lucky="It was a weekday; the warehouse was open to notice.",
            mitigations="Check stock at payment; document the cache's readers.",
            lessons_learned="Know who reads a cache before changing how stale it may be.",
        ),
        "items": [
            (
                "Check stock again when taking payment",
                ActionKind.PREVENT,
                Priority.P1,
                "sam",
                -120,
                ActionStatus.DONE,
            ),
            (
                "Document every reader of the stock cache",
                ActionKind.PROCESS,
                Priority.P3,
                "sam",
                -100,
                ActionStatus.WONT_DO,
            ),
        ],
    },
]


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
        new_items += self._stories(users)
        self.stdout.write(
            f"Demo data ready ({created} new incidents, {new_items} new action items). "
            f"Sign in with any of these users, password {DEMO_PASSWORD!r}:"
        )
        for username, first, _last, roles, staff in DEMO_USERS:
            role_list = ", ".join(roles) + (", staff" if staff else "")
            lands_on = LANDS_ON[home_url_name(users[username])]
            in_french = ", in French" if DEMO_LANGUAGES.get(username) == "fr" else ""
            self.stdout.write(
                f"  {username:<8} {first} ({role_list}): lands on {lands_on}{in_french}"
            )

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
                    "language": DEMO_LANGUAGES.get(username, ""),
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

    def _stories(self, users) -> int:
        """Each of DEMO_STORIES once: written, given its items, and taken through the real
        review workflow to its state. Dates are moved back to when it happened, so insights
        show months of work."""
        new_items = 0
        for story in DEMO_STORIES:
            incident = Incident.objects.filter(title=story["incident"]).first()
            if incident is None or Postmortem.objects.filter(incident=incident).exists():
                continue
            author = users[story["author"]]
            postmortem = postmortem_create(
                incident=incident,
                author=author,
                template=PostmortemTemplate.objects.filter(
                    name="Standard blameless review"
                ).first(),
            )
            postmortem, _revision = postmortem_save_sections(
                postmortem_id=postmortem.pk,
                editor=author,
                texts=story["sections"],
                loaded_version=postmortem.version,
            )
            new_items += self._story_items(postmortem, story, users)
            self._story_review(postmortem, story, users)
            written = incident.resolved_at or incident.mitigated_at or incident.started_at
            Postmortem.objects.filter(pk=postmortem.pk).update(
                created_at=written + timedelta(hours=20)
            )
        return new_items

    def _story_items(self, postmortem, story, users) -> int:
        today = timezone.localdate()
        author = users[story["author"]]
        started = postmortem.incident.started_at
        for title, kind, priority, owner, due_in, status in story["items"]:
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
            if status == ActionStatus.DONE:
                action_item_set_status(
                    item=item,
                    status=status,
                    changed_by=owner,
                    note="Shipped and checked in production.",
                    evidence_note="Released and watched for a week.",
                )
                # Finished a few weeks after the incident, for insights' monthly figures.
                ActionItem.objects.filter(pk=item.pk).update(
                    completed_at=min(started + timedelta(days=21), timezone.now())
                )
            elif status == ActionStatus.WONT_DO:
                action_item_set_status(
                    item=item,
                    status=status,
                    changed_by=owner,
                    note="Checking stock at payment makes this unnecessary.",
                )
            elif status == ActionStatus.IN_PROGRESS:
                action_item_set_status(item=item, status=status, changed_by=owner)
        postmortem.action_items.update(created_at=started + timedelta(days=1))
        return len(story["items"])

    def _story_review(self, postmortem, story, users) -> None:
        state = story["state"]
        if state == "draft":
            return
        author, reviewer = users[story["author"]], users[story["reviewer"]]
        review.request_review(postmortem=postmortem, actor=author, reviewers=[reviewer])
        for commenter, section, body, replies, resolved in story.get("comments", []):
            thread = review.add_comment(
                postmortem=postmortem, actor=users[commenter], body=body, section=section
            )
            for replier, reply in replies:
                review.add_comment(
                    postmortem=postmortem, actor=users[replier], body=reply, parent=thread
                )
            if resolved:
                review.set_comment_resolved(comment=thread, actor=author, resolved=True)
        if state == "changes_requested":
            review.request_changes(postmortem=postmortem, actor=reviewer, comment=story["changes"])
            return
        if state == "in_review":
            return
        review.approve(postmortem=postmortem, actor=reviewer)
        if state == "approved":
            return
        review.publish(postmortem=postmortem, actor=author)
        incident = postmortem.incident
        Postmortem.objects.filter(pk=postmortem.pk).update(
            published_at=incident.resolved_at + story["published_after"]
        )
