"""A detection, mitigation or resolution entry sets the incident's matching time in one click,
as an edit of the incident: recorded in its history, refused with a message, never a 500."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from incidents.models import IncidentChange, TimelineKind
from tests.factories import IncidentFactory, PostmortemFactory, TimelineEntryFactory, UserFactory

pytestmark = pytest.mark.django_db

OFFER = "Make this the incident&#x27;s detection time"


def _url(entry):
    return reverse(
        "incidents:timeline-set-incident-time", args=[entry.incident.reference, entry.pk]
    )


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def detection():
    incident = IncidentFactory()
    return TimelineEntryFactory(
        incident=incident,
        kind=TimelineKind.DETECTION,
        occurred_at=incident.detected_at + timedelta(minutes=7),
    )


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        (TimelineKind.DETECTION, "detected_at"),
        (TimelineKind.MITIGATION, "mitigated_at"),
        (TimelineKind.RESOLUTION, "resolved_at"),
    ],
)
def test_one_click_sets_the_matching_time_and_records_it(kind, field, author, author_client):
    incident = IncidentFactory()
    entry = TimelineEntryFactory(
        incident=incident, kind=kind, occurred_at=getattr(incident, field) - timedelta(minutes=1)
    )
    page = author_client.get(incident.get_absolute_url()).content.decode()
    assert _url(entry) in page
    response = author_client.post(_url(entry))
    assert response.status_code == 302
    assert response.url == entry.get_absolute_url()
    incident.refresh_from_db()
    assert getattr(incident, field) == entry.occurred_at
    change = IncidentChange.objects.get(incident=incident)
    assert (change.field, change.changed_by) == (field, author)
    # The times agree now: no more offer.
    assert _url(entry) not in author_client.get(incident.get_absolute_url()).content.decode()


def test_other_kinds_are_not_offered_and_refused_with_a_message(author_client):
    entry = TimelineEntryFactory(kind=TimelineKind.INVESTIGATION)
    assert _url(entry) not in author_client.get(entry.incident.get_absolute_url()).content.decode()
    response = author_client.post(_url(entry))
    assert response.status_code == 302
    assert _messages(response) == [
        "Only a detection, mitigation or resolution entry sets one of the incident's times."
    ]
    assert not IncidentChange.objects.exists()


def test_people_who_may_not_edit_the_incident_get_no_offer(detection, client):
    client.force_login(UserFactory(username="reader"))
    page = client.get(detection.incident.get_absolute_url()).content.decode()
    assert _url(detection) not in page
    assert OFFER not in page
    assert client.post(_url(detection)).status_code == 403
    assert not IncidentChange.objects.exists()


def test_an_impossible_time_is_refused_with_the_incidents_own_message(author_client):
    incident = IncidentFactory()
    entry = TimelineEntryFactory(
        incident=incident,
        kind=TimelineKind.RESOLUTION,
        occurred_at=incident.started_at - timedelta(hours=1),
    )
    response = author_client.post(_url(entry))
    assert response.status_code == 302
    assert len(_messages(response)) == 1
    incident.refresh_from_db()
    assert incident.resolved_at != entry.occurred_at


def test_an_approved_postmortem_freezes_the_time(detection, author_client):
    PostmortemFactory(incident=detection.incident, status="approved")
    before = detection.incident.detected_at
    page = author_client.get(detection.incident.get_absolute_url()).content.decode()
    assert _url(detection) not in page
    response = author_client.post(_url(detection))
    assert response.status_code == 302
    assert "frozen" in " ".join(_messages(response))
    detection.incident.refresh_from_db()
    assert detection.incident.detected_at == before


def test_another_incidents_entry_is_not_found_and_get_is_not_allowed(detection, author_client):
    other = IncidentFactory()
    url = reverse("incidents:timeline-set-incident-time", args=[other.reference, detection.pk])
    assert author_client.post(url).status_code == 404
    assert author_client.get(_url(detection)).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_the_change_is_committed(author, author_client):
    # Its creator may edit it whatever the roles (transactional tests flush the role groups).
    incident = IncidentFactory(created_by=author)
    entry = TimelineEntryFactory(incident=incident, kind=TimelineKind.MITIGATION)
    assert author_client.post(_url(entry)).status_code == 302
    incident.refresh_from_db()
    assert incident.mitigated_at == entry.occurred_at
    assert IncidentChange.objects.filter(incident=incident, field="mitigated_at").count() == 1
