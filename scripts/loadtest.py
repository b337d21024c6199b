"""Load benchmark: signed-in users on a realistic mix against gunicorn with production settings.
A benchmark, not a test (`make test` does not run it).

Reproduce:

    make loadtest                                # 50 users for 60 s
    .venv/bin/python scripts/loadtest.py --users 50 --seconds 60 --think 1.0

It drops and recreates its own database (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/hindsight_load), migrates it, seeds users, incidents,
timelines, postmortems and action items, collects static files, then starts gunicorn
(config/gunicorn.py, production settings over plain http) on a free port of 127.0.0.1. Each
simulated user signs in, then until the time is up picks a request from MIX (about 10% writes),
waits for the answer, and thinks for a random 0.5 to 1.5 times --think seconds. Only loopback
traffic; every request has a timeout; gunicorn is always stopped, also on Ctrl-C.

It prints requests, errors, p50/p95/p99 per kind and overall, and for each kind of write the
rows the client was told were saved ("acknowledged", a redirect to what was created) against
the rows found in the database afterwards: every acknowledged write must be there.
Notifications go to Django's dummy mail backend: this measures the web and the database, not
mail delivery.
"""

import argparse
import http.cookiejar
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import defaultdict
from datetime import UTC, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hindsight_load")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from actions.models import ActionItem, ActionKind, Priority  # noqa: E402
from actions.services import action_item_create  # noqa: E402
from core.models import Role, User  # noqa: E402
from incidents.models import (  # noqa: E402
    Incident,
    Service,
    Severity,
    Status,
    TimelineEntry,
    TimelineKind,
)
from postmortems import review  # noqa: E402
from postmortems.models import Comment  # noqa: E402
from postmortems.services import postmortem_create, postmortem_save_sections  # noqa: E402

PASSWORD = "load-test-passphrase-42"
# A unique marker in every written row: how acknowledged writes are found in the database.
MARKER = "loadtest-"
INCIDENTS = 120  # a third without a postmortem, a third with a draft, a third published
ENTRIES_PER_INCIDENT = 6
ITEMS_PER_DRAFT = 3
REQUEST_TIMEOUT = 30  # seconds; gunicorn's own worker timeout is 30 s too
WORDS = [
    "database",
    "timeout",
    "checkout",
    "payments",
    "latency",
    "deploy",
    "rollback",
    "certificate",
    "replica",
    "cache",
    "queue",
    "dns",
]
SERVICES = ["Checkout", "Payments", "Search", "Accounts", "API gateway"]

# kind: weight (percent). Reads are what people mostly do; writes are about 10%.
MIX = {
    "incident list": 18,
    "incident page": 18,
    "postmortem page": 18,
    "search": 12,
    "my action items": 12,
    "dashboard": 12,
    "add timeline entry": 4,
    "add comment": 3,
    "add action item": 3,
}
WRITES = {"add timeline entry", "add comment", "add action item"}


# --- Database and seed -------------------------------------------------------------------


def recreate_database() -> None:
    database = settings.DATABASES["default"]
    name = database["NAME"]
    if not name.endswith("_load"):
        sys.exit(f"Refusing to drop {name!r}: the load test only recreates a *_load database.")
    env = {**os.environ, "PGPASSWORD": database.get("PASSWORD") or ""}
    where = ["-h", database.get("HOST") or "127.0.0.1", "-p", str(database.get("PORT") or 5432)]
    user = ["-U", database.get("USER") or "postgres"]
    subprocess.run(["dropdb", *where, *user, "--if-exists", "--force", name], check=True, env=env)
    subprocess.run(["createdb", *where, *user, name], check=True, env=env)


