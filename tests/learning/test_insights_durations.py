from datetime import timedelta

import pytest
from django.urls import reverse

from tests.learning.insights_data import MONTHS, PERIOD, build_insights_data

pytestmark = pytest.mark.django_db

INSIGHTS = reverse("insights:index")
JAN, MAR = MONTHS[0], MONTHS[2]


def minutes(number):
    return timedelta(minutes=number)


@pytest.fixture
def figures(author_client):
    build_insights_data()
    return author_client.get(INSIGHTS, PERIOD).context["figures"]


# Medians and 90th percentiles interpolate, as PostgreSQL's percentile_cont: of 10, 20 and 60
# minutes the median is 20 and the 90th percentile 20 + 0.8 × (60 − 20) = 52.


def test_time_to_detect_per_severity_and_month(figures):
    assert figures["time_to_detect"].rows == [
        [JAN, "SEV1", 3, minutes(20), minutes(52)],  # A 10, B 20, B2 60
        [JAN, "SEV2", 1, minutes(5), minutes(5)],  # C 5
        [MAR, "SEV1", 2, minutes(35), minutes(39)],  # F 30, D 40: 30 + 0.9 × 10
        [MAR, "SEV3", 1, minutes(60), minutes(60)],  # E 60
    ]


def test_time_to_mitigate_leaves_out_incidents_not_yet_mitigated(figures):
    assert figures["time_to_mitigate"].rows == [
        [JAN, "SEV1", 3, minutes(60), minutes(84)],  # A 30, B 60, B2 90: 60 + 0.8 × 30
        [MAR, "SEV1", 2, minutes(75), minutes(87)],  # F 60, D 90: 60 + 0.9 × 30
        [MAR, "SEV3", 1, minutes(120), minutes(120)],  # E 120; C is not mitigated
    ]


def test_time_to_resolve_per_severity_and_month(figures):
    assert figures["time_to_resolve"].rows == [
        [JAN, "SEV1", 3, minutes(180), minutes(228)],  # A 120, B2 180, B 240
        [MAR, "SEV1", 2, minutes(270), minutes(342)],  # F 180, D 360: 180 + 0.9 × 180
        [MAR, "SEV3", 1, minutes(1440), minutes(1440)],  # E one day
    ]


def test_the_table_shows_durations_as_people_say_them(author_client):
    build_insights_data()
    page = author_client.get(INSIGHTS, PERIOD).content.decode()
    table = page.split('id="table-time_to_resolve"')[1].split("</table>")[0]
    assert "3 h 48 min" in table
    assert "1 d 0 h" in table


def test_the_lines_draw_a_solid_median_and_a_dashed_90th_percentile(figures):
    lines = figures["time_to_detect"].chart.lines
    sev1 = [line for line in lines if "chart-sev1" in line.css]
    # January and March are not adjacent: each is a lone dot, not a line.
    assert sev1 == []
    dots = [dot.title for dot in figures["time_to_detect"].chart.dots]
    assert "SEV1 median, January 2025: 20 min" in dots
    assert "SEV1 90th percentile, March 2025: 39 min" in dots
