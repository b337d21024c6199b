import pytest
from django.urls import reverse

from incidents.models import Incident
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def _valid_data(**overrides):
    data = {
        "title": "Payments timing out",
        "severity": "SEV2",
        "status": "investigating",
        "started_at": "2026-03-01T10:00",
        "detected_at": "2026-03-01T10:05",
        "mitigated_at": "",
        "resolved_at": "",
        "customer_impact": "Card payments failed for *some* users.",
        "version": "",
    }
    data.update(overrides)
    return data


def test_creating_an_incident_saves_it_and_opens_its_page(author_client, author):
    service = ServiceFactory(name="Payments")
    response = author_client.post(
        reverse("incidents:create"), _valid_data(services=[service.pk], commander=author.pk)
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response.url == incident.get_absolute_url()
    assert incident.created_by == author
    assert list(incident.services.all()) == [service]
    assert incident.detected_at.isoformat() == "2026-03-01T10:05:00+00:00"
    page = author_client.get(response.url)
    assert f"{incident.reference} created".encode() in page.content


def test_out_of_order_times_name_the_wrong_field_and_keep_what_was_typed(author_client):
    response = author_client.post(
        reverse("incidents:create"),
        _valid_data(detected_at="2026-03-01T09:00", title="Typed title kept"),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["detected_at"]
    assert "cannot be before the time started" in form.errors["detected_at"][0]
    content = response.content.decode()
    assert 'value="Typed title kept"' in content
    assert 'value="2026-03-01T09:00"' in content
    assert "Card payments failed for *some* users." in content
    assert not Incident.objects.exists()


def test_missing_required_fields_are_named(author_client):
    response = author_client.post(reverse("incidents:create"), _valid_data(title="", severity=""))
    assert set(response.context["form"].errors) == {"title", "severity"}
    assert b"This field is required." in response.content


def test_form_shows_the_meaning_of_each_severity(author_client):
    content = author_client.get(reverse("incidents:create")).content.decode()
    assert "SEV1 — critical: the service is down or data is at risk" in content
    assert "SEV4 — low: no customer impact" in content


def test_times_are_read_in_the_users_time_zone(author_client, author):
    author.time_zone = "America/New_York"
    author.save()
    author_client.post(reverse("incidents:create"), _valid_data())
    incident = Incident.objects.get()
    assert incident.started_at.isoformat() == "2026-03-01T15:00:00+00:00"
    page = author_client.get(incident.get_absolute_url()).content.decode()
    assert "2026-03-01 10:00 EST" in page