def _text(rng, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


@transaction.atomic
def seed(user_count: int) -> dict:
    """Users with every role (so each may read drafts, comment and add action items) and
    incidents in every state the mix touches. Returns what the simulated users pick from."""
    rng = random.Random(7)
    now = timezone.now().replace(second=0, microsecond=0)
    template_user = User(username="load-template")
    template_user.set_password(PASSWORD)  # hash once; the users share it
    users = User.objects.bulk_create(
        User(
            username=f"load{n:03}",
            first_name=f"Load{n:03}",
            email=f"load{n:03}@example.com",
            password=template_user.password,
        )
        for n in range(1, user_count + 1)
    )
    roles = list(Group.objects.filter(name__in=[Role.AUTHOR, Role.REVIEWER, Role.MANAGER]))
    User.groups.through.objects.bulk_create(
        User.groups.through(user=user, group=group) for user in users for group in roles
    )
    services = [Service.objects.create(name=name) for name in SERVICES]
    open_incidents, draft_postmortems, published_postmortems = [], [], []
    for n in range(INCIDENTS):
        started = now - timedelta(days=rng.randint(2, 300), minutes=rng.randint(0, 1440))
        author = rng.choice(users)
        incident = Incident.objects.create(
            title=_text(rng, 4).capitalize(),
            severity=rng.choice(Severity.values),
            status=Status.RESOLVED,
            started_at=started,
            detected_at=started + timedelta(minutes=5),
            mitigated_at=started + timedelta(minutes=50),
            resolved_at=started + timedelta(hours=3),
            customer_impact=_text(rng, 20),
            commander=author,
            created_by=author,
        )
        incident.services.set(rng.sample(services, 2))
        for step in range(ENTRIES_PER_INCIDENT):
            TimelineEntry.objects.create(
                incident=incident,
                occurred_at=started + timedelta(minutes=10 * step),
                kind=rng.choice(TimelineKind.values),
                body=_text(rng, 15),
                author=author,
            )
        if n % 3 == 0:
            open_incidents.append(incident)
            continue
        postmortem = postmortem_create(incident=incident, author=author, template=None)
        postmortem, _revision = postmortem_save_sections(
            postmortem_id=postmortem.pk,
            editor=author,
            texts={
                "summary": _text(rng, 30),
                "impact": _text(rng, 30),
                "what_happened": _text(rng, 120),
            },
            loaded_version=1,
        )
        if n % 3 == 1:
            draft_postmortems.append(postmortem)
            open_incidents.append(incident)  # its timeline may still change
            for _item in range(ITEMS_PER_DRAFT):
                action_item_create(
                    postmortem=postmortem,
                    created_by=author,
                    title=_text(rng, 5).capitalize(),
                    kind=rng.choice(ActionKind.values),
                    priority=rng.choice(Priority.values),
                    owner=rng.choice(users),
                    due_date=timezone.localdate() + timedelta(days=rng.randint(-20, 60)),
                )
        else:
            reviewer = rng.choice([user for user in users if user != author])
            review.request_review(postmortem=postmortem, actor=author, reviewers=[reviewer])
            review.approve(postmortem=postmortem, actor=reviewer, no_actions_needed=True)
            review.publish(postmortem=postmortem, actor=author)
            published_postmortems.append(postmortem)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "usernames": [user.username for user in users],
        "user_ids": [user.pk for user in users],
        "open_incidents": [(i.reference, i.started_at) for i in open_incidents],
        "all_incidents": [i.reference for i in Incident.objects.all()],
        "drafts": [p.incident.reference for p in draft_postmortems],
        "published": [p.incident.reference for p in published_postmortems],
    }


def count_written() -> dict[str, set[str]]:
    """The markers of every row the load test wrote, by kind of write."""
    return {
        "add timeline entry": _markers(
            TimelineEntry.all_objects.filter(body__contains=MARKER).values_list("body", flat=True)
        ),
        "add comment": _markers(
            Comment.objects.filter(body__contains=MARKER).values_list("body", flat=True)
        ),
        "add action item": _markers(
            ActionItem.objects.filter(title__contains=MARKER).values_list("title", flat=True)
        ),
    }


def _markers(texts) -> set[str]:
    found = set()
    for text in texts:
        start = text.index(MARKER)
        found.add(text[start : start + len(MARKER) + 32])
    return found


# --- gunicorn ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(port: int) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # Production settings over plain http on localhost (README, "Operations").
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SESSION_COOKIE_SECURE": "false",
        "DJANGO_CSRF_COOKIE_SECURE": "false",
        "DJANGO_HSTS_SECONDS": "0",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DJANGO_DEBUG": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "HINDSIGHT_TIME_ZONE": "UTC",  # the users chose none; forms read times in UTC
    }


def start_gunicorn(port: int, workers: int | None, log_path: Path) -> subprocess.Popen:
    env = server_environment(port)
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    log = log_path.open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # our Ctrl-C is handled here, not sent to it directly
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited at start; see {log_path}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=2).read()
            return server
        except OSError:
            time.sleep(0.3)
    stop_gunicorn(server)
    raise RuntimeError(f"gunicorn did not answer /healthz/ within 60 s; see {log_path}")


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)  # graceful: requests in flight finish
    try:
        server.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


