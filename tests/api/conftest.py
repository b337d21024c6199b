import pytest
from django.core.cache import cache
from django.test import Client

from api.models import AccessScope
from api.services import access_token_create


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Request counts (in the cache) belong to one test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def token_client(db):
    """A client that sends a new personal access token of ``user`` (read and write unless a
    scope is given) with every request, as a program would; no session."""

    def make(user, scope=AccessScope.WRITE, days=30):
        _stored, token = access_token_create(user=user, name="test", scope=scope, days=days)
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    return make
