"""Adding to a timeline through the API takes the incident page's path: its form's rules, its
service (the postmortem's document change recorded), and its refusal once the text is frozen."""

import zoneinfo
from datetime import timedelta

import pytest

from incidents.models import TimelineEntry
from postmortems.models import DocumentChange
from tests.factories import IncidentFactory, PostmortemFactory

pytestmark = pytest.mark.django_db


def _add(client, incident, **fields):
    return client.post(
        f"/api/incidents/{incident.reference}/timeline/",
        {"occurred_at": incident.started_at.isoformat(), "body": "Paged the DBA.", **fields},
        content_type="application/json",
    )


def test_anyone_signed_in_adds_an_entry_kept_with_the_postmortem(outsider, token_client):
    postmortem = PostmortemFactory(status="in_review")
    incident = postmortem.incident
    response = _add(
        token_client(outsider),
        incident,
        kind="escalation",
        source_url="chat.example.com/archives/C1/p1",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["author"]["id"]) == ("escalation", outsider.pk)
    assert body["source_url"] == "https://chat.example.com/archives/C1/p1"
    assert body["body_html"] == "<p>Paged the DBA.</p>"
    assert DocumentChange.objects.filter(postmortem=postmortem, actor=outsider).exists()


def test_a_time_without_an_offset_is_in_the_person_s_own_zone(outsider, token_client):
    outsider.time_zone = "Pacific/Auckland"
    outsider.save()
    incident = IncidentFactory()
    auckland = zoneinfo.ZoneInfo("Pacific/Auckland")
    local = incident.started_at.astimezone(auckland) + timedelta(minutes=5)
    response = _add(
        token_client(outsider), incident, occurred_at=local.replace(tzinfo=None).isoformat()
    )
    assert response.status_code == 201
    entry = TimelineEntry.objects.get()
    assert entry.occurred_at == incident.started_at + timedelta(minutes=5)


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "1900-01-01T00:00:00Z"}, "occurred_at"),
        ({"occurred_at": "2101-01-01T00:00:00Z"}, "occurred_at"),
        ({"kind": "blame"}, "kind"),
        ({"body": ""}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"source_url": "not a link at all"}, "source_url"),
    ],
)
def test_bad_values_get_400(fields, field, outsider, token_client):
    response = _add(token_client(outsider), IncidentFactory(), **fields)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not TimelineEntry.objects.exists()


def test_a_frozen_postmortem_s_timeline_refuses_additions(author, token_client):
    approved = PostmortemFactory(author=author, status="approved")
    response = _add(token_client(author), approved.incident)
    assert response.status_code == 409
    assert response.json()["code"] == "frozen"
    assert not TimelineEntry.objects.exists()


def test_a_read_only_token_cannot_add(outsider, token_client):
    response = _add(token_client(outsider, scope="read"), IncidentFactory())
    assert response.status_code == 403
    assert not TimelineEntry.objects.exists()
