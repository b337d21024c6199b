from datetime import timedelta

import pytest
from django.urls import reverse

from tests.learning.insights_data import MONTHS, PERIOD, build_insights_data

pytestmark = pytest.mark.django_db

INSIGHTS = reverse("insights:index")


def test_cycle_time_runs_from_resolution_to_publication_by_month_published(author_client):
    build_insights_data()
    figure = author_client.get(INSIGHTS, PERIOD).context["figures"]["postmortem_cycle"]
    # February: A (resolved 10 Jan 12:00, published 1 Feb 12:00: 22 days) and B (resolved
    # 20 Jan 14:00, published 10 Feb 14:00: 21 days). March: D, 17 days. B2's is a draft.
    assert figure.rows == [
        [MONTHS[1], 2, timedelta(days=21.5), timedelta(days=21.9)],
        [MONTHS[2], 1, timedelta(days=17), timedelta(days=17)],
    ]


def test_cycle_time_line_has_a_point_per_month_with_publications(author_client):
    build_insights_data()
    figure = author_client.get(INSIGHTS, PERIOD).context["figures"]["postmortem_cycle"]
    median = next(line for line in figure.chart.lines if "chart-median" in line.css)
    assert len(median.points.split()) == 2  # February to March
    assert "Median, February 2025: 21 d 12 h" in [dot.title for dot in figure.chart.dots]
