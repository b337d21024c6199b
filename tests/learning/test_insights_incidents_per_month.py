from datetime import date

import pytest
from django.urls import reverse

from tests.learning.insights_data import MONTHS, PERIOD, build_insights_data

pytestmark = pytest.mark.django_db

INSIGHTS = reverse("insights:index")


def test_incidents_are_counted_per_month_and_severity_with_empty_months_as_zero(author_client):
    build_insights_data()
    response = author_client.get(INSIGHTS, PERIOD)
    figure = response.context["figures"]["incidents"]
    assert [column.label for column in figure.columns] == [
        "Month",
        "SEV1",
        "SEV2",
        "SEV3",
        "SEV4",
        "Total",
    ]
    # January: A, B, B2 (SEV1) and C (SEV2); February and April: none; March: D and F (SEV1,
    # F at 23:30 on the 31st) and E (SEV3). G (31 December) and H (May) are outside.
    assert figure.rows == [
        [MONTHS[0], 3, 1, 0, 0, 4],
        [MONTHS[1], 0, 0, 0, 0, 0],
        [MONTHS[2], 2, 0, 1, 0, 3],
        [MONTHS[3], 0, 0, 0, 0, 0],
    ]
    assert response.context["incident_count"] == 7


def test_the_stacked_bars_show_one_segment_per_severity_and_month(author_client):
    build_insights_data()
    page = author_client.get(INSIGHTS, PERIOD).content.decode()
    assert "<title>SEV1, January 2025: 3</title>" in page
    assert "<title>SEV2, January 2025: 1</title>" in page
    assert "<title>SEV3, March 2025: 1</title>" in page
    assert "<title>SEV1, February 2025" not in page


def test_months_follow_the_viewers_time_zone(author, client):
    build_insights_data()
    author.time_zone = "Europe/Paris"
    author.save()
    client.force_login(author)
    figure = client.get(INSIGHTS, PERIOD).context["figures"]["incidents"]
    # In Paris, G started on 1 January and F on 1 April.
    assert figure.rows == [
        [date(2025, 1, 1), 4, 1, 0, 0, 5],
        [date(2025, 2, 1), 0, 0, 0, 0, 0],
        [date(2025, 3, 1), 1, 0, 1, 0, 2],
        [date(2025, 4, 1), 1, 0, 0, 0, 1],
    ]
