"""Time every page people use on large data sets, in-process with production settings.
A benchmark, not a test.

Reproduce:

    make bench                                   # 10,000 incidents
    make bench-all                               # 1,000, 10,000 and 50,000 incidents
    .venv/bin/python scripts/benchmark.py --sizes 1000,10000,50000 --runs 30
    .venv/bin/python scripts/benchmark.py --sizes 10000 --markdown docs/performance.md

Each size has its own database, named after DATABASE_URL's (default
postgres://postgres@127.0.0.1:5432/hindsight_bench) with the size appended:
hindsight_bench_1k, hindsight_bench_10k, hindsight_bench_50k. The script creates and migrates
it, then seeds that many incidents with ten timeline entries each, services, tags, postmortems
and action items; teams owning the services, with members and a manager; restricted incidents
(2%) with participants and teams given access; postmortems in review (5% of resolved incidents
without a published one) with reviewers asked and comments anchored to quotes, a third of them
suggesting text; contributing factors on 60% of published postmortems, questionnaire answers
on 30%, public summaries on 20%. Seeding happens once; later runs reuse the data (drop the
database to start again: ``dropdb -h 127.0.0.1 -U postgres hindsight_bench_10k``; a database
seeded before teams were seeded is refused: drop it or name another with DATABASE_URL).

Every size runs in a child process of its own (Django binds one database per process) with
``config.settings.production``, its start-up frozen out of the garbage collector's full passes
as ``config/wsgi.py`` does in each worker. It requests each page through Django's test client over
HTTPS as a signed-in user, and prints per page: the median and 95th percentile response time
over the runs, the queries, the median time spent in SQL (timed by a
``connection.execute_wrapper``) and in Python (the rest), and the median as a multiple of a
bare view's (a view that only returns "ok" through the same middleware, reachable only here)
measured in the same run. The CSV export is timed to its first byte and to its last. Pages
that are someone's view of the data are requested as that someone: each role's home (a writer's
work, a reviewer's queue, a manager's dashboard), the incident list and search as an outsider
to the restricted incidents, the public status page and its feed signed out. Kept pages (the
dashboard, insights) are also timed as the first view after a write (it serves the last
figures and queues their refresh on the worker) and as the worker's refresh (what computing
them afresh costs).

``--markdown FILE`` adds the results to FILE as a new dated section, below the earlier ones,
with the machine, the commit and the load average before and after each size.
"""

import argparse
import gc
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/hindsight_bench"

INCIDENTS = 10_000
ENTRIES_PER_INCIDENT = 10
BATCH = 2_000
RARE_WORD = "zeppelin"
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
# Teams and the services each owns; every team has five members and a manager.
TEAMS = {
    "Payments team": ["Checkout", "Payments", "Billing"],
    "Platform": ["API gateway", "Search"],
    "Identity": ["Login"],
    "Messaging": ["Notifications"],
}
TEAM_SLUG = "payments-team"
RESTRICTED_SHARE = 0.02  # security, legal, HR: participants and teams given access only
IN_REVIEW_SHARE = 0.05  # of resolved incidents without a published postmortem
COMMENTS_PER_REVIEW = 6  # anchored to a quote of the summary, one in three suggests text
FACTOR_SHARE = 0.6  # of published postmortems, with one to three factors
SURVEY_SHARE = 0.3  # of published postmortems, with three to six answers
PUBLIC_SHARE = 0.2  # of published postmortems, with a public summary on the status page


