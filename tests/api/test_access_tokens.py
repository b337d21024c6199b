import hashlib
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.models import AccessScope, AccessToken
from api.services import MAX_TOKENS_PER_PERSON, AccessTokenError, access_token_create
from tests.factories import PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db
SETTINGS = reverse("account-settings")
ME = "/api/me/"


def _settings_form(user, **tokens):
    """What the Settings page sends: the account form as it is, and the token section."""
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "time_zone": "",
        "email_preferences-shown": "on",
    }
    data.update({f"access_tokens-{name}": value for name, value in tokens.items()})
    return data


def _made_on_settings_page(client, user, **tokens):
    response = client.post(SETTINGS, _settings_form(user, **tokens), follow=True)
    assert response.status_code == 200
    return response


def _shown_token(response) -> str:
    shown = [str(m) for m in get_messages(response.wsgi_request) if "hsat_" in str(m)]
    assert len(shown) == 1
    return shown[0].rsplit(" ", 1)[-1]


def test_a_token_made_on_the_settings_page_is_shown_once_and_stored_only_as_its_digest(
    author_client, author
):
    response = _made_on_settings_page(
        author_client, author, name="deploy bot", scope="read", days="30"
    )
    token = _shown_token(response)
    assert token in response.content.decode()

    stored = AccessToken.objects.get(user=author)
    assert stored.name == "deploy bot"
    assert stored.scope == AccessScope.READ
    assert stored.digest == hashlib.sha256(token.encode()).hexdigest()
    assert stored.expires_at == pytest.approx(
        timezone.now() + timedelta(days=30), abs=timedelta(seconds=5)
    )
    # The token itself is kept nowhere: not in any column, not on the page again.
    assert token not in str(AccessToken.objects.filter(pk=stored.pk).values().get())
    again = author_client.get(SETTINGS)
    assert token not in again.content.decode()
    assert "deploy bot (read only, hsat_" in again.content.decode()

    answer = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(ME)
    assert answer.status_code == 200
    assert answer.json()["user"]["username"] == "author"
    assert answer.json()["token"]["scope"] == "read"


def test_saving_settings_without_a_name_makes_no_token(author_client, author):
    response = _made_on_settings_page(author_client, author, name="", scope="write", days="7")
    assert not AccessToken.objects.exists()
    assert not [m for m in get_messages(response.wsgi_request) if "hsat_" in str(m)]


def test_an_expiry_outside_the_offered_choices_is_refused(author_client, author):
    response = author_client.post(SETTINGS, _settings_form(author, name="x", days="10000"))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize("days", [0, -1, 366])
def test_the_service_keeps_a_token_s_life_within_bounds(author, days):
    with pytest.raises(AccessTokenError, match="from 1 to 365 days"):
        access_token_create(user=author, name="x", scope="read", days=days)


def test_a_revoked_token_stops_working_at_once(author_client, author, token_client):
    client = token_client(author)
    assert client.get(ME).status_code == 200
    stored = AccessToken.objects.get(user=author)
    _made_on_settings_page(author_client, author, revoke=[str(stored.pk)])

    response = client.get(ME)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    stored.refresh_from_db()
    assert stored.revoked_at is not None
    assert "hsat_" not in author_client.get(SETTINGS).content.decode()


def test_nobody_revokes_another_person_s_token(author_client, author, outsider, token_client):
    client = token_client(outsider)
    theirs = AccessToken.objects.get(user=outsider)
    _made_on_settings_page(author_client, author, revoke=[str(theirs.pk)])
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert client.get(ME).status_code == 200


def test_an_expired_token_is_refused(author, token_client, monkeypatch):
    client = token_client(author, days=7)
    later = timezone.now() + timedelta(days=7, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    response = client.get(ME)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer hsat_not-a-real-token",
        "Bearer some-other-kind-of-token",
        "Bearer two words",
        "Bearer",
        "Bearer \u00e9t\u00e9",
    ],
)
def test_unknown_or_malformed_tokens_are_refused_with_401(db, header):
    response = Client(HTTP_AUTHORIZATION=header.encode().decode("latin-1")).get(ME)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["detail"]


