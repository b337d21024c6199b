"""Time the search and insights pages on a large data set. A benchmark, not a test.

Reproduce:

    make bench                                   # or: .venv/bin/python scripts/benchmark.py
    .venv/bin/python scripts/benchmark.py --runs 30

It uses its own database, named by DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/hindsight_bench): it creates and migrates it, then seeds
10,000 incidents with 100,000 timeline entries, services, tags, postmortems and action items.
Seeding happens once; later runs reuse the data (drop the database to start again:
``dropdb -h 127.0.0.1 -U postgres hindsight_bench``). Then it requests each page through
Django's test client as a signed-in user and prints, per URL, the median and 95th percentile
response time over the runs and the number of database queries.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hindsight_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ["DJANGO_DEBUG"] = "false"  # time the pages as production renders them

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from actions.models import ActionItem  # noqa: E402
from core.models import User  # noqa: E402
from incidents.models import Incident, Service, Tag, TimelineEntry  # noqa: E402
from postmortems.models import Postmortem  # noqa: E402

INCIDENTS = 10_000
ENTRIES_PER_INCIDENT = 10
BATCH = 2_000
WORDS = [
    "database",
    "timeout",
    "connection",
    "pool",
    "exhausted",
    "retry",
    "storm",
    "checkout",
    "payment",
    "latency",
    "deploy",
    "rollback",
    "config",
    "dns",
    "certificate",
    "expired",
    "disk",
    "full",
    "memory",
    "leak",
    "queue",
    "backlog",
    "cache",
    "eviction",
    "replica",
    "lag",
    "failover",
    "network",
    "partition",
    "load",
    "balancer",
    "rate",
    "limit",
    "login",
    "error",
    "search",
    "index",
    "outage",
    "degraded",
    "api",
    "gateway",
    "kafka",
    "consumer",
    "migration",
    "lock",
    "contention",
]
SERVICES = ["Checkout", "Payments", "Search", "Login", "API gateway", "Billing", "Notifications"]
TAGS = ["deploy", "dns", "capacity", "config", "network", "database", "certificate"]
SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV3", "SEV4", "SEV4"]


def _text(rng, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def _html(text: str) -> str:
    return f"<p>{text}</p>"  # the words above need no escaping


@transaction.atomic
def seed() -> None:
    rng = random.Random(42)
    now = timezone.now()
    users = User.objects.bulk_create(
        User(username=f"bench{n}", first_name=f"Bench{n}", password="!") for n in range(20)
    )
    services = [Service.objects.create(name=name) for name in SERVICES]
    tags = Tag.from_names(TAGS)
    started = time.perf_counter()
    for batch_start in range(0, INCIDENTS, BATCH):
        incidents = []
        for _n in range(BATCH):
            start = now - timedelta(minutes=rng.randint(60, 3 * 365 * 24 * 60))
            resolved = rng.random() < 0.95
            impact = _text(rng, 25)
            incidents.append(
                Incident(
                    title=_text(rng, 5).capitalize(),
                    severity=rng.choice(SEVERITIES),
                    status="resolved" if resolved else "investigating",
                    started_at=start,
                    detected_at=start + timedelta(minutes=rng.randint(1, 90)),
                    mitigated_at=start + timedelta(minutes=rng.randint(90, 400)),
                    resolved_at=start + timedelta(minutes=rng.randint(400, 3000))
                    if resolved
                    else None,
                    customer_impact=impact,
                    customer_impact_html=_html(impact),
                    created_by=rng.choice(users),
                )
            )
        incidents = Incident.objects.bulk_create(incidents)
        Incident.services.through.objects.bulk_create(
            Incident.services.through(incident=incident, service=service)
            for incident in incidents
            for service in rng.sample(services, rng.randint(1, 2))
        )
        Incident.tags.through.objects.bulk_create(
            Incident.tags.through(incident=incident, tag=tag)
            for incident in incidents
            for tag in rng.sample(tags, rng.randint(0, 2))
        )
        entries = []
        for incident in incidents:
            for n in range(ENTRIES_PER_INCIDENT):
                body = _text(rng, 15)
                entries.append(
                    TimelineEntry(
                        incident=incident,
                        occurred_at=incident.started_at + timedelta(minutes=10 * n),
                        kind="note",
                        body=body,
                        body_html=_html(body),
                        author=rng.choice(users),
                    )
                )
        TimelineEntry.objects.bulk_create(entries, batch_size=5_000)
        postmortems = Postmortem.objects.bulk_create(
            Postmortem(
                incident=incident,
                author=rng.choice(users),
                status="published",
                published_at=incident.resolved_at + timedelta(hours=rng.randint(24, 24 * 40)),
                summary=_text(rng, 30),
                what_happened=_text(rng, 80),
            )
            for incident in incidents
            if incident.resolved_at and rng.random() < 0.6
        )
        items = []
        for postmortem in postmortems:
            for _n in range(2):
                created = postmortem.published_at - timedelta(hours=rng.randint(1, 20))
                status = rng.choice(["open", "in_progress", "done", "done", "wont_do"])
                items.append(
                    ActionItem(
                        postmortem=postmortem,
                        title=_text(rng, 6).capitalize(),
                        owner=rng.choice(users),
                        created_by=postmortem.author,
                        due_date=(created + timedelta(days=rng.randint(7, 90))).date(),
                        status=status,
                        completed_at=created + timedelta(days=rng.randint(1, 120))
                        if status == "done"
                        else None,
                        resolution_note="Not worth it." if status == "wont_do" else "",
                    )
                )
        ActionItem.objects.bulk_create(items)
        done = batch_start + BATCH
        print(f"  {done:>6} incidents seeded ({time.perf_counter() - started:.1f} s)", flush=True)
    # auto_now_add stamped every item "now": date them from their postmortem instead.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE actions_actionitem AS i SET created_at = p.published_at - interval '2 hours',"
            " updated_at = COALESCE(i.completed_at, p.published_at)"
            " FROM postmortems_postmortem AS p WHERE i.postmortem_id = p.id"
        )


def _time(client: Client, url: str, runs: int) -> tuple[float, float, int, int]:
    client.get(url)  # warm up: connection, templates, caches
    timings = []
    for _run in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    p95 = statistics.quantiles(timings, n=20)[-1] if runs > 1 else timings[0]
    return statistics.median(timings), p95, len(queries), response.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="requests per URL (default 20)")
    args = parser.parse_args()

    call_command("ensure_database")
    call_command("migrate", verbosity=0)
    if Incident.objects.count() >= INCIDENTS:
        print(f"Already seeded: {Incident.objects.count()} incidents, skipping.")
    else:
        print(f"Seeding {INCIDENTS} incidents and {INCIDENTS * ENTRIES_PER_INCIDENT} entries...")
        started = time.perf_counter()
        seed()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"Seeded in {time.perf_counter() - started:.1f} s.")
    print(
        f"{Incident.objects.count()} incidents, {TimelineEntry.objects.count()} timeline "
        f"entries, {Postmortem.objects.count()} postmortems, "
        f"{ActionItem.objects.count()} action items."
    )

    user, _created = User.objects.get_or_create(
        username="bench-reader", defaults={"is_staff": True}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    insights = reverse("insights:index")
    today = timezone.localdate()
    urls = [
        insights,
        f"{insights}?service=checkout",
        f"{insights}?tag=deploy",
        f"{insights}?service=search&tag=dns",
        f"{insights}?date_from={today.replace(year=today.year - 3)}&date_to={today}",
        f"{insights}?format=csv&figure=overdue",
    ]
    try:
        search = reverse("search:results")
    except NoReverseMatch:
        print("Search was skipped: the URL search:results does not resolve yet.")
    else:
        urls += [
            f"{search}?q=database",
            f"{search}?q=connection+pool+exhausted",
            f"{search}?q=timeout&type=timeline",
            f"{search}?q=databse",  # a typo
        ]
    # The pages of one incident and its postmortem (issue 9 added history, changes and the
    # reviewers panel to them), and the lists people open most.
    postmortem = Postmortem.objects.select_related("incident").order_by("-pk").first()
    if postmortem is not None:
        reference = postmortem.incident.reference
        urls += [
            reverse("incidents:list"),
            reverse("incidents:detail", args=[reference]),
            reverse("postmortems:detail", args=[reference]),
            reverse("postmortems:review", args=[reference]),
            reverse("postmortems:history", args=[reference]),
            reverse("actions:list"),
        ]
    print(f"\n{'URL':<62} {'median':>9} {'p95':>9} {'queries':>8}  (over {args.runs} runs)")
    for url in urls:
        median, p95, queries, status = _time(client, url, args.runs)
        flag = "" if status == 200 else f"  HTTP {status}"
        print(f"{url:<62} {median:>6.0f} ms {p95:>6.0f} ms {queries:>8}{flag}")


if __name__ == "__main__":
    main()