def _text(rng, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def _title(rng, index: int) -> str:
    # One incident in a thousand names a word no other text uses: the "rare word" search.
    words = _text(rng, 5)
    return f"{words} {RARE_WORD}".capitalize() if index % 1000 == 7 else words.capitalize()


def _html(text: str) -> str:
    return f"<p>{text}</p>"  # the words above need no escaping


def seed(size: int) -> None:
    from django.db import transaction

    with transaction.atomic():
        _seed(size)


def _seed(size: int) -> None:
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.utils import timezone

    from actions.models import ActionItem
    from core.models import Role, Team, User
    from incidents.models import Incident, Service, Tag, TimelineEntry
    from postmortems.models import FactorCategory, Postmortem

    rng = random.Random(42)
    # Teams, restricted incidents, reviews, factors and questionnaires draw from their own
    # stream, so the incidents, entries, postmortems and items are those earlier runs measured.
    extra = random.Random(43)
    now = timezone.now()
    users = User.objects.bulk_create(
        User(username=f"bench{n}", first_name=f"Bench{n}", password="!") for n in range(20)
    )
    # The role homes (core.views.home): bench0 writes, bench1 reviews, bench2 manages.
    users[0].groups.add(Group.objects.get(name=Role.AUTHOR))
    users[1].groups.add(Group.objects.get(name=Role.REVIEWER))
    users[2].groups.add(Group.objects.get(name=Role.MANAGER))
    teams = {}
    for number, name in enumerate(TEAMS):
        team = Team.objects.create(
            name=name, manager=users[2] if number == 0 else users[3 + number]
        )
        team.members.set(users[number * 5 : number * 5 + 5])
        teams[name] = team
    owners = {service: team for team, names in TEAMS.items() for service in names}
    services = [Service.objects.create(name=name, team=teams[owners[name]]) for name in SERVICES]
    tags = Tag.from_names(TAGS)
    categories = list(FactorCategory.objects.filter(parent__isnull=False)) or list(
        FactorCategory.objects.all()
    )
    reviewers = [users[1], users[5], users[9]]
    started = time.perf_counter()
    for batch_start in range(0, size, BATCH):
        incidents = []
        for n in range(min(BATCH, size - batch_start)):
            start = now - timedelta(minutes=rng.randint(60, 3 * 365 * 24 * 60))
            resolved = rng.random() < 0.95
            impact = _text(rng, 25)
            incidents.append(
                Incident(
                    title=_title(rng, batch_start + n),
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
                    restricted=extra.random() < RESTRICTED_SHARE,
                )
            )
        incidents = Incident.objects.bulk_create(incidents)
        restricted = [incident for incident in incidents if incident.restricted]
        Incident.participants.through.objects.bulk_create(
            Incident.participants.through(incident=incident, user=user)
            for incident in restricted
            for user in extra.sample(users, 2)
        )
        Incident.access_teams.through.objects.bulk_create(
            Incident.access_teams.through(
                incident=incident, team=extra.choice(list(teams.values()))
            )
            for incident in restricted[::2]
        )
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
        _seed_published_extras(extra, postmortems, entries, users, categories)
        _seed_reviews(extra, incidents, postmortems, users, reviewers)
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
        done = batch_start + len(incidents)
        print(f"  {done:>6} incidents seeded ({time.perf_counter() - started:.1f} s)", flush=True)
    # auto_now_add stamped every item "now": date them from their postmortem instead.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE actions_actionitem AS i SET created_at = p.published_at - interval '2 hours',"
            " updated_at = COALESCE(i.completed_at, p.published_at)"
            " FROM postmortems_postmortem AS p WHERE i.postmortem_id = p.id"
        )


def _seed_published_extras(extra, postmortems, entries, users, categories) -> None:
    """Contributing factors (with the timeline entries that show them), questionnaire
    answers and public summaries on some of a batch's published postmortems."""
    from postmortems.models import ContributingFactor, Postmortem, SurveyAnswer, SurveyInvitation

    entries_of = {}
    for entry in entries:
        entries_of.setdefault(entry.incident_id, []).append(entry)
    factors = []
    for postmortem in postmortems:
        # The newest (whose pages are timed) has factors and answers.
        newest = postmortem is postmortems[-1]
        if extra.random() < FACTOR_SHARE or newest:
            factors += [
                ContributingFactor(
                    postmortem=postmortem,
                    category=extra.choice(categories),
                    description=_text(extra, 8).capitalize(),
                )
                for _n in range(extra.randint(1, 3))
            ]
    factors = ContributingFactor.objects.bulk_create(factors)
    ContributingFactor.timeline_entries.through.objects.bulk_create(
        ContributingFactor.timeline_entries.through(contributingfactor=factor, timelineentry=entry)
        for factor in factors
        for entry in extra.sample(entries_of[factor.postmortem.incident_id], 2)
    )
    ratings = ["yes", "yes", "partly", "no"]
    invitations, answers = [], []
    for postmortem in postmortems:
        if extra.random() < SURVEY_SHARE or postmortem is postmortems[-1]:
            people = extra.sample(users, extra.randint(4, 8))
            answered = extra.randint(3, min(6, len(people)))
            invitations += [
                SurveyInvitation(
                    postmortem=postmortem,
                    person=person,
                    invited_at=postmortem.published_at,
                    answered=n < answered,
                )
                for n, person in enumerate(people)
            ]
            answers += [
                SurveyAnswer(
                    postmortem=postmortem,
                    blameless=extra.choice(ratings),
                    found_how=extra.choice(ratings),
                    actions_owned=extra.choice(ratings),
                    worth_time=extra.choice(ratings),
                    comment=_text(extra, 10) if extra.random() < 0.3 else "",
                )
                for _n in range(answered)
            ]
        if extra.random() < PUBLIC_SHARE and not postmortem.incident.restricted:
            postmortem.is_public = True
            postmortem.public_title = postmortem.incident.title
            postmortem.public_summary = _text(extra, 40)
            postmortem.public_summary_html = _html(postmortem.public_summary)
    SurveyInvitation.objects.bulk_create(invitations)
    SurveyAnswer.objects.bulk_create(answers)
    Postmortem.objects.bulk_update(
        [postmortem for postmortem in postmortems if postmortem.is_public],
        ["is_public", "public_title", "public_summary", "public_summary_html"],
    )


