import pytest
from django.urls import reverse

from tests.incidents.insights_data import PERIOD, build_insights_data

pytestmark = pytest.mark.django_db

INSIGHTS = reverse("insights:index")


def test_services_are_ranked_by_incidents_with_their_severities(author_client):
    build_insights_data()
    figure = author_client.get(INSIGHTS, PERIOD).context["figures"]["services"]
    # Checkout: A, B, B2, D. Search: C (SEV2) and D. Payments: F. H (May) is outside.
    assert figure.rows == [
        ["Checkout", 4, 0, 0, 0, 4],
        ["Search", 1, 1, 0, 0, 2],
        ["Payments", 1, 0, 0, 0, 1],
    ]
    assert "<title>Search, SEV2: 1</title>" in author_client.get(INSIGHTS, PERIOD).content.decode()