def test_without_a_token_or_session_the_api_answers_401_not_the_sign_in_page(db):
    response = Client().get("/api/incidents/")
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/json"


def test_a_deactivated_person_s_token_stops_working(author, token_client):
    client = token_client(author)
    author.is_active = False
    author.save()
    assert client.get(ME).status_code == 401


def test_a_read_only_token_reads_but_cannot_write(author, token_client):
    postmortem = PostmortemFactory(author=author)
    client = token_client(author, scope=AccessScope.READ)
    assert client.get(f"/api/postmortems/{postmortem.incident.reference}/").status_code == 200
    response = client.patch(
        f"/api/postmortems/{postmortem.incident.reference}/sections/",
        {"version": postmortem.version, "sections": {"summary": "New."}},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "may only read" in response.json()["detail"]
    postmortem.refresh_from_db()
    assert postmortem.summary != "New."


def test_use_is_noted_at_most_once_a_minute(author, token_client, monkeypatch):
    client = token_client(author)
    stored = AccessToken.objects.get(user=author)
    assert stored.last_used_at is None
    client.get(ME)
    stored.refresh_from_db()
    first = stored.last_used_at
    assert first is not None
    client.get(ME)
    stored.refresh_from_db()
    assert stored.last_used_at == first
    later = timezone.now() + timedelta(minutes=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    client.get(ME)
    stored.refresh_from_db()
    assert stored.last_used_at == later


def test_the_browser_session_works_too_but_changes_need_the_csrf_token(author):
    postmortem = PostmortemFactory(author=author)
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    url = f"/api/postmortems/{postmortem.incident.reference}/sections/"
    assert client.get(url.replace("sections/", "")).status_code == 200
    body = {"version": postmortem.version, "sections": {"summary": "From the docs page."}}
    refused = client.patch(url, body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]

    page = client.get("/api/docs/")
    csrf = page.context["csrf_token"]
    accepted = client.patch(url, body, content_type="application/json", HTTP_X_CSRFTOKEN=str(csrf))
    assert accepted.status_code == 200
    postmortem.refresh_from_db()
    assert postmortem.summary == "From the docs page."


def test_staff_revoke_a_leaked_token_in_the_admin(author, token_client, make_client):
    client = token_client(author)
    stored = AccessToken.objects.get(user=author)
    admin = make_client(UserFactory(is_staff=True, is_superuser=True))
    listing = admin.get(reverse("admin:api_accesstoken_changelist"))
    assert listing.status_code == 200
    assert stored.shown_prefix in listing.content.decode()
    response = admin.post(
        reverse("admin:api_accesstoken_changelist"),
        {"action": "revoke_action", "_selected_action": [stored.pk]},
    )
    assert response.status_code == 302
    assert client.get(ME).status_code == 401


@pytest.mark.parametrize(
    "method, url",
    [
        ("post", "/api/action-items/"),
        ("patch", "/api/action-items/1/"),
        ("post", "/api/action-items/1/status/"),
        ("patch", "/api/postmortems/INC-1/sections/"),
        ("post", "/api/incidents/INC-1/timeline/"),
        ("get", "/api/schema/"),
        ("get", ME),
    ],
)
def test_every_endpoint_needs_a_token_or_a_session(db, method, url):
    response = getattr(Client(), method)(url, {}, content_type="application/json")
    assert response.status_code == 401


def test_a_person_holds_at_most_fifty_usable_tokens(author_client, author):
    for _ in range(MAX_TOKENS_PER_PERSON):
        access_token_create(user=author, name="bot", scope="read", days=7)
    with pytest.raises(AccessTokenError, match="revoke some"):
        access_token_create(user=author, name="one more", scope="read", days=7)
    response = author_client.post(SETTINGS, _settings_form(author, name="one more", days="7"))
    assert "revoke some you no longer use first" in response.content.decode()
    assert "one more" in response.content.decode()  # what was typed stays in the form
    oldest = AccessToken.objects.filter(user=author).last()
    _made_on_settings_page(
        author_client, author, name="one more", days="7", revoke=[str(oldest.pk)]
    )
    assert AccessToken.objects.usable().filter(user=author).count() == MAX_TOKENS_PER_PERSON
