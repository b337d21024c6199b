import pytest
from django.test import override_settings

from api.models import AccessScope

pytestmark = pytest.mark.django_db


@override_settings(API_RATE_LIMIT="3/minute")
def test_each_token_has_its_own_allowance_and_is_told_when_to_come_back(author, token_client):
    first, second = token_client(author), token_client(author, scope=AccessScope.READ)
    for _ in range(3):
        assert first.get("/api/me/").status_code == 200
    refused = first.get("/api/me/")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "throttled" in refused.json()["code"]
    # Another token (of the same person) counts on its own.
    assert second.get("/api/me/").status_code == 200


@override_settings(API_RATE_LIMIT="2/minute")
def test_a_browser_session_is_limited_too(author_client):
    assert author_client.get("/api/me/").status_code == 200
    assert author_client.get("/api/me/").status_code == 200
    assert author_client.get("/api/me/").status_code == 429


@pytest.mark.parametrize("rate", ["600", "600/fortnight", "0/minute", "lots/minute", "6/m"])
def test_a_mistyped_rate_stops_start_up_with_its_value(rate, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from config.env import env_rate

    monkeypatch.setenv("HINDSIGHT_API_RATE_LIMIT", rate)
    with pytest.raises(ImproperlyConfigured, match=f"not '{rate}'"):
        env_rate("HINDSIGHT_API_RATE_LIMIT", default="600/minute")