def _seed_reviews(extra, incidents, postmortems, users, reviewers) -> None:
    """Postmortems in review for some resolved incidents without one: two reviewers asked,
    and comments anchored to a quote of the summary, a third of them suggesting new text."""
    from postmortems.models import Comment, Postmortem, ReviewRequest

    written = {postmortem.incident_id for postmortem in postmortems}
    in_review = []
    for incident in incidents:
        if incident.resolved_at and incident.pk not in written and extra.random() < IN_REVIEW_SHARE:
            summary = _text(extra, 30)
            in_review.append(
                Postmortem(
                    incident=incident,
                    author=extra.choice(users),
                    status="in_review",
                    review_round=1,
                    summary=summary,
                    summary_html=_html(summary),
                    what_happened=_text(extra, 80),
                )
            )
    in_review = Postmortem.objects.bulk_create(in_review)
    ReviewRequest.objects.bulk_create(
        ReviewRequest(postmortem=postmortem, reviewer=reviewer, requested_by=postmortem.author)
        for postmortem in in_review
        for reviewer in extra.sample(reviewers, 2)
    )
    comments = []
    for postmortem in in_review:
        words = postmortem.summary.split()
        for n in range(COMMENTS_PER_REVIEW):
            start = extra.randint(1, len(words) - 5)
            quote = " ".join(words[start : start + 3])
            suggests = n % 3 == 0
            body = _text(extra, 12)
            comments.append(
                Comment(
                    postmortem=postmortem,
                    author=extra.choice(users),
                    section="summary",
                    body=body,
                    body_html=_html(body),
                    quote=quote,
                    quote_prefix=" ".join(words[max(0, start - 3) : start]) + " ",
                    quote_suffix=" " + " ".join(words[start + 3 : start + 6]),
                    revision_number=1,
                    suggestion=_text(extra, 3) if suggests else "",
                    suggestion_status="open" if suggests else "",
                )
            )
    comments = Comment.objects.bulk_create(comments)
    replies = []
    for comment in comments[::2]:
        body = _text(extra, 8)
        replies.append(
            Comment(
                postmortem=comment.postmortem,
                author=extra.choice(users),
                parent=comment,
                body=body,
                body_html=_html(body),
            )
        )
    Comment.objects.bulk_create(replies)


