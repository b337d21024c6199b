"""Proof that Hindsight scales out: two web processes (gunicorn, production settings) and two
task queue workers on one database. 200 comments are posted, spread over both web processes by
four signed-in people, while the mail server refuses connections; every one succeeds. Then a
real SMTP server comes up and every expected email arrives exactly once."""

import http.client
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection

from core.models import Role
from outbox.models import DeliveryStatus, OutgoingEmail
from postmortems import review
from postmortems.models import Comment
from tests.factories import PASSWORD, UserFactory
from tests.outbox.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = 200
DEADLINE_SECONDS = 45  # for each phase: start-up, posting, delivery

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]


class Session:
    """A signed-in person's cookies, sent by hand: production cookies are marked Secure, which
    http.cookiejar would not send over the plain http of this test."""

    def __init__(self):
        self.cookies = {}

    def request(self, port, method, path, data=None):
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        try:
            client.request(method, path, body=body, headers=headers)
            response = client.getresponse()
            response.read()
        finally:
            client.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response

    def sign_in(self, port, username):
        self.request(port, "GET", "/login/")  # the CSRF cookie
        response = self.request(
            port, "POST", "/login/", {"username": username, "password": PASSWORD}
        )
        assert response.status == 302, f"{username} could not sign in ({response.status})"


def _database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _environment(smtp_port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.outbox.production_like_settings",
        DATABASE_URL=_database_url(),
        DJANGO_SECRET_KEY=uuid.uuid4().hex * 2,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_TIMEOUT="5",
        # Retry every second or two, and never give up during the test.
        HINDSIGHT_OUTBOX_RETRY_BASE_SECONDS="1",
        HINDSIGHT_OUTBOX_RETRY_MAX_SECONDS="2",
        HINDSIGHT_OUTBOX_MAX_ATTEMPTS="1000",
        DJANGO_LOG_LEVEL="WARNING",
    )
    return env


def _start(command, env, log_dir, name):
    log = open(log_dir / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log = log
    process.name = name
    return process


def _wait_until(condition, what, processes):
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        for process in processes:
            assert process.poll() is None, f"{process.name} exited with {process.returncode}"
        if condition():
            return
        time.sleep(0.25)
    pytest.fail(f"Timed out waiting for {what}")


def _healthy(port) -> bool:
    try:
        return Session().request(port, "GET", "/healthz/").status == 200
    except OSError:
        return False


def test_two_web_processes_and_two_workers_lose_no_email_while_smtp_is_down(
    smtp, settings, ready, author, reviewer, tmp_path
):
    # The web processes check passwords with the production hashers.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    hashed = make_password(PASSWORD)
    reviewers = [reviewer, *(UserFactory(roles=[Role.REVIEWER]) for _ in range(2))]
    review.request_review(postmortem=ready, actor=author, reviewers=reviewers)
    people = [author, *reviewers]
    for person in people:
        person.password = hashed
        person.save(update_fields=["password"])
    everyone = {person.email for person in people}

    env = _environment(smtp.port)
    web_ports = [free_port(), free_port()]
    processes = []
    try:
        for n, port in enumerate(web_ports):
            command = [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi"]
            command += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "30"]
            processes.append(_start(command, env, tmp_path, f"web{n}"))
        for n in range(2):
            command = [sys.executable, "manage.py", "procrastinate", "worker"]
            processes.append(_start(command, env, tmp_path, f"worker{n}"))
        _wait_until(lambda: all(_healthy(port) for port in web_ports), "web processes", processes)

        sessions = {}
        for n, person in enumerate(people):
            sessions[person.username] = session = Session()
            session.sign_in(web_ports[n % 2], person.username)

        review_path = ready.review_url()

        def post_comment(n):
            person = people[n % len(people)]
            body = f"Scale-out comment {n:03d}"
            response = sessions[person.username].request(
                web_ports[n % 2],  # alternate, like a load balancer
                "POST",
                review_path,
                {
                    "action": "comment",
                    "body": body,
                    "section": "",
                    "submission_token": uuid.uuid4(),
                },
            )
            return n, person, response.status, response.getheader("Location", "")

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(post_comment, range(ACTIONS)))

        assert [status for _n, _p, status, _l in results] == [302] * ACTIONS
        assert all(location.endswith(review_path) for *_rest, location in results)
        assert Comment.objects.filter(postmortem=ready).count() == ACTIONS
        expected = {
            (address, f"Scale-out comment {n:03d}")
            for n, person, _s, _l in results
            for address in everyone - {person.email}
        }
        assert len(expected) == ACTIONS * 3

        # The workers are trying, and the mail server refuses them.
        _wait_until(
            lambda: (
                OutgoingEmail.objects.filter(attempts__gte=1, kind="comment").count() >= ACTIONS
            ),
            "failed delivery attempts",
            processes,
        )
        assert not OutgoingEmail.objects.filter(status=DeliveryStatus.SENT).exists()
        assert (
            "ConnectionRefusedError"
            in OutgoingEmail.objects.filter(attempts__gte=1).first().last_error
        )

        smtp.start()
        _wait_until(
            lambda: not OutgoingEmail.objects.pending().exists(), "every delivery", processes
        )
        time.sleep(1)  # a duplicate, were there one, would have arrived by now

        comments = [
            (address, mail.message.get_payload(decode=True).decode())
            for mail in smtp.received
            if mail.subject.startswith("New comment:")
            for address in mail.to
        ]
        arrived = [
            (address, next(line for line in body.splitlines() if line.startswith("Scale-out")))
            for address, body in comments
        ]
        assert len(arrived) == len(set(arrived)), "an email arrived twice"
        assert set(arrived) == expected
        review_requested = [m for m in smtp.received if m.subject.startswith("Review requested")]
        assert sorted(a for m in review_requested for a in m.to) == sorted(
            r.email for r in reviewers
        )
        assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    except BaseException:
        for process in processes:
            process.log.flush()
            print(
                f"--- {process.name} ---\n" + (tmp_path / f"{process.name}.log").read_text()[-3000:]
            )
        raise
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            process.log.close()
