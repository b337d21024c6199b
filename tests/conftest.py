import pytest

from core.models import Role
from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def author(db):
    return UserFactory(username="author", roles=[Role.AUTHOR])


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", roles=[Role.REVIEWER])


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", roles=[Role.MANAGER])


@pytest.fixture
def outsider(db):
    """Signed in, but holds no role."""
    return UserFactory(username="outsider")


@pytest.fixture
def staff(db):
    return UserFactory(username="staff", is_staff=True)


def _client_for(client_class, user):
    client = client_class()
    client.force_login(user)
    return client


@pytest.fixture
def author_client(author, client):
    client.force_login(author)
    return client


@pytest.fixture
def make_client():
    """A separate signed-in client per user, for tests where two people act at once."""
    from django.test import Client

    return lambda user: _client_for(Client, user)


@pytest.fixture
def password():
    return PASSWORD
