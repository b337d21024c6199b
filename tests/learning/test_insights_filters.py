from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import IncidentFactory
from tests.learning.insights_data import MONTHS, PERIOD, build_insights_data

# Dates here depend on "today": check them on both sides of midnight UTC and of the date line.
pytestmark = [pytest.mark.django_db, pytest.mark.day_boundaries]

INSIGHTS = reverse("insights:index")


def _figures(client, **params):
    return client.get(INSIGHTS, {**PERIOD, **params}).context["figures"]


def test_the_service_filter_keeps_that_services_incidents_and_their_action_items(author_client):
    build_insights_data()
    figures = _figures(author_client, service="search")
    # C (January, SEV2) and D (March, SEV1).
    assert [row[-1] for row in figures["incidents"].rows] == [1, 0, 1, 0]
    assert figures["incidents"].rows[0][2] == 1
    assert [row[1] for row in figures["postmortem_cycle"].rows] == [1]  # D's, in March
    assert figures["action_items"].rows[2] == [MONTHS[2], 2, 0, 0, 0]  # i4 and i5
    assert figures["overdue"].rows[2] == [MONTHS[2], 1]  # i5


def test_the_tag_filter_keeps_tagged_incidents_only(author_client):
    build_insights_data()
    figures = _figures(author_client, tag="deploy")
    # A (January) and D (March), both SEV1.
    assert [row[1] for row in figures["incidents"].rows] == [1, 0, 1, 0]
    assert figures["services"].rows == [["Checkout", 2, 0, 0, 0, 2], ["Search", 1, 0, 0, 0, 1]]
    assert figures["action_items"].rows == [
        [MONTHS[0], 0, 0, 0, 0],
        [MONTHS[1], 2, 1, 0, 0],  # i1 and i2 opened, i1 done
        [MONTHS[2], 2, 1, 0, 0],  # i4 and i5 opened, i2 done
        [MONTHS[3], 0, 0, 0, 0],
    ]


def test_the_period_picks_the_days_and_the_months(author_client):
    build_insights_data()
    response = author_client.get(INSIGHTS, {"date_from": "2025-03-04", "date_to": "2025-03-31"})
    # E (5 March) and F (31 March, 23:30); D started on 3 March.
    assert response.context["figures"]["incidents"].rows == [[date(2025, 3, 1), 1, 0, 1, 0, 2]]
    assert "2 incidents from 2025-03-04 to 2025-03-31" in response.content.decode()


def test_the_default_period_is_the_last_twelve_months(author_client):
    today = timezone.localdate()
    IncidentFactory(started_at=timezone.now() - timedelta(hours=1))
    IncidentFactory(started_at=timezone.now() - timedelta(days=400))
    response = author_client.get(INSIGHTS)
    rows = response.context["figures"]["incidents"].rows
    assert len(rows) == 12
    assert rows[-1][0] == today.replace(day=1)
    assert response.context["incident_count"] == 1


def test_unknown_or_contradictory_filters_are_ignored_with_a_message(author_client):
    build_insights_data()
    response = author_client.get(
        INSIGHTS, {**PERIOD, "service": "no-such-service", "date_to": "2024-01-01"}
    )
    page = response.content.decode()
    assert "That filter was ignored." in page
    assert "The end of the period cannot be before its start." in page
    # Neither applies: all services, and the period runs from January 2025 to today.
    assert response.context["figures"]["incidents"].rows[0] == [MONTHS[0], 3, 1, 0, 0, 4]


def test_a_period_over_ten_years_is_refused(author_client):
    response = author_client.get(INSIGHTS, {"date_from": "1990-01-01"})
    assert "Choose a period of at most 10 years." in response.content.decode()
    assert len(response.context["figures"]["incidents"].rows) == 12
