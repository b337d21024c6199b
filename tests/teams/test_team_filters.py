"""The team filter on every list and on insights (``?team=<slug>``): incidents and their
postmortems belong to the teams owning the services they touched; action items to the teams
of their owner."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Service
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    PostmortemFactory,
    ServiceFactory,
    TeamFactory,
    UserFactory,
)
from tests.learning.insights_data import PERIOD, build_insights_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(author):
    """Payments owns Checkout and has Ann; Platform owns Search and has Bob. One incident each,
    one touching both, one touching neither; a postmortem and an item on each."""
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    payments = TeamFactory(name="Payments", slug="payments", members=[ann])
    platform = TeamFactory(name="Platform", slug="platform", members=[bob])
    checkout = ServiceFactory(name="Checkout", team=payments)
    search = ServiceFactory(name="Search", team=platform)
    cases = {
        "Checkout down": ([checkout], ann),
        "Search slow": ([search], bob),
        "Both broke": ([checkout, search], bob),
        "Nobody's": ([ServiceFactory(name="Wiki")], UserFactory()),
    }
    for title, (services, owner) in cases.items():
        incident = IncidentFactory(title=title, services=services)
        postmortem = PostmortemFactory(incident=incident, status="in_review")
        ActionItemFactory(
            postmortem=postmortem,
            owner=owner,
            title=f"Fix: {title}",
            due_date=timezone.localdate() - timedelta(days=1),
        )
    return {"payments": payments, "platform": platform}


def _titles(response) -> set[str]:
    return {row.title for row in response.context["page"].object_list}


def _incident_titles(response) -> set[str]:
    return {row.incident.title for row in response.context["page"].object_list}


def test_the_incident_list_keeps_the_teams_incidents_once_each(author_client, world):
    response = author_client.get(reverse("incidents:list"), {"team": "platform"})
    assert _titles(response) == {"Search slow", "Both broke"}
    assert response.context["page"].paginator.count == 2
    assert '<option value="platform" selected>Platform</option>' in response.content.decode()


def test_an_unknown_team_is_ignored_with_a_message(author_client, world):
    response = author_client.get(reverse("incidents:list"), {"team": "gone"})
    assert len(_titles(response)) == 4
    assert "Select a valid choice" in response.content.decode()


def test_the_action_item_list_keeps_items_the_teams_members_own(author_client, world):
    response = author_client.get(reverse("actions:list"), {"team": "platform"})
    # Bob's items, whatever the incident; not Ann's item on the incident Platform shares.
    assert _titles(response) == {"Fix: Search slow", "Fix: Both broke"}


def test_the_csv_export_keeps_the_same_items(author_client, world):
    response = author_client.get(reverse("actions:export"), {"team": "payments"})
    body = b"".join(response.streaming_content).decode()
    assert "Fix: Checkout down" in body and "Fix: Search slow" not in body


def test_the_dashboard_counts_the_teams_items(make_client, manager, world):
    response = make_client(manager).get(reverse("actions:dashboard"), {"team": "payments"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-overdue-days="1"' in page and "Fix: Checkout down" in page
    assert "Fix: Search slow" not in page


def test_the_postmortem_list_keeps_the_teams_incidents_postmortems(author_client, world):
    response = author_client.get(reverse("postmortems:list"), {"team": "payments"})
    assert _incident_titles(response) == {"Checkout down", "Both broke"}


def test_the_library_keeps_the_teams_published_postmortems(author_client, world):
    for postmortem in PostmortemFactory._meta.model.objects.all():
        postmortem.status = "published"
        postmortem.published_at = timezone.now()
        postmortem.save()
    response = author_client.get(reverse("postmortems:library"), {"team": "platform"})
    assert _incident_titles(response) == {"Search slow", "Both broke"}


def test_the_review_queue_keeps_the_teams_postmortems(client, world):
    reviewer = UserFactory(username="rita")
    for postmortem in PostmortemFactory._meta.model.objects.all():
        postmortem.review_requests.create(reviewer=reviewer, requested_by=postmortem.author)
    client.force_login(reviewer)

    everything = client.get(reverse("postmortems:queue"))
    filtered = client.get(reverse("postmortems:queue"), {"team": "payments"})

    assert len(everything.context["to_review"]) == 4
    assert {p.incident.title for p in filtered.context["to_review"]} == {
        "Checkout down",
        "Both broke",
    }
    assert "Clear filters" in filtered.content.decode()


def test_insights_for_a_team_are_those_of_the_services_it_owns(author_client):
    build_insights_data()
    team = TeamFactory(name="Search people", slug="search-people")
    Service.objects.filter(slug="search").update(team=team)

    by_service = author_client.get(reverse("insights:index"), {**PERIOD, "service": "search"})
    by_team = author_client.get(reverse("insights:index"), {**PERIOD, "team": "search-people"})

    for name, figure in by_service.context["figures"].items():
        assert by_team.context["figures"][name].rows == figure.rows, name
