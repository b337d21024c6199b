import pytest
from django.urls import reverse

from incidents.models import IncidentChange, IncidentField
from tests.factories import IncidentFactory
from tests.incidents.test_incident_editing import _form_data

pytestmark = pytest.mark.django_db
LIST = reverse("incidents:list")


def test_an_incident_is_declared_a_near_miss(author_client):
    response = author_client.post(
        reverse("incidents:create"),
        {
            "title": "Disk nearly full, caught by an alert",
            "severity": "SEV4",
            "status": "investigating",
            "started_at": "2025-03-01T10:00",
            "near_miss": "on",
        },
    )
    assert response.status_code == 302
    page = author_client.get(response.url).content.decode()
    assert 'class="badge text-bg-info near-miss"' in page


def test_marking_a_near_miss_later_is_kept_in_the_history(author_client):
    incident = IncidentFactory()
    url = reverse("incidents:update", args=[incident.reference])
    assert author_client.post(url, _form_data(incident, near_miss="on")).status_code == 302
    incident.refresh_from_db()
    assert incident.near_miss
    change = IncidentChange.objects.get(incident=incident, field=IncidentField.NEAR_MISS)
    assert (change.field, change.old_value, change.new_value) == (
        IncidentField.NEAR_MISS,
        "",
        "yes",
    )
    assert (change.old_display, change.new_display) == ("No", "Yes")

    assert author_client.post(url, _form_data(incident)).status_code == 302
    incident.refresh_from_db()
    assert not incident.near_miss


@pytest.mark.parametrize(
    ("value", "titles"),
    [
        ("only", {"caught"}),
        ("none", {"outage"}),
        ("", {"caught", "outage"}),
        ("bogus", {"caught", "outage"}),  # a mistyped filter is ignored, as the others are
    ],
)
def test_the_list_filters_near_misses(author_client, value, titles):
    IncidentFactory(title="caught", near_miss=True)
    IncidentFactory(title="outage")
    response = author_client.get(LIST, {"near_miss": value})
    assert {incident.title for incident in response.context["page"].object_list} == titles
