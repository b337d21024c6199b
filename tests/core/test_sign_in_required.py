import pytest
from django.urls import reverse

from tests.factories import IncidentFactory, TimelineEntryFactory


@pytest.fixture
def entry(db):
    return TimelineEntryFactory()


def _pages(entry):
    ref = entry.incident.reference
    return [
        ("get", reverse("incidents:list")),
        ("get", reverse("incidents:create")),
        ("post", reverse("incidents:create")),
        ("get", reverse("incidents:detail", args=[ref])),
        ("get", reverse("incidents:update", args=[ref])),
        ("post", reverse("incidents:update", args=[ref])),
        ("post", reverse("incidents:timeline-create", args=[ref])),
        ("get", reverse("incidents:timeline-update", args=[ref, entry.pk])),
        ("post", reverse("incidents:timeline-update", args=[ref, entry.pk])),
        ("post", reverse("incidents:timeline-delete", args=[ref, entry.pk])),
        ("get", reverse("account-settings")),
        ("get", reverse("password_change")),
    ]


def test_anonymous_users_are_sent_to_sign_in_for_every_page_and_write(client, entry):
    for method, url in _pages(entry):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login") + "?next="), url
    assert entry.incident.timeline_entries.count() == 1


def test_sign_in_page_is_open_and_signs_in(client, author, password):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "author", "password": password})
    assert response.status_code == 302
    assert client.get(reverse("incidents:list")).status_code == 200


def test_wrong_password_shows_an_error_and_keeps_the_username(client, author):
    response = client.post(reverse("login"), {"username": "author", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert b'value="author"' in response.content


def test_sign_out_needs_a_post_and_ends_the_session(author_client):
    response = author_client.post(reverse("logout"))
    assert response.status_code == 302
    assert author_client.get(reverse("incidents:list")).status_code == 302


def test_password_change_works(author_client, password):
    response = author_client.post(
        reverse("password_change"),
        {
            "old_password": password,
            "new_password1": "a new long passphrase 42",
            "new_password2": "a new long passphrase 42",
        },
    )
    assert response.status_code == 302
    from core.models import User

    assert User.objects.get(username="author").check_password("a new long passphrase 42")


def test_pages_carry_a_strict_content_security_policy(author_client):
    IncidentFactory()
    policy = author_client.get(reverse("incidents:list"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_liveness_check_is_open_and_asks_nothing_of_the_database(client):
    # No database access is allowed in this test: a query would fail it.
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b"ok"