# --- Simulated users ---------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to record (a saved write), not to follow


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.timings = defaultdict(list)  # kind -> [seconds]
        self.errors = defaultdict(int)  # kind -> count
        self.error_examples = []
        self.acknowledged = defaultdict(set)  # kind -> markers the client was told were saved

    def record(self, kind, seconds, error=None, marker=None):
        with self.lock:
            self.timings[kind].append(seconds)
            if error:
                self.errors[kind] += 1
                if len(self.error_examples) < 10:
                    self.error_examples.append(f"{kind}: {error}")
            elif marker:
                self.acknowledged[kind].add(marker)


class LoadUser:
    def __init__(self, base_url, username, data, results, rng):
        self.base_url = base_url
        self.username = username
        self.data = data
        self.results = results
        self.rng = rng
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects
        )

    def request(self, path, form=None) -> tuple[int, bytes]:
        body = urllib.parse.urlencode(form, doseq=True).encode() if form is not None else None
        try:
            with self.opener.open(self.base_url + path, data=body, timeout=REQUEST_TIMEOUT) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as answer:  # 3xx (not followed), 4xx and 5xx
            answer.read()
            return answer.code, b""

    def csrf_token(self) -> str:
        return next(cookie.value for cookie in self.cookies if cookie.name == "csrftoken")

    def sign_in(self) -> None:
        self.request("/login/")
        status, _body = self.request(
            "/login/",
            {
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.csrf_token(),
            },
        )
        if status != 302:
            raise RuntimeError(f"{self.username} could not sign in (HTTP {status})")

    def run_until(self, deadline: float, think: float) -> None:
        kinds, weights = zip(*MIX.items(), strict=True)
        while time.monotonic() < deadline:
            kind = self.rng.choices(kinds, weights)[0]
            started = time.perf_counter()
            marker = f"{MARKER}{uuid.uuid4().hex}" if kind in WRITES else None
            try:
                path, form = self.plan(kind, marker)
                status, _body = self.request(path, form)
                expected = 302 if kind in WRITES else 200
                error = None if status == expected else f"HTTP {status} for {path}"
            except Exception as failure:  # a timeout, a refused connection: all errors
                error = f"{type(failure).__name__}: {failure}"
            self.results.record(kind, time.perf_counter() - started, error, marker)
            if think:
                time.sleep(think * self.rng.uniform(0.5, 1.5))

    def plan(self, kind, marker) -> tuple[str, dict | None]:
        rng, data = self.rng, self.data
        if kind == "incident list":
            page = rng.choice(["", "?page=2", "?severity=SEV2", "?q=database"])
            return f"/incidents/{page}", None
        if kind == "incident page":
            return f"/incidents/{rng.choice(data['all_incidents'])}/", None
        if kind == "postmortem page":
            return f"/postmortems/{rng.choice(data['published'])}/", None
        if kind == "search":
            words = "+".join(rng.sample(WORDS, rng.randint(1, 2)))
            return f"/search/?q={words}", None
        if kind == "my action items":
            return "/actions/mine/", None
        if kind == "dashboard":
            return "/actions/dashboard/", None
        token = {"csrfmiddlewaretoken": self.csrf_token(), "submission_token": uuid.uuid4()}
        if kind == "add timeline entry":
            reference, started = rng.choice(data["open_incidents"])
            # The users chose no time zone, so forms read times in UTC (see server_environment).
            occurred = started.astimezone(UTC) + timedelta(minutes=rng.randint(1, 180))
            return f"/incidents/{reference}/timeline/", {
                **token,
                "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M"),
                "kind": rng.choice(TimelineKind.values),
                "body": f"Checked the {rng.choice(WORDS)} graphs. {marker}",
                "source_url": "",
            }
        if kind == "add comment":
            reference = rng.choice(data["published"] + data["drafts"])
            return f"/postmortems/{reference}/review/", {
                **token,
                "action": "comment",
                "section": "",
                "parent": "",
                "body": f"Could we say more about the {rng.choice(WORDS)}? {marker}",
            }
        # add action item
        prefix = "new-action-"
        token[f"{prefix}submission_token"] = token.pop("submission_token")
        return f"/actions/postmortem/{rng.choice(data['drafts'])}/new/", {
            **token,
            f"{prefix}title": f"Alert on {rng.choice(WORDS)} {marker}",
            f"{prefix}kind": rng.choice(ActionKind.values),
            f"{prefix}owner": rng.choice(data["user_ids"]),
            f"{prefix}priority": rng.choice(Priority.values),
            f"{prefix}due_date": (timezone.localdate() + timedelta(days=30)).isoformat(),
            f"{prefix}tracker_url": "",
            f"{prefix}description": "",
        }


