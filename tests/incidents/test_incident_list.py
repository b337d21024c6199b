from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Severity, Status
from tests.factories import IncidentFactory, ServiceFactory, UserFactory

# Dates here depend on "today": check them on both sides of midnight UTC and of the date line.
pytestmark = [pytest.mark.django_db, pytest.mark.day_boundaries]
LIST = reverse("incidents:list")


def _titles(response):
    return [incident.title for incident in response.context["page"].object_list]


def test_empty_list_invites_declaring_the_first_incident(author_client):
    response = author_client.get(LIST)
    assert "No incidents yet." in response.content.decode()


def test_filters_by_severity_status_service_and_title(author_client):
    db_service = ServiceFactory(name="Database")
    IncidentFactory(title="DB down", severity=Severity.SEV1, services=[db_service])
    IncidentFactory(
        title="Slow search",
        severity=Severity.SEV3,
        status=Status.INVESTIGATING,
        mitigated_at=None,
        resolved_at=None,
    )
    IncidentFactory(title="DB slow", severity=Severity.SEV3)

    assert _titles(author_client.get(LIST, {"severity": "SEV1"})) == ["DB down"]
    assert set(_titles(author_client.get(LIST, {"severity": ["SEV1", "SEV3"]}))) == {
        "DB down",
        "Slow search",
        "DB slow",
    }
    assert _titles(author_client.get(LIST, {"status": "investigating"})) == ["Slow search"]
    assert _titles(author_client.get(LIST, {"service": db_service.slug})) == ["DB down"]
    assert set(_titles(author_client.get(LIST, {"q": "db"}))) == {"DB down", "DB slow"}


def test_search_box_finds_an_incident_by_reference(author_client):
    wanted = IncidentFactory(title="Something")
    IncidentFactory(title="Other")
    assert _titles(author_client.get(LIST, {"q": wanted.reference.lower()})) == ["Something"]


def test_date_range_is_inclusive_of_both_days(author_client):
    now = timezone.now().replace(hour=12)
    IncidentFactory(title="old", started_at=now - timedelta(days=10))
    IncidentFactory(title="mid", started_at=now - timedelta(days=5))
    IncidentFactory(title="new", started_at=now - timedelta(days=1))
    params = {
        "started_from": (now - timedelta(days=5)).date().isoformat(),
        "started_to": (now - timedelta(days=1)).date().isoformat(),
    }
    assert _titles(author_client.get(LIST, params)) == ["new", "mid"]


def test_sort_orders(author_client):
    now = timezone.now()
    IncidentFactory(
        title="minor recent", severity=Severity.SEV4, started_at=now - timedelta(days=1)
    )
    IncidentFactory(
        title="critical old", severity=Severity.SEV1, started_at=now - timedelta(days=9)
    )
    assert _titles(author_client.get(LIST)) == ["minor recent", "critical old"]
    assert _titles(author_client.get(LIST, {"sort": "oldest"})) == ["critical old", "minor recent"]
    assert _titles(author_client.get(LIST, {"sort": "severity"})) == [
        "critical old",
        "minor recent",
    ]


def test_a_bad_filter_value_is_ignored_with_a_message_not_an_error(author_client):
    IncidentFactory(title="Still listed")
    response = author_client.get(LIST, {"started_from": "not-a-date"})
    assert response.status_code == 200
    assert _titles(response) == ["Still listed"]
    assert "That filter was ignored." in response.content.decode()


def test_no_match_says_so_and_offers_to_clear_filters(author_client):
    IncidentFactory(title="Something")
    content = author_client.get(LIST, {"q": "zzz"}).content.decode()
    assert "No incident matches these filters." in content


def test_list_is_paginated_and_keeps_filters_in_page_links(author_client, settings):
    settings.PAGE_SIZE = 5
    IncidentFactory.create_batch(12, severity=Severity.SEV2)
    response = author_client.get(LIST, {"severity": "SEV2"})
    assert len(response.context["page"].object_list) == 5
    assert "Page 1 of 3" in response.content.decode()
    assert "?severity=SEV2&amp;page=2" in response.content.decode()
    assert len(author_client.get(LIST, {"severity": "SEV2", "page": 3}).context["page"]) == 2


@pytest.mark.parametrize("count", [5, 50])
def test_list_query_count_does_not_grow_with_the_data(
    count, author_client, django_assert_max_num_queries
):
    services = ServiceFactory.create_batch(3)
    commander = UserFactory()
    IncidentFactory.create_batch(count, services=services, commander=commander)
    # session, user, the data version and the count (kept afterwards), page of incidents
    # (with commander), services prefetch, tags prefetch, service and team choices for the
    # filters, the bell's unread count, the viewer's roles (may they import?).
    with django_assert_max_num_queries(11):
        response = author_client.get(LIST, {"sort": "severity"})
    assert response.status_code == 200


def test_the_kept_count_follows_every_new_incident(author_client):
    IncidentFactory.create_batch(3)
    assert "3 incidents" in author_client.get(LIST).content.decode()
    assert "3 incidents" in author_client.get(LIST).content.decode()  # kept
    doomed = IncidentFactory()
    assert "4 incidents" in author_client.get(LIST).content.decode()
    doomed.delete()
    assert "3 incidents" in author_client.get(LIST).content.decode()
