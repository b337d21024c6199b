"""Grafana's webhook contact point: its payload (version "1") opens incidents like
Alertmanager's, signed with Grafana's HMAC signature instead of a bearer token."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from alerting.models import SIGNATURE_HEADER, SIGNATURE_TIMESTAMP_HEADER
from incidents.models import Incident, Severity, TimelineKind
from tests.alerting.conftest import body_of, firing, grafana_firing, post_signed, signature
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_a_signed_grafana_alert_opens_an_incident(grafana):
    login = ServiceFactory(name="Login", slug="login")

    response = post_signed(grafana, grafana_firing())

    assert response.status_code == 201
    incident = Incident.objects.get()
    assert incident.title == "p99 login latency above 2 s"
    assert incident.severity == Severity.SEV3  # severity=warning in the table
    assert list(incident.services.all()) == [login]
    assert incident.started_at == datetime(2026, 4, 2, 14, 12, tzinfo=UTC)
    entry = incident.timeline_entries.get()
    assert entry.kind == TimelineKind.DETECTION
    assert "p99 is 4.3 s" in entry.body
    assert entry.source_url == "https://grafana.example.com/d/login?viewPanel=2"  # the panel


def test_grafanas_title_names_the_incident_when_there_is_no_summary(grafana):
    payload = grafana_firing()
    del payload["commonAnnotations"]["summary"]

    post_signed(grafana, payload)

    assert Incident.objects.get().title == "[FIRING:1] High login latency Auth (login warning)"


def test_a_retried_grafana_delivery_changes_nothing(grafana):
    post_signed(grafana, grafana_firing())

    response = post_signed(grafana, grafana_firing())

    assert response.json()["outcome"] == "duplicate"
    assert Incident.objects.get().timeline_entries.count() == 1


def test_a_wrong_or_missing_signature_is_refused(grafana):
    body = body_of(grafana_firing())

    def post(headers):
        return Client().post(
            grafana.endpoint_path, data=body, content_type="application/json", headers=headers
        )

    assert post({}).status_code == 401
    assert post({SIGNATURE_HEADER: signature("not the secret", body)}).status_code == 403
    assert post({SIGNATURE_HEADER: "zz"}).status_code == 403
    assert post({SIGNATURE_HEADER: "é" * 64}).status_code == 403
    assert post({SIGNATURE_HEADER: "x", SIGNATURE_TIMESTAMP_HEADER: "9" * 5000}).status_code == 403
    # A bearer token is not what this integration checks, even the right one.
    assert post({"Authorization": f"Bearer {grafana.plain_secret}"}).status_code == 401
    # A signature of other content.
    assert post({SIGNATURE_HEADER: signature(grafana.plain_secret, b"{}")}).status_code == 403
    assert not Incident.objects.exists()


def test_a_timestamped_signature_is_accepted_only_while_recent(grafana):
    body = body_of(grafana_firing())

    def post(sent_at):
        timestamp = str(int(sent_at.timestamp()))
        return Client().post(
            grafana.endpoint_path,
            data=body,
            content_type="application/json",
            headers={
                SIGNATURE_HEADER: signature(grafana.plain_secret, body, timestamp),
                SIGNATURE_TIMESTAMP_HEADER: timestamp,
            },
        )

    assert post(timezone.now() - timedelta(minutes=6)).status_code == 403  # a replay
    assert post(timezone.now() + timedelta(minutes=6)).status_code == 403
    assert post(timezone.now() - timedelta(seconds=30)).status_code == 201


def test_an_alertmanager_payload_sent_to_a_grafana_integration_is_refused(grafana):
    response = post_signed(grafana, firing())

    assert response.status_code == 400
    assert response.json()["error"] == (
        'This integration reads Grafana alerting payloads of version "1", not "4".'
    )
