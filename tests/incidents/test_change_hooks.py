"""Every write to an incident's facts or timeline asks the registered guards first and tells the
listeners after, in the same transaction. A refusal is shown to the person with what they typed
kept, never as an error page. (The postmortems app registers the real guard; these tests
register their own.)"""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.urls import reverse

from incidents.changes import ChangeRefused, registered
from incidents.models import IncidentChange, TimelineEntry, TimelineKind
from tests.factories import IncidentFactory, TimelineEntryFactory

pytestmark = pytest.mark.django_db

REFUSAL = "The postmortem is approved: withdraw the approval first."


def refuse(*, incident, actor):
    raise ChangeRefused(REFUSAL)


class Listener:
    """Records each call, and whether it came inside the writing transaction."""

    def __init__(self):
        self.calls = []

    def __call__(self, *, incident, actor, description):
        self.calls.append((incident.pk, actor.pk, description, connection.in_atomic_block))


@pytest.fixture
def entry(author):
    return TimelineEntryFactory(author=author, body="Original text.")


def _entry_data(entry, **overrides):
    return {
        "occurred_at": entry.occurred_at.strftime("%Y-%m-%dT%H:%M"),
        "kind": entry.kind,
        "body": entry.body,
        "version": entry.updated_at.isoformat(),
        **overrides,
    }


def _incident_data(incident, **overrides):
    return {
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "started_at": incident.started_at.strftime("%Y-%m-%dT%H:%M"),
        "detected_at": incident.detected_at.strftime("%Y-%m-%dT%H:%M"),
        "mitigated_at": incident.mitigated_at.strftime("%Y-%m-%dT%H:%M"),
        "resolved_at": incident.resolved_at.strftime("%Y-%m-%dT%H:%M"),
        "customer_impact": incident.customer_impact,
        "version": incident.updated_at.isoformat(),
        **overrides,
    }


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_refused_new_entry_shows_why_and_keeps_the_typed_text(author_client, htmx):
    incident = IncidentFactory()
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    with registered(guard=refuse):
        response = author_client.post(
            reverse("incidents:timeline-create", args=[incident.reference]),
            {
                "occurred_at": incident.started_at.strftime("%Y-%m-%dT%H:%M"),
                "kind": TimelineKind.NOTE,
                "body": "A carefully typed note",
            },
            **headers,
        )
    content = response.content.decode()
    assert response.status_code == 200
    assert REFUSAL in content and "A carefully typed note" in content
    assert not TimelineEntry.all_objects.exists()


def test_a_refused_edit_shows_why_and_keeps_the_typed_text(author_client, entry):
    with registered(guard=refuse):
        response = author_client.post(
            reverse("incidents:timeline-update", args=[entry.incident.reference, entry.pk]),
            _entry_data(entry, body="A carefully typed correction"),
        )
    content = response.content.decode()
    assert response.status_code == 200
    assert REFUSAL in content and "A carefully typed correction" in content
    entry.refresh_from_db()
    assert entry.body == "Original text." and not entry.changes.exists()


@pytest.mark.parametrize("action", ["delete", "restore"])
def test_a_refused_delete_or_restore_says_why_and_changes_nothing(author_client, entry, action):
    ref = entry.incident.reference
    if action == "restore":
        author_client.post(reverse("incidents:timeline-delete", args=[ref, entry.pk]))
    with registered(guard=refuse):
        response = author_client.post(
            reverse(f"incidents:timeline-{action}", args=[ref, entry.pk]), follow=True
        )
    assert response.status_code == 200
    assert REFUSAL in [str(m) for m in response.context["messages"]]
    entry = TimelineEntry.all_objects.get(pk=entry.pk)
    assert entry.is_deleted is (action == "restore")
    assert entry.changes.count() == (1 if action == "restore" else 0)


def test_a_refused_incident_edit_shows_why_and_keeps_the_typed_text(author_client):
    incident = IncidentFactory(title="Original title")
    with registered(guard=refuse):
        response = author_client.post(
            reverse("incidents:update", args=[incident.reference]),
            _incident_data(incident, title="A carefully typed title"),
        )
    content = response.content.decode()
    assert response.status_code == 200
    assert REFUSAL in content and 'value="A carefully typed title"' in content
    incident.refresh_from_db()
    assert incident.title == "Original title" and not IncidentChange.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_every_write_is_announced_inside_its_transaction(author_client, author):
    # Its creator may edit it whatever the roles (transactional tests flush the role groups).
    incident = IncidentFactory(
        title="Before", started_at=datetime(2026, 3, 9, 8, 0, tzinfo=UTC), created_by=author
    )
    listener = Listener()
    ref = incident.reference
    with registered(listener=listener):
        author_client.post(
            reverse("incidents:timeline-create", args=[ref]),
            {
                "occurred_at": incident.started_at.strftime("%Y-%m-%dT%H:%M"),
                "kind": TimelineKind.NOTE,
                "body": "New",
            },
        )
        entry = TimelineEntry.objects.get()
        author_client.post(
            reverse("incidents:timeline-update", args=[ref, entry.pk]),
            _entry_data(entry, body="Edited"),
        )
        author_client.post(reverse("incidents:timeline-delete", args=[ref, entry.pk]))
        author_client.post(reverse("incidents:timeline-restore", args=[ref, entry.pk]))
        author_client.post(
            reverse("incidents:update", args=[ref]), _incident_data(incident, title="After")
        )
    descriptions = [description for _i, _a, description, _atomic in listener.calls]
    assert [d.split(" ")[0] for d in descriptions] == [
        "Added",
        "Edited",
        "Deleted",
        "Restored",
        "Changed",
    ]
    assert descriptions[-1] == "Changed the incident's title."
    assert all(i == incident.pk and a == author.pk for i, a, _d, _atomic in listener.calls)
    assert all(atomic for *_rest, atomic in listener.calls)


@pytest.mark.django_db(transaction=True)
def test_a_listener_failing_rolls_the_change_back(author_client, entry):
    def failing_listener(*, incident, actor, description):
        raise ChangeRefused("Could not record the change with the amendment.")

    with registered(listener=failing_listener):
        response = author_client.post(
            reverse("incidents:timeline-delete", args=[entry.incident.reference, entry.pk]),
            follow=True,
        )
    assert response.status_code == 200
    entry = TimelineEntry.all_objects.get(pk=entry.pk)
    assert not entry.is_deleted and not entry.changes.exists()


def test_registered_unregisters_after_the_block(author_client, entry):
    with registered(guard=refuse):
        pass
    response = author_client.post(
        reverse("incidents:timeline-update", args=[entry.incident.reference, entry.pk]),
        _entry_data(entry, body="Allowed now"),
    )
    assert response.status_code == 302
