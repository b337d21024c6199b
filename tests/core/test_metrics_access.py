"""/metrics/: Prometheus reads it from an allowed network or with the token; to anyone else it
does not exist."""

import ipaddress

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

TOKEN = "a-long-random-scrape-token"


@pytest.fixture(autouse=True)
def metrics_settings(settings):
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.20.0.0/16")]
    settings.METRICS_TOKEN = TOKEN


def get_metrics(client, address, **headers):
    return client.get(reverse("metrics"), REMOTE_ADDR=address, headers=headers)


def test_allowed_network_reads_the_metrics_without_signing_in(client):
    response = get_metrics(client, "10.20.3.4")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"django_http_requests_total_by_method_total" in response.content


def test_an_address_outside_the_allowed_networks_gets_not_found(client):
    assert get_metrics(client, "10.21.0.1").status_code == 404
    assert get_metrics(client, "203.0.113.9").status_code == 404


def test_an_ipv4_mapped_ipv6_address_counts_as_its_ipv4_address(client):
    assert get_metrics(client, "::ffff:10.20.3.4").status_code == 200


def test_other_methods_from_outside_get_not_found_too(client):
    response = client.post(reverse("metrics"), REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 404


def test_the_bearer_token_opens_the_metrics_from_anywhere(client):
    response = get_metrics(client, "203.0.113.9", Authorization=f"Bearer {TOKEN}")

    assert response.status_code == 200


def test_a_wrong_or_malformed_token_gets_not_found(client):
    for offered in [f"Bearer {TOKEN}x", TOKEN, "Bearer ", f"Basic {TOKEN}"]:
        assert get_metrics(client, "203.0.113.9", Authorization=offered).status_code == 404


def test_no_token_configured_means_no_token_opens_it(client, settings):
    settings.METRICS_TOKEN = ""

    assert get_metrics(client, "203.0.113.9", Authorization="Bearer ").status_code == 404


def test_signed_in_users_outside_the_network_get_not_found_too(client, author):
    client.force_login(author)

    assert get_metrics(client, "203.0.113.9").status_code == 404


def test_loopback_is_allowed_by_default(client, settings):
    from config.settings import base

    settings.METRICS_ALLOWED_NETWORKS = base.METRICS_ALLOWED_NETWORKS  # nothing set in tests

    assert get_metrics(client, "127.0.0.1").status_code == 200
    assert get_metrics(client, "::1").status_code == 200
    assert get_metrics(client, "10.20.3.4").status_code == 404


def test_a_mistyped_network_stops_start_up_with_its_name(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from config.env import env_networks

    monkeypatch.setenv("HINDSIGHT_METRICS_ALLOWED_NETWORKS", "10.0.0.0/8, 10.0.0/33")

    with pytest.raises(ImproperlyConfigured, match="not '10.0.0/33'"):
        env_networks("HINDSIGHT_METRICS_ALLOWED_NETWORKS", default=[])
