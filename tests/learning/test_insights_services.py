import pytest
from django.urls import reverse

from incidents.models import Service
from tests.learning.insights_data import PERIOD, build_insights_data

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


def test_a_service_name_with_markup_is_shown_as_text_in_the_chart_and_table(author_client):
    build_insights_data()
    service = Service.objects.get(slug="checkout")
    service.name = 'Pay & <script>alert("x")</script>'
    service.save()
    content = author_client.get(INSIGHTS, PERIOD).content.decode()
    assert "<script>alert" not in content
    escaped = "Pay &amp; &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    # The bar's label and tooltip in the SVG, and the first cell of the table's row.
    assert f'class="chart-tick">{escaped}</text>' in content
    assert f"<title>{escaped}, SEV1: 4</title>" in content
    assert f'<tr><th scope="row" class="fw-normal">{escaped}</th>' in content
