"""After signing in, people land where their work is: managers on the dashboard, reviewers on
the review queue, writers (and people with no role yet) on their drafts and action items. A
person with several roles lands by the first of manager, reviewer, writer; a ``next`` wins."""

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.urls import reverse

from core.models import Role
from tests.factories import PASSWORD, UserFactory
from tests.oidc_provider import configure, next_person, running_provider

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("actions:dashboard")
QUEUE = reverse("postmortems:queue")
MY_WORK = reverse("actions:mine")


@pytest.mark.parametrize(
    ("roles", "home"),
    [
        ([Role.AUTHOR], MY_WORK),
        ([], MY_WORK),
        ([Role.REVIEWER], QUEUE),
        ([Role.MANAGER], DASHBOARD),
        ([Role.AUTHOR, Role.REVIEWER], QUEUE),
        ([Role.REVIEWER, Role.MANAGER], DASHBOARD),
        ([Role.AUTHOR, Role.REVIEWER, Role.MANAGER], DASHBOARD),
    ],
)
def test_signing_in_with_a_password_lands_on_the_roles_home(client, roles, home):
    UserFactory(username="pat", roles=roles)
    response = client.post(reverse("login"), {"username": "pat", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")
    response = client.get(response.url)
    assert response.status_code == 302 and response.url == home
    assert client.get(home).status_code == 200


def test_a_next_in_the_sign_in_link_still_wins(client):
    UserFactory(username="pat", roles=[Role.MANAGER])
    response = client.post(
        f"{reverse('login')}?next=/incidents/",
        {"username": "pat", "password": PASSWORD, "next": "/incidents/"},
    )
    assert response.status_code == 302 and response.url == "/incidents/"


def test_the_brand_link_takes_a_signed_in_reviewer_to_their_queue(client):
    client.force_login(UserFactory(roles=[Role.REVIEWER]))
    assert client.get("/").url == QUEUE


def test_single_sign_on_lands_on_the_roles_home_too(client, settings):
    with running_provider() as provider:
        configure(settings, provider)
        next_person(provider, groups=["sre-leads"])  # mapped to Manager by configure()
        start = client.get(reverse("oidc_authentication_init"))
        approval = requests.get(start.url, allow_redirects=False, timeout=5)
        callback = urlparse(approval.headers["Location"])
        response = client.get(callback.path, parse_qs(callback.query))
        assert response.status_code == 302 and response.url == reverse("home")
        assert client.get(response.url).url == DASHBOARD
