import csv
import io

import pytest
from django.urls import reverse

from tests.learning.insights_data import PERIOD, build_insights_data

pytestmark = pytest.mark.django_db

INSIGHTS = reverse("insights:index")


def _csv(client, figure, **params):
    response = client.get(INSIGHTS, {**PERIOD, **params, "format": "csv", "figure": figure})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return response, list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_each_chart_links_to_its_csv_with_the_active_filters(author_client):
    build_insights_data()
    page = author_client.get(INSIGHTS, {**PERIOD, "tag": "deploy"}).content.decode()
    for figure in ("incidents", "time_to_detect", "postmortem_cycle", "overdue", "services"):
        link = f"?date_from=2025-01-01&amp;date_to=2025-04-30&amp;tag=deploy&amp;format=csv&amp;figure={figure}"
        assert link in page


def test_incidents_csv_is_the_table(author_client):
    build_insights_data()
    response, rows = _csv(author_client, "incidents")
    assert (
        'filename="insights-incidents-2025-01-01-2025-04-30.csv"' in response["Content-Disposition"]
    )
    assert rows == [
        ["Month", "SEV1", "SEV2", "SEV3", "SEV4", "Total"],
        ["2025-01", "3", "1", "0", "0", "4"],
        ["2025-02", "0", "0", "0", "0", "0"],
        ["2025-03", "2", "0", "1", "0", "3"],
        ["2025-04", "0", "0", "0", "0", "0"],
    ]


def test_durations_csv_gives_minutes(author_client):
    build_insights_data()
    _response, rows = _csv(author_client, "time_to_resolve")
    assert rows == [
        [
            "Month",
            "Severity",
            "Incidents measured",
            "Median (minutes)",
            "90th percentile (minutes)",
        ],
        ["2025-01", "SEV1", "3", "180.0", "228.0"],
        ["2025-03", "SEV1", "2", "270.0", "342.0"],
        ["2025-03", "SEV3", "1", "1440.0", "1440.0"],
    ]
    _response, rows = _csv(author_client, "postmortem_cycle")
    assert rows[1] == ["2025-02", "2", "30960.0", "31536.0"]  # 21.5 and 21.9 days


def test_csv_applies_the_filters(author_client):
    build_insights_data()
    _response, rows = _csv(author_client, "services", service="search")
    assert rows == [
        ["Service", "SEV1", "SEV2", "SEV3", "SEV4", "Total"],
        ["Search", "1", "1", "0", "0", "2"],
        ["Checkout", "1", "0", "0", "0", "1"],  # D touched both
    ]
    _response, rows = _csv(author_client, "overdue", tag="deploy")
    assert rows == [
        ["Month", "Overdue at month end"],
        ["2025-01", "0"],
        ["2025-02", "1"],
        ["2025-03", "1"],
        ["2025-04", "0"],
    ]


def test_a_service_name_that_looks_like_a_formula_stays_text(author_client):
    build_insights_data()
    from incidents.models import Service

    Service.objects.filter(slug="payments").update(name="=cmd()")
    _response, rows = _csv(author_client, "services")
    assert rows[-1][0] == "'=cmd()"


def test_an_unknown_chart_is_not_found(author_client):
    response = author_client.get(INSIGHTS, {"format": "csv", "figure": "nope"})
    assert response.status_code == 404
