"""The teams' pages: the list, and each team's incidents (through the services it owns), its
postmortems in progress, the action items its members own (to do and overdue) and their
follow-through, as the viewer may see them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    PostmortemFactory,
    ServiceFactory,
    TeamFactory,
    UserFactory,
)

# Due dates and the 90-day window depend on "today": check both sides of midnight UTC.
pytestmark = [pytest.mark.django_db, pytest.mark.day_boundaries]


def _day(n: int):
    return timezone.localdate() + timedelta(days=n)


@pytest.fixture
def payments():
    """Payments: Pat manages, Ann and Bob are members; it owns Checkout and Billing."""
    pat = UserFactory(username="pat", first_name="Pat", last_name="Lead")
    ann = UserFactory(username="ann", first_name="Ann", last_name="Able")
    bob = UserFactory(username="bob", first_name="Bob", last_name="Baker")
    team = TeamFactory(name="Payments", manager=pat, members=[pat, ann, bob])
    for name in ("Checkout", "Billing"):
        ServiceFactory(name=name, team=team)
    return team


def _service(name):
    return ServiceFactory(name=name)


def test_the_list_shows_each_team_with_its_manager_and_sizes(author_client, payments):
    TeamFactory(name="Platform")

    response = author_client.get(reverse("teams:list"))

    page = response.content.decode()
    assert response.status_code == 200
    assert [team.name for team in response.context["page"].object_list] == [
        "Payments",
        "Platform",
    ]
    payments_row = response.context["page"].object_list[0]
    assert (payments_row.member_count, payments_row.service_count) == (3, 2)
    assert "Pat Lead" in page and payments.get_absolute_url() in page


def test_the_navigation_leads_to_the_teams(author_client):
    assert reverse("teams:list") in author_client.get(reverse("incidents:list")).content.decode()


def test_a_team_page_shows_the_incidents_of_the_services_it_owns_once_each(author_client, payments):
    both = IncidentFactory(
        title="Checkout and billing down", services=[_service("Checkout"), _service("Billing")]
    )
    IncidentFactory(title="Search slow", services=[_service("Search")])
    IncidentFactory(title="Billing late", services=[_service("Billing")])

    response = author_client.get(payments.get_absolute_url())

    titles = [incident.title for incident in response.context["page"].object_list]
    assert sorted(titles) == ["Billing late", "Checkout and billing down"]
    assert both.reference in response.content.decode()
    assert "2 incidents touched a service the team owns." in response.content.decode()


def test_a_team_page_shows_postmortems_in_progress_not_published_ones(
    author_client, author, payments
):
    checkout = _service("Checkout")
    PostmortemFactory(
        incident__title="In review one", incident__services=[checkout], status="in_review"
    )
    PostmortemFactory(
        incident__title="Published one", incident__services=[checkout], status="published"
    )
    PostmortemFactory(incident__title="Someone else's draft", incident__services=[checkout])
    PostmortemFactory(incident__title="My draft", incident__services=[checkout], author=author)
    PostmortemFactory(incident__title="Other team's", status="in_review")

    response = author_client.get(payments.get_absolute_url())

    shown = {postmortem.incident.title for postmortem in response.context["postmortems"]}
    # A draft stays with its writers, as everywhere else.
    assert shown == {"In review one", "My draft"}


def test_a_team_page_shows_its_members_items_to_do_overdue_first(author_client, payments):
    ann, bob = payments.members.get(username="ann"), payments.members.get(username="bob")
    ActionItemFactory(owner=ann, title="Ann's overdue", due_date=_day(-3))
    ActionItemFactory(owner=bob, title="Bob's due later", due_date=_day(10))
    ActionItemFactory(owner=bob, title="Bob's done", due_date=_day(-5), status="done")
    ActionItemFactory(title="An outsider's overdue", due_date=_day(-3))

    response = author_client.get(payments.get_absolute_url())

    assert [item.title for item in response.context["items"]] == [
        "Ann's overdue",
        "Bob's due later",
    ]
    assert response.context["counts"]["to_do"] == 2
    assert response.context["counts"]["overdue"] == 1
    page = response.content.decode()
    assert "?team=payments&amp;due=overdue" in page


def test_follow_through_is_the_share_done_of_the_items_that_fell_due_in_90_days(
    author_client, payments
):
    ann = payments.members.get(username="ann")
    ActionItemFactory(owner=ann, due_date=_day(-10), status="done")
    ActionItemFactory(owner=ann, due_date=_day(-20), status="done")
    ActionItemFactory(owner=ann, due_date=_day(-30), status="open")
    ActionItemFactory(owner=ann, due_date=_day(-40), status="wont_do")  # set aside
    ActionItemFactory(owner=ann, due_date=_day(-100), status="open")  # before the window
    ActionItemFactory(due_date=_day(-10), status="open")  # not the team's

    response = author_client.get(payments.get_absolute_url())

    assert response.context["completion_rate"] == 67  # 2 done of 3 that fell due
    assert "2 done of 3 that fell due" in response.content.decode()


def test_without_items_due_the_follow_through_is_a_dash_not_zero(author_client, payments):
    response = author_client.get(payments.get_absolute_url())
    assert response.context["completion_rate"] is None
    assert response.context["on_time_rate"] is None


def test_a_restricted_incident_is_absent_for_outsiders_but_shown_to_its_participants(
    client, payments
):
    ann = payments.members.get(username="ann")
    insider, outsider = UserFactory(username="insider"), UserFactory(username="nosy")
    incident = IncidentFactory(
        title="Payroll leak", restricted=True, services=[_service("Checkout")]
    )
    incident.participants.add(insider)
    PostmortemFactory(incident=incident, status="in_review")
    ActionItemFactory(
        owner=ann, title="Rotate payroll keys", postmortem=incident.postmortem, due_date=_day(-1)
    )

    client.force_login(outsider)
    response = client.get(payments.get_absolute_url())
    page = response.content.decode()
    assert "Payroll leak" not in page and "Rotate payroll keys" not in page
    assert response.context["counts"]["to_do"] == 0

    client.force_login(insider)
    page = client.get(payments.get_absolute_url()).content.decode()
    assert "Payroll leak" in page and "Rotate payroll keys" in page


def test_an_unknown_team_is_not_found(author_client):
    assert author_client.get(reverse("teams:detail", args=["nope"])).status_code == 404


def test_the_incidents_are_paginated(author_client, payments, settings):
    settings.PAGE_SIZE = 5
    IncidentFactory.create_batch(7, services=[_service("Checkout")])

    response = author_client.get(payments.get_absolute_url(), {"page": 2})

    assert len(response.context["page"].object_list) == 2
    assert "Page 2 of 2" in response.content.decode()


@pytest.mark.parametrize("count", [3, 40])
def test_a_team_page_costs_the_same_queries_however_much_it_holds(
    count, author_client, payments, django_assert_max_num_queries
):
    checkout, billing = _service("Checkout"), _service("Billing")
    members = UserFactory.create_batch(count)
    payments.members.add(*members)
    for member in members:
        incident = IncidentFactory(services=[checkout, billing], commander=member)
        postmortem = PostmortemFactory(incident=incident, status="in_review")
        ActionItemFactory(owner=member, postmortem=postmortem, due_date=_day(-2))
    # session, user, the viewer's roles (visibility), the team (with manager), members,
    # services, the data version, incidents' count, the page, their services and tags,
    # postmortems in progress, the items' counts and the items, the bell's unread count.
    with django_assert_max_num_queries(15):
        response = author_client.get(payments.get_absolute_url())
    assert response.status_code == 200
    # Kept until the data changes: the data version in place of both counts.
    with django_assert_max_num_queries(13):
        response = author_client.get(payments.get_absolute_url())
    assert response.status_code == 200
    assert response.context["page"].paginator.count == count
    assert response.context["counts"]["overdue"] == count


def test_the_kept_counts_follow_every_change_of_the_teams_incidents_and_items(
    author_client, payments
):
    checkout = payments.services.get(name="Checkout")
    ann = payments.members.get(username="ann")
    IncidentFactory(services=[checkout])
    ActionItemFactory(owner=ann, due_date=_day(-1))
    first = author_client.get(payments.get_absolute_url()).context
    assert (first["page"].paginator.count, first["counts"]["overdue"]) == (1, 1)

    IncidentFactory(services=[checkout])
    ActionItemFactory(owner=ann, due_date=_day(-2))
    after_writes = author_client.get(payments.get_absolute_url()).context
    assert (after_writes["page"].paginator.count, after_writes["counts"]["overdue"]) == (2, 2)

    checkout.team = None
    checkout.save()
    payments.members.remove(ann)
    after_moves = author_client.get(payments.get_absolute_url()).context
    assert (after_moves["page"].paginator.count, after_moves["counts"]["overdue"]) == (0, 0)


@pytest.mark.parametrize("count", [3, 40])
def test_the_team_list_costs_the_same_queries_however_many_teams(
    count, author_client, django_assert_max_num_queries
):
    for n in range(count):
        TeamFactory(name=f"Team {n}", manager=UserFactory(), members=UserFactory.create_batch(2))
    # session, user, the teams' count and page (with managers and sizes), the bell.
    with django_assert_max_num_queries(5):
        response = author_client.get(reverse("teams:list"))
    assert response.status_code == 200