def _size_label(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


def _database_url(size: int) -> str:
    base = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    return f"{base}_{_size_label(size)}"


# The child: one size, one database ----------------------------------------------------------


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-" + "x" * 50)
    os.environ["DJANGO_ALLOWED_HOSTS"] = "localhost"
    import django

    django.setup()


def bare_view(request):
    """What a page costs before it does anything: the middleware, the session, the user."""
    from django.http import HttpResponse

    return HttpResponse("ok")


class SqlTimer:
    """A connection.execute_wrapper that counts queries and adds up their time."""

    def __init__(self):
        self.queries = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


def _measure(client, url: str, runs: int, *, streamed: bool = False, cold: bool = False) -> dict:
    """Median and p95 of the whole response, with the SQL and Python split of each run. For a
    streamed response also the time to its first chunk. ``cold``: each run is the first view
    after a write (the data version moves first, as any write's trigger moves it), so a kept
    page computes afresh."""
    from django.db import connection

    def once() -> tuple[float, float, float, int, int]:
        if cold:
            with connection.cursor() as cursor:
                cursor.execute("SELECT nextval('core_data_version')")
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            response = client.get(url, secure=True)
            first = time.perf_counter()
            if streamed or getattr(response, "streaming", False):
                chunks = iter(response.streaming_content)
                next(chunks, b"")
                first = time.perf_counter()
                for _chunk in chunks:
                    pass
            ended = time.perf_counter()
        total = (ended - started) * 1000
        return (
            total,
            (first - started) * 1000,
            timer.seconds * 1000,
            timer.queries,
            (response.status_code),
        )

    once()  # warm up: connection, templates, caches
    results = [once() for _run in range(runs)]
    totals = [result[0] for result in results]
    return {
        "median": statistics.median(totals),
        "p95": statistics.quantiles(totals, n=20)[-1] if runs > 1 else totals[0],
        "first_byte": statistics.median(result[1] for result in results),
        "sql": statistics.median(result[2] for result in results),
        "python": statistics.median(result[0] - result[2] for result in results),
        "queries": results[-1][3],
        "status": results[-1][4],
    }


def _timed_incident():
    """The incident whose incident, postmortem and review pages are timed: the newest
    published postmortem's."""
    from postmortems.models import Postmortem

    return (
        Postmortem.objects.filter(status="published")
        .select_related("incident")
        .order_by("-pk")
        .first()
        .incident
    )


def _timed_review():
    """The incident whose one-page review (anchored comments, suggestions) is timed: the
    newest postmortem in review's."""
    from postmortems.models import Postmortem

    return (
        Postmortem.objects.filter(status="in_review")
        .select_related("incident")
        .order_by("-pk")
        .first()
        .incident
    )


# Who requests a page: the staff reader unless the page is someone else's view of the data.
READER, WRITER, REVIEWER, MANAGER, OUTSIDER, ANONYMOUS = (
    "reader",
    "writer",
    "reviewer",
    "manager",
    "outsider",
    "anonymous",
)


def _pages(today) -> list[tuple[str, str]]:
    """(label, URL) of every page people use, on the seeded data, as the staff reader."""
    from django.urls import reverse

    from actions.models import ActionItem

    timed = _timed_incident()
    reference = timed.reference
    in_review = _timed_review().reference
    item = ActionItem.objects.filter(postmortem__incident=timed).first()
    incidents = reverse("incidents:list")
    actions = reverse("actions:list")
    insights = reverse("insights:index")
    search = reverse("search:results")
    action_pages = -(-ActionItem.objects.count() // 25)
    three_years_ago = today.replace(year=today.year - 3)
    return [
        ("incident list", incidents),
        ("incident list, filtered", f"{incidents}?severity=SEV1&status=resolved&service=checkout"),
        ("incident list, page 2", f"{incidents}?page=2"),
        ("incident list, page 200", f"{incidents}?page=200"),
        ("incident page", reverse("incidents:detail", args=[reference])),
        ("postmortem page", reverse("postmortems:detail", args=[reference])),
        ("review page", reverse("postmortems:review", args=[reference])),
        ("history", reverse("postmortems:history", args=[reference])),
        ("search, common word", f"{search}?q=database"),
        ("search, rare word", f"{search}?q={RARE_WORD}"),
        ("search, typo", f"{search}?q=databse"),
        ("search, several words", f"{search}?q=connection+pool+exhausted"),
        ("search, one type, page 3", f"{search}?q=database&type=timeline&page=3"),
        ("my action items", reverse("actions:mine")),
        ("my action items, page 2", f"{reverse('actions:mine')}?page=2"),
        ("action list", actions),
        ("action list, filtered", f"{actions}?status=open&service=checkout"),
        ("action list, overdue", f"{actions}?due=overdue"),
        ("action list, page 2", f"{actions}?page=2"),
        ("action list, last page", f"{actions}?page={action_pages}"),
        ("action list, newest", f"{actions}?sort=newest&page=3"),
        ("dashboard", reverse("actions:dashboard")),
        ("insights", insights),
        ("insights, 3 years", f"{insights}?date_from={three_years_ago}&date_to={today}"),
        ("insights, filtered", f"{insights}?service=checkout&tag=deploy"),
        ("library", reverse("postmortems:library")),
        ("review queue", reverse("postmortems:queue")),
        # The REST API (the staff reader's session signs it in, as on the docs page).
        ("API incidents", "/api/incidents/"),
        (
            "API incidents, filtered",
            "/api/incidents/?severity=SEV1&status=resolved&service=checkout",
        ),
        ("API timeline", f"/api/incidents/{reference}/timeline/"),
        ("API postmortems", "/api/postmortems/"),
        ("API action items", "/api/action-items/"),
        ("API action items, overdue", "/api/action-items/?due=overdue&service=checkout"),
        # Pages added since: teams, the one-page review, factors, questionnaires, role homes,
        # the public status page, the action item page, the PDF, lists by team, restricted.
        ("team list", reverse("teams:list")),
        ("team page", reverse("teams:detail", args=[TEAM_SLUG])),
        ("review page, in review", reverse("postmortems:review", args=[in_review])),
        ("postmortem page, in review", reverse("postmortems:detail", args=[in_review])),
        ("contributing factors", reverse("postmortems:factors", args=[reference])),
        ("questionnaire results", reverse("postmortems:survey", args=[reference])),
        ("action item page", reverse("actions:detail", args=[item.pk])),
        ("incident list, team", f"{incidents}?team={TEAM_SLUG}"),
        ("action list, team", f"{actions}?team={TEAM_SLUG}"),
        ("library, team", f"{reverse('postmortems:library')}?team={TEAM_SLUG}"),
        ("insights, team", f"{insights}?team={TEAM_SLUG}"),
        ("postmortem PDF", reverse("postmortems:pdf", args=[reference])),
    ]


def _pages_as(today) -> list[tuple[str, str, str]]:
    """Pages timed as someone other than the staff reader: role homes (where ``/`` sends
    each role), the status page and its feed signed out, and restricted incidents hidden."""
    from django.urls import reverse

    incidents = reverse("incidents:list")
    return [
        ("home: writer, my work", reverse("actions:mine"), WRITER),
        ("home: reviewer, review queue", reverse("postmortems:queue"), REVIEWER),
        ("home: manager, dashboard", reverse("actions:dashboard"), MANAGER),
        ("incident list, outsider", incidents, OUTSIDER),
        ("incident list, outsider, page 2", f"{incidents}?page=2", OUTSIDER),
        ("search, outsider", f"{reverse('search:results')}?q=database", OUTSIDER),
        ("action list, outsider", reverse("actions:list"), OUTSIDER),
        ("insights, outsider", reverse("insights:index"), OUTSIDER),
        ("status page", reverse("public:list"), ANONYMOUS),
        ("status page, page 2", f"{reverse('public:list')}?page=2", ANONYMOUS),
        ("status feed (Atom)", reverse("public:feed"), ANONYMOUS),
    ]


def child(size: int, runs: int, json_path: str, only: str) -> None:
    _setup_django()
    import logging

    # The PDF's renderer logs, for every request, that it leaves static files out: on purpose.
    logging.getLogger("weasyprint").setLevel(logging.CRITICAL)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings
    from django.urls import include, path, reverse
    from django.utils import timezone

    from actions.models import ActionItem
    from core.models import Team, User
    from incidents.models import Incident, TimelineEntry
    from postmortems.models import Postmortem

    call_command("ensure_database")
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # production's manifest
    if Incident.objects.count() >= size:
        if not Team.objects.exists():
            sys.exit(
                f"{connection.settings_dict['NAME']} was seeded before teams, reviews and factors"
                " were: drop it (dropdb) or name another database with DATABASE_URL."
            )
        print(f"Already seeded: {Incident.objects.count()} incidents.", flush=True)
    else:
        print(f"Seeding {size} incidents...", flush=True)
        started = time.perf_counter()
        seed(size)
        with connection.cursor() as cursor:
            # As autovacuum leaves a database in use (it is off on some machines): statistics
            # for the planner, and pages marked all-visible for index-only scans.
            cursor.execute("VACUUM ANALYZE")
        print(f"Seeded in {time.perf_counter() - started:.1f} s.", flush=True)
    # Similar incidents are ranked ahead (incidents.similarity): by the worker after each
    # change and for the oldest lists every minute, or all at once by rank_similar_incidents,
    # which takes hours at 50,000 incidents. Rank the lists of the incidents whose pages are
    # timed.
    call_command(
        "rank_similar_incidents",
        _timed_incident().reference,
        _timed_review().reference,
        verbosity=0,
    )
    counts = {
        "incidents": Incident.objects.count(),
        "timeline entries": TimelineEntry.objects.count(),
        "postmortems": Postmortem.objects.count(),
        "action items": ActionItem.objects.count(),
    }
    print(", ".join(f"{count} {name}" for name, count in counts.items()), flush=True)

    reader, _created = User.objects.get_or_create(
        username="bench-reader", defaults={"is_staff": True}
    )
    outsider, _created = User.objects.get_or_create(username="bench-outsider")
    clients = {ANONYMOUS: Client(HTTP_HOST="localhost")}
    # "My action items" needs someone who owns some: the first seeded user, a writer; the
    # second reviews and the third manages a team (seed()).
    for who, user in [
        (READER, reader),
        (WRITER, User.objects.get(username="bench0")),
        (REVIEWER, User.objects.get(username="bench1")),
        (MANAGER, User.objects.get(username="bench2")),
        (OUTSIDER, outsider),
    ]:
        clients[who] = Client(HTTP_HOST="localhost")
        clients[who].force_login(user)
    client = clients[READER]
    owner_client = clients[WRITER]

    # The bare view is reachable only through this URLconf, only in this process.
    module = sys.modules[__name__]
    module.urlpatterns = [
        path("bench-bare/", bare_view, name="bench-bare"),
        path("", include("config.urls")),
    ]
    # As config/wsgi.py does in each worker: what start-up loaded stays out of the garbage
    # collector's full passes (else one lands in a page's runs and adds about 80 ms to it).
    import_module("config.urls")
    gc.freeze()
    print(HEADER, f" (over {runs} runs; ms)", flush=True)
    load_before = _load()
    print(f"Load average: {load_before}", flush=True)
    rows = []
    with override_settings(ROOT_URLCONF=__name__):
        bare = _measure(client, reverse("bench-bare"), runs)
        rows.append({"page": "bare view", "url": "", **bare})
        print(_row_text(rows[-1], bare["median"]), flush=True)
        for label, url in _pages(timezone.localdate()):
            if not any(part in label for part in only.split(",")):
                continue
            page_client = owner_client if url.startswith(reverse("actions:mine")) else client
            # The PDF takes seconds: a quarter as many runs, as the CSV.
            page_runs = max(3, runs // 4) if "PDF" in label else runs
            rows.append({"page": label, "url": url, **_measure(page_client, url, page_runs)})
            print(_row_text(rows[-1], bare["median"]), flush=True)
        for label, url, who in _pages_as(timezone.localdate()):
            if not any(part in label for part in only.split(",")):
                continue
            rows.append({"page": label, "url": url, **_measure(clients[who], url, runs)})
            print(_row_text(rows[-1], bare["median"]), flush=True)
        # Kept pages (core/snapshots.py) after a write: the first view serves the last figures
        # and queues their refresh; computed afresh is what that refresh costs the worker (and
        # the first view ever, or one after the figures' ten minutes).
        for label, url in [
            ("dashboard", reverse("actions:dashboard")),
            ("insights", reverse("insights:index")),
        ]:
            for suffix, refresh in [
                ("first view after a write", "worker"),
                ("the worker's refresh", "request"),
            ]:
                timed = f"{label}, {suffix}"
                if not any(part in timed for part in only.split(",")):
                    continue
                with override_settings(KEPT_SUMMARIES_REFRESH=refresh):
                    measured = _measure(client, url, runs, cold=True)
                rows.append({"page": timed, "url": url, **measured})
                print(_row_text(rows[-1], bare["median"]), flush=True)
        label = f"action CSV, {counts['action items']} rows"
        if any(part in label for part in only.split(",")):
            export = _measure(client, reverse("actions:export"), max(3, runs // 4), streamed=True)
            rows.append({"page": label, "url": "", **export})
            print(_row_text(rows[-1], bare["median"]), flush=True)
    load_after = _load()
    print(f"Load average: {load_after}", flush=True)
    Path(json_path).write_text(
        json.dumps(
            {
                "size": size,
                "counts": counts,
                "rows": rows,
                "load_before": load_before,
                "load_after": load_after,
            }
        )
    )


def _row_text(row: dict, bare_median: float) -> str:
    flag = "" if row["status"] == 200 else f"  HTTP {row['status']}"
    first_byte = f"  first byte {row['first_byte']:.0f} ms" if "CSV" in row["page"] else ""
    return (
        f"{row['page']:<36} {row['median']:>7.1f} {row['p95']:>7.1f} {row['queries']:>7}"
        f" {row['sql']:>7.1f} {row['python']:>7.1f} {row['median'] / bare_median:>6.1f}x"
        f"{first_byte}{flag}"
    )


HEADER = (
    f"{'page':<36} {'median':>7} {'p95':>7} {'queries':>7} {'SQL':>7} {'Python':>7} {'÷bare':>7}"
)


# The parent: one child per size, then the summary --------------------------------------------


def _machine() -> dict:
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    postgres = subprocess.run(
        [
            "psql",
            os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL).rsplit("/", 1)[0] + "/postgres",
            "-Atc",
            "SHOW server_version",
        ],
        capture_output=True,
        text=True,
    ).stdout.strip()
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "memory": f"{memory_kb / 1024 / 1024:.0f} GB",
        "postgres": postgres or "unknown",
        "python": platform.python_version(),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
    }


HEADING = """# Performance

The results of `scripts/benchmark.py` (`make bench`, `make bench-all`), newest last: server time
in-process with production settings, over HTTPS through Django's test client, as a signed-in
staff user unless the page says whose view it is. Times in milliseconds; *SQL* is the time spent
in queries, *Python* the rest; *÷bare* is the median over that of a bare view ("ok" through the
same middleware) measured in the same run, which takes out most of the machine's load.
"""


def _load() -> str:
    """The load averages over 1, 5 and 15 minutes, as ``uptime`` shows them."""
    return ", ".join(Path("/proc/loadavg").read_text().split()[:3])


def _markdown(results: list[dict], machine: dict, runs: int) -> str:
    """A dated section of results, to add below the earlier ones."""
    lines = [
        "",
        f"## {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: `scripts/benchmark.py`"
        f" --runs {runs}",
        "",
        f"Machine: {machine['cpus']} CPUs (`nproc`), {machine['memory']} memory, PostgreSQL "
        f"{machine['postgres']}, Python {machine['python']}; commit {machine['commit']}; "
        f"{runs} runs per page (the CSV and the PDF a quarter as many, at least 3). The machine",
        "is shared, so timings are noisy: compare medians measured the same way, and the ÷bare",
        "column.",
    ]
    for result in results:
        counts = ", ".join(f"{count:,} {name}" for name, count in result["counts"].items())
        bare = result["rows"][0]["median"]
        lines += [
            "",
            f"### {_size_label(result['size'])} incidents",
            "",
            f"{counts}. Load average (1, 5, 15 min) before: {result['load_before']}; after: "
            f"{result['load_after']}.",
            "",
            "| page | median | p95 | queries | SQL | Python | ÷bare |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in result["rows"]:
            page = f"`{row['url']}`" if row["url"] else ""
            name = f"{row['page']} {page}".strip()
            if "CSV" in row["page"]:
                name += f" (first byte {row['first_byte']:.0f} ms)"
            lines.append(
                f"| {name} | {row['median']:.1f} | {row['p95']:.1f} | {row['queries']} |"
                f" {row['sql']:.1f} | {row['python']:.1f} | {row['median'] / bare:.1f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes", default=str(INCIDENTS), help="incident counts, comma-separated (default 10000)"
    )
    parser.add_argument("--runs", type=int, default=20, help="requests per page (default 20)")
    parser.add_argument("--markdown", help="also write the results to this Markdown file")
    parser.add_argument(
        "--only",
        default="",
        help="time only the pages whose label contains this, or one of these comma-separated"
        " parts (e.g. CSV, or 'search,incident list')",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.runs, args.json, args.only)
        return

    sizes = [int(size) for size in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for size in sizes:
            print(f"\n== {size} incidents, database {_database_url(size).rsplit('/', 1)[1]} ==")
            json_path = f"{scratch}/{size}.json"
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(size),
                    "--runs",
                    str(args.runs),
                    "--json",
                    json_path,
                    "--only",
                    args.only,
                ],
                env={**os.environ, "DATABASE_URL": _database_url(size)},
                check=True,
            )
            results.append(json.loads(Path(json_path).read_text()))
    if args.markdown:
        Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
        path = Path(args.markdown)
        earlier = path.read_text() if path.exists() else HEADING
        path.write_text(earlier.rstrip("\n") + "\n" + _markdown(results, _machine(), args.runs))
        print(f"\nWrote {args.markdown}.")


if __name__ == "__main__":
    main()
