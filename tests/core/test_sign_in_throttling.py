"""Five failed sign-ins for one username from one address pause sign-in for that pair for 15
minutes (django-axes); the sign-in page says so. A successful sign-in clears the count."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import pin_clock
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOCKED_OUT = "Too many failed sign-ins for this username from your network"


def _sign_in(client, username, password, address="203.0.113.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _fail(client, username, times, address="203.0.113.7"):
    for _attempt in range(times):
        response = _sign_in(client, username, "wrong guess", address)
        assert response.status_code in (200, 429)
    return response


def test_five_wrong_passwords_lock_the_username_out_even_with_the_right_one(client, password):
    UserFactory(username="alex")
    last = _fail(client, "alex", 5)
    assert last.status_code == 429
    assert LOCKED_OUT in last.content.decode()
    response = _sign_in(client, "alex", password)
    assert response.status_code == 429
    page = response.content.decode()
    assert LOCKED_OUT in page and "paused for 15 minutes" in page
    assert 'value="alex"' in page  # the sign-in page, with the username kept
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("incidents:list")).status_code == 302


def test_four_wrong_passwords_still_let_the_right_one_in_and_reset_the_count(client, password):
    UserFactory(username="alex")
    _fail(client, "alex", 4)
    assert _sign_in(client, "alex", password).status_code == 302
    client.post(reverse("logout"))
    # The count started again: four more failures do not lock the account out.
    _fail(client, "alex", 4)
    assert _sign_in(client, "alex", password).status_code == 302


def test_another_user_signing_in_from_the_same_address_is_unaffected(client, password):
    UserFactory(username="alex")
    UserFactory(username="riley")
    _fail(client, "alex", 6)
    other = Client()
    assert _sign_in(other, "riley", password).status_code == 302
    assert other.get(reverse("incidents:list")).status_code == 200


def test_the_same_user_from_another_address_is_unaffected(client, password):
    UserFactory(username="alex")
    _fail(client, "alex", 6)
    assert _sign_in(Client(), "alex", password, address="198.51.100.2").status_code == 302


def test_the_lockout_ends_after_15_minutes(client, password, pinned_now, monkeypatch):
    UserFactory(username="alex")
    _fail(client, "alex", 5)
    pin_clock(monkeypatch, lambda: pinned_now + timedelta(minutes=16))
    assert _sign_in(client, "alex", password).status_code == 302
