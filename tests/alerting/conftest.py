import hashlib
import hmac
import json

import pytest
from django.test import Client

from alerting.models import SIGNATURE_HEADER, AuthMethod
from tests.factories import AlertIntegrationFactory, ServiceFactory
from tests.samples import SHARED_SAMPLES


def sample(name: str) -> dict:
    return json.loads((SHARED_SAMPLES / name).read_text())


def firing() -> dict:
    return sample("alertmanager-v4-firing.json")


def resolved() -> dict:
    return sample("alertmanager-v4-resolved.json")


def grafana_firing() -> dict:
    return sample("grafana-alert-firing.json")


def body_of(payload) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


def post_alerts(integration, payload, *, client=None, secret=None, headers=None):
    """Post as the sender does: JSON, with the integration's bearer token (or ``secret``)."""
    token = integration.plain_secret if secret is None else secret
    return (client or Client()).post(
        integration.endpoint_path,
        data=body_of(payload),
        content_type="application/json",
        headers=headers if headers is not None else {"Authorization": f"Bearer {token}"},
    )


def signature(secret: str, body: bytes, timestamp: str = "") -> str:
    signed = f"{timestamp}:".encode() + body if timestamp else body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def post_signed(integration, payload, *, client=None, secret=None):
    body = body_of(payload)
    key = integration.plain_secret if secret is None else secret
    return (client or Client()).post(
        integration.endpoint_path,
        data=body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: signature(key, body)},
    )


@pytest.fixture
def checkout(db):
    return ServiceFactory(name="Checkout", slug="checkout")


@pytest.fixture
def alertmanager(db):
    return AlertIntegrationFactory(name="Prometheus")


@pytest.fixture
def grafana(db):
    return AlertIntegrationFactory(name="Grafana", kind="grafana", auth_method=AuthMethod.HMAC)
