"""Incidents missing a required postmortem or past its due date: the incident list's filter and
the managers' dashboard panel, at a fixed number of queries whatever their number."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from postmortems.models import PostmortemRequirement
from tests.factories import IncidentFactory, PostmortemFactory, UserFactory

LIST = reverse("incidents:list")
DASHBOARD = reverse("actions:dashboard")
TODAY = date(2026, 3, 10)  # the pinned clock's date in UTC (tests/conftest.py)


@pytest.fixture(autouse=True)
def org_in_utc(settings):
    settings.ORG_TIME_ZONE = "UTC"


def _required(title, *, due_on, postmortem_status=None, exempt_by=None, owner=None):
    incident = IncidentFactory(title=title)
    if postmortem_status:
        PostmortemFactory(incident=incident, status=postmortem_status)
    PostmortemRequirement.objects.create(
        incident=incident,
        owner=owner,
        due_on=due_on,
        exempted_by=exempt_by,
        exempted_at=incident.resolved_at if exempt_by else None,
        exemption_reason="Drill" if exempt_by else "",
    )
    return incident


@pytest.fixture
def cases(manager):
    late = TODAY - timedelta(days=1)
    soon = TODAY + timedelta(days=3)
    return {
        "missing, not due": _required("Missing not due", due_on=soon),
        "missing, overdue": _required("Missing overdue", due_on=late),
        "draft, overdue": _required("Draft overdue", due_on=late, postmortem_status="draft"),
        "draft, not due": _required("Draft not due", due_on=soon, postmortem_status="draft"),
        "published late": _required("Published", due_on=late, postmortem_status="published"),
        "exempt": _required("Exempt", due_on=late, exempt_by=manager),
        "not required": IncidentFactory(title="Not required"),
    }


def _titles(response):
    return {incident.title for incident in response.context["page"]}


def test_the_list_filters_incidents_missing_a_postmortem(cases, author_client):
    response = author_client.get(LIST, {"postmortem": "missing"})
    assert _titles(response) == {"Missing not due", "Missing overdue"}


def test_the_list_filters_incidents_past_the_postmortems_due_date(cases, author_client):
    response = author_client.get(LIST, {"postmortem": "overdue"})
    assert _titles(response) == {"Missing overdue", "Draft overdue"}


def test_an_unknown_filter_value_is_ignored(cases, author_client):
    response = author_client.get(LIST, {"postmortem": "bogus"})
    assert response.status_code == 200
    assert len(_titles(response)) == len(cases)


def test_the_dashboard_panel_counts_and_lists_what_is_outstanding(cases, manager, make_client):
    owner = UserFactory(first_name="Olga", last_name="Owner")
    PostmortemRequirement.objects.filter(incident=cases["missing, overdue"]).update(owner=owner)
    response = make_client(manager).get(DASHBOARD)
    panel = response.context["required"]
    assert panel["counts"] == {"missing": 2, "overdue": 2}
    assert [row.incident.title for row in panel["rows"]] == [
        "Missing overdue",
        "Draft overdue",
        "Missing not due",
    ]
    page = response.content.decode()
    assert "Olga Owner" in page
    assert "?postmortem=overdue" in page


def _bulk_required(count):
    incidents = IncidentFactory.create_batch(count, commander=UserFactory())
    owner = UserFactory()
    PostmortemRequirement.objects.bulk_create(
        PostmortemRequirement(incident=incident, owner=owner, due_on=TODAY - timedelta(days=n % 5))
        for n, incident in enumerate(incidents)
    )
    PostmortemFactory(incident=incidents[0], status="draft")


@pytest.mark.parametrize("count", [5, 60])
def test_the_filtered_list_runs_a_fixed_number_of_queries(
    count, author_client, django_assert_max_num_queries
):
    _bulk_required(count)
    # session, user, page count, page of incidents (with commander), services prefetch,
    # tags prefetch, service and team choices for the filters, the bell's unread count, the
    # viewer's roles.
    with django_assert_max_num_queries(10):
        response = author_client.get(LIST, {"postmortem": "overdue"})
    assert response.context["page"].paginator.count > 0


@pytest.mark.parametrize("count", [5, 60])
def test_the_dashboard_panel_runs_a_fixed_number_of_queries(
    count, manager, make_client, django_assert_max_num_queries
):
    _bulk_required(count)
    client = make_client(manager)
    # As tests/actions/test_dashboard.py: fourteen, and the panel's counts and rows.
    with django_assert_max_num_queries(16):
        response = client.get(DASHBOARD)
    assert response.context["required"]["counts"]["overdue"] > 0
    # The first is started and due today: neither missing nor overdue.
    assert len(response.context["required"]["rows"]) == min(count - 1, 10)