# --- Report ------------------------------------------------------------------------------


def percentiles(seconds: list[float]) -> tuple[float, float, float]:
    if len(seconds) < 2:
        value = seconds[0] * 1000 if seconds else 0.0
        return value, value, value
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


def report(results: Results, written: dict[str, set[str]], elapsed: float) -> bool:
    print(f"\n{'kind':<20} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    every = []
    for kind in MIX:
        timings = results.timings.get(kind, [])
        every += timings
        p50, p95, p99 = percentiles(timings)
        errors = results.errors.get(kind, 0)
        print(f"{kind:<20} {len(timings):>9} {errors:>7} {p50:>8.0f} {p95:>8.0f} {p99:>8.0f}")
    p50, p95, p99 = percentiles(every)
    total_errors = sum(results.errors.values())
    print(f"{'all':<20} {len(every):>9} {total_errors:>7} {p50:>8.0f} {p95:>8.0f} {p99:>8.0f}")
    print(f"\n{len(every) / elapsed:.1f} requests/s over {elapsed:.0f} s.")
    for example in results.error_examples:
        print(f"  error: {example}")

    print(f"\n{'write':<20} {'acknowledged':>13} {'in database':>12} {'lost':>6} {'unacked':>8}")
    lost_total = 0
    for kind in sorted(WRITES):
        acknowledged, found = results.acknowledged.get(kind, set()), written[kind]
        lost = len(acknowledged - found)
        lost_total += lost
        # Written but not acknowledged: the client gave up (timeout) after the server saved.
        unacked = len(found - acknowledged)
        print(f"{kind:<20} {len(acknowledged):>13} {len(found):>12} {lost:>6} {unacked:>8}")
    ok = total_errors == 0 and lost_total == 0
    print(f"\n{'PASS' if ok else 'FAIL'}: {total_errors} errors, {lost_total} lost writes.")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50, help="signed-in users (default 50)")
    parser.add_argument("--seconds", type=int, default=60, help="duration (default 60)")
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean pause between a user's requests, seconds (default 1.0; 0 for none)",
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: config/gunicorn.py)"
    )
    args = parser.parse_args()
    if not 1 <= args.users <= 500 or not 1 <= args.seconds <= 3600:
        parser.error("--users must be 1 to 500 and --seconds 1 to 3600.")

    print(f"Recreating {settings.DATABASES['default']['NAME']} and seeding...", flush=True)
    recreate_database()
    connection.close()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        data = seed(args.users)
    print(
        f"Seeded in {time.perf_counter() - started:.0f} s: {len(data['usernames'])} users, "
        f"{Incident.objects.count()} incidents, {TimelineEntry.objects.count()} timeline entries, "
        f"{len(data['published'])} published and {len(data['drafts'])} draft postmortems, "
        f"{ActionItem.objects.count()} action items.",
        flush=True,
    )
    connection.close()

    port = free_port()
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"hindsight-loadtest-{port}.log"
    server = start_gunicorn(port, args.workers, log_path)
    try:
        base_url = f"http://127.0.0.1:{port}"
        results = Results()
        users = [
            LoadUser(base_url, name, data, results, random.Random(n))
            for n, name in enumerate(data["usernames"])
        ]
        print(f"gunicorn on {base_url} (log: {log_path}). Signing in {len(users)} users...")
        for user in users:
            user.sign_in()
        print(
            f"{len(users)} users for {args.seconds} s, thinking {args.think} s on average...",
            flush=True,
        )
        deadline = time.monotonic() + args.seconds
        began = time.monotonic()
        threads = [
            threading.Thread(target=user.run_until, args=(deadline, args.think), daemon=True)
            for user in users
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()) + REQUEST_TIMEOUT + 5)
        elapsed = time.monotonic() - began
    finally:
        stop_gunicorn(server)
    ok = report(results, count_written(), elapsed)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
