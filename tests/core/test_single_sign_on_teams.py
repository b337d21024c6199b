"""Teams from the provider's groups (OIDC_GROUP_TEAMS), against the real local OpenID Connect
provider (tests/oidc_provider.py): each sign-in brings the mapped teams up to date and leaves
the teams the table does not name alone."""

from urllib.parse import parse_qs

import pytest
from django.urls import reverse

from core.models import User
from tests.core.test_single_sign_on import _sign_in, _to_provider_and_back
from tests.factories import TeamFactory, UserFactory
from tests.oidc_provider import configure, running_provider

pytestmark = pytest.mark.django_db

GROUP_TEAMS = [("payments-eng", "payments"), ("sre", "platform"), ("sre-leads", "platform")]


@pytest.fixture(scope="module")
def provider():
    with running_provider() as url:
        yield url


@pytest.fixture(autouse=True)
def single_sign_on(settings, provider):
    configure(settings, provider, OIDC_GROUP_TEAMS=GROUP_TEAMS)


@pytest.fixture
def teams():
    return {
        "payments": TeamFactory(name="Payments", slug="payments"),
        "platform": TeamFactory(name="Platform", slug="platform"),
        "design": TeamFactory(name="Design", slug="design"),
    }


def _team_slugs(user) -> set[str]:
    return set(user.teams.values_list("slug", flat=True))


def test_first_sign_in_puts_the_new_user_in_the_teams_their_groups_map_to(client, provider, teams):
    response = _sign_in(client, provider, groups=["payments-eng", "sre-leads", "marketing"])

    assert response.status_code == 302
    user = User.objects.get(sso_subject="idp-alex-1")
    assert _team_slugs(user) == {"payments", "platform"}


def test_a_later_sign_in_leaves_mapped_teams_no_longer_claimed(client, provider, teams):
    _sign_in(client, provider, groups=["payments-eng", "sre"])
    client.post(reverse("logout"))
    _sign_in(client, provider, groups=["sre"])

    assert _team_slugs(User.objects.get()) == {"platform"}


def test_teams_the_table_does_not_name_are_left_as_set_in_hindsight(client, provider, teams):
    user = UserFactory(username="alex", sso_subject="idp-alex-1")
    teams["design"].members.add(user)
    teams["payments"].members.add(user)

    _sign_in(client, provider, groups=["marketing"])

    assert _team_slugs(user) == {"design"}


def test_without_a_team_table_teams_stay_as_set_in_hindsight(client, provider, settings, teams):
    settings.OIDC_GROUP_TEAMS = []
    user = UserFactory(username="alex", sso_subject="idp-alex-1")
    teams["payments"].members.add(user)

    _sign_in(client, provider, groups=["sre"])

    assert _team_slugs(user) == {"payments"}


def test_a_team_the_table_names_that_does_not_exist_is_skipped_and_logged(
    client, provider, settings, teams, caplog
):
    settings.OIDC_GROUP_TEAMS = [*GROUP_TEAMS, ("eng", "no-such-team")]

    response = _sign_in(client, provider, groups=["eng", "sre"])

    assert response.status_code == 302
    assert _team_slugs(User.objects.get()) == {"platform"}
    assert "no-such-team" in caplog.text


@pytest.mark.parametrize("existing_teams", [1, 40])
def test_teams_from_groups_cost_the_same_queries_however_many_teams(
    client, provider, teams, existing_teams, django_assert_max_num_queries
):
    members = UserFactory.create_batch(3)
    for _ in range(existing_teams):
        TeamFactory(members=members)
    callback = _to_provider_and_back(client, provider, groups=["payments-eng", "sre"])
    # As test_a_sign_in_costs_the_same_queries_however_many_users (27), and the mapped teams
    # read, those not claimed removed (1), those claimed looked up and added (2).
    with django_assert_max_num_queries(31):
        response = client.get(callback.path, parse_qs(callback.query))
    assert response.status_code == 302
