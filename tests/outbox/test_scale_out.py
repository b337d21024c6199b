"""Proof that Hindsight scales out: two web processes (gunicorn, production settings) and two
task queue workers on one database. 200 comments are posted, spread over both web processes by
four signed-in people, while the mail server refuses connections; every one succeeds. Then a
real SMTP server comes up and every expected email arrives exactly once."""

import http.client
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.contrib.auth.hashers import make_password

from core.models import Role
from outbox.models import DeliveryStatus, OutgoingEmail
from postmortems import review
from postmortems.models import Comment
from tests.factories import PASSWORD, UserFactory
from tests.outbox.conftest import free_port
from tests.outbox.processes import (
    print_logs,
    start_process,
    stop_processes,
    wait_until,
    worker_environment,
)

ACTIONS = 200

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

    env = worker_environment(smtp.port)
    web_ports = [free_port(), free_port()]
    processes = []
    try:
        for n, port in enumerate(web_ports):
            command = [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi"]
            command += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "30"]
            processes.append(start_process(command, env, tmp_path, f"web{n}"))
        for n in range(2):
            command = [sys.executable, "manage.py", "queue_worker"]
            processes.append(start_process(command, env, tmp_path, f"worker{n}"))
        wait_until(lambda: all(_healthy(port) for port in web_ports), "web processes", processes)

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
        # Back to the review page, at the new comment.
        assert all(location.split("#")[0].endswith(review_path) for *_rest, location in results)
        assert Comment.objects.filter(postmortem=ready).count() == ACTIONS
        expected = {
            (address, f"Scale-out comment {n:03d}")
            for n, person, _s, _l in results
            for address in everyone - {person.email}
        }
        assert len(expected) == ACTIONS * 3

        # The workers are trying, and the mail server refuses them.
        wait_until(
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
        wait_until(
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
        print_logs(processes)
        raise
    finally:
        stop_processes(processes)
