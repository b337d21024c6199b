"""Timeline entries are never removed: a deletion hides the entry everywhere and keeps it, with
every edit, deletion and restore recorded (who, when, before, after)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from incidents.models import EntryChangeAction, Incident, TimelineEntry, TimelineKind
from postmortems.models import PostmortemStatus
from tests.factories import IncidentFactory, PostmortemFactory, TimelineEntryFactory, UserFactory

pytestmark = pytest.mark.django_db


def _url(name, entry):
    return reverse(f"incidents:{name}", args=[entry.incident.reference, entry.pk])


def _edit_data(entry, **overrides):
    return {
        "occurred_at": entry.occurred_at.strftime("%Y-%m-%dT%H:%M"),
        "kind": entry.kind,
        "body": entry.body,
        "source_url": entry.source_url,
        "version": entry.updated_at.isoformat(),
        **overrides,
    }


@pytest.fixture
def writer():
    return UserFactory(username="writer", first_name="Wren", last_name="Writer")


@pytest.fixture
def entry(writer):
    return TimelineEntryFactory(author=writer, body="Restarted the zookeeper ensemble.")


def test_a_deleted_entry_is_kept_and_hidden_from_the_timeline_postmortem_export_and_search(
    make_client, writer, entry
):
    incident = entry.incident
    # In review, so its page shows the live timeline (a published one shows it as published).
    PostmortemFactory(incident=incident, author=writer, status=PostmortemStatus.IN_REVIEW)
    client = make_client(writer)

    response = client.post(_url("timeline-delete", entry))

    assert response.status_code == 302
    entry = TimelineEntry.all_objects.get(pk=entry.pk)
    assert entry.deleted_by == writer and entry.deleted_at is not None
    incident_page = client.get(incident.get_absolute_url())
    assert [e.pk for e in incident_page.context["entries"]] == []
    postmortem_page = client.get(reverse("postmortems:detail", args=[incident.reference]))
    assert "zookeeper" not in postmortem_page.content.decode()
    export = client.get(reverse("postmortems:export", args=[incident.reference]))
    assert "zookeeper" not in export.content.decode()
    search = client.get(reverse("search:results"), {"q": "zookeeper"})
    assert all(count == 0 for _kind, _results, count in search.context["groups"])


def test_the_incident_page_lists_deleted_entries_with_who_deleted_them_and_a_restore_button(
    make_client, writer, entry
):
    client = make_client(writer)
    other = TimelineEntryFactory(incident=entry.incident, author=writer, body="Paged the DBA.")
    client.post(_url("timeline-delete", entry))
    client.post(_url("timeline-delete", other))

    page = client.get(entry.incident.get_absolute_url()).content.decode()

    assert "2 deleted entries" in page
    assert "Restarted the zookeeper ensemble." in page and "Paged the DBA." in page
    assert "Deleted by Wren Writer" in page
    assert _url("timeline-restore", entry) in page


def test_restoring_puts_the_entry_back_and_is_recorded(make_client, writer, entry):
    client = make_client(writer)
    client.post(_url("timeline-delete", entry))

    response = client.post(_url("timeline-restore", entry))

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.deleted_at is None and entry.deleted_by is None
    page = client.get(entry.incident.get_absolute_url())
    assert [e.pk for e in page.context["entries"]] == [entry.pk]
    assert [c.action for c in entry.changes.all()] == [
        EntryChangeAction.RESTORED,
        EntryChangeAction.DELETED,
    ]
    assert all(change.changed_by == writer for change in entry.changes.all())


def test_edits_are_kept_with_who_when_before_and_after(make_client, writer, entry):
    client = make_client(writer)
    later = entry.occurred_at + timedelta(minutes=3)

    client.post(
        _url("timeline-update", entry),
        _edit_data(
            entry,
            body="Restarted the zookeeper ensemble (all three nodes).",
            kind=TimelineKind.MITIGATION,
            occurred_at=later.strftime("%Y-%m-%dT%H:%M"),
        ),
    )

    change = entry.changes.get()
    assert change.action == EntryChangeAction.EDITED and change.changed_by == writer
    assert change.before["body"] == "Restarted the zookeeper ensemble."
    assert change.before["kind"] == TimelineKind.INVESTIGATION
    assert change.after["body"] == "Restarted the zookeeper ensemble (all three nodes)."
    assert change.after["kind"] == TimelineKind.MITIGATION


def test_the_history_page_shows_each_version_in_the_viewers_time_zone(make_client, writer, entry):
    writer.time_zone = "Pacific/Auckland"
    writer.save()
    client = make_client(writer)
    client.post(_url("timeline-update", entry), _edit_data(entry, body="Second thoughts."))
    client.post(_url("timeline-delete", entry))

    page = client.get(_url("timeline-history", entry))

    assert page.status_code == 200
    content = page.content.decode()
    assert "Wren Writer edited it on" in content and "Wren Writer deleted it on" in content
    assert "Restarted the zookeeper ensemble." in content and "Second thoughts." in content
    assert "NZDT" in content
    assert "Investigation" in content  # the kind's label, not its code


def test_entries_link_to_their_history_once_they_have_one(make_client, writer, entry):
    client = make_client(writer)
    history_link = _url("timeline-history", entry)
    assert history_link not in client.get(entry.incident.get_absolute_url()).content.decode()
    client.post(_url("timeline-update", entry), _edit_data(entry, body="Clarified."))
    assert history_link in client.get(entry.incident.get_absolute_url()).content.decode()


def test_saving_an_unchanged_entry_records_nothing(make_client, writer, entry):
    entry.occurred_at = entry.occurred_at.replace(second=0, microsecond=0)  # as the form has it
    entry.save()
    make_client(writer).post(_url("timeline-update", entry), _edit_data(entry))
    assert not entry.changes.exists()


def test_a_deleted_entry_cannot_be_edited_or_deleted_again(make_client, writer, entry):
    client = make_client(writer)
    client.post(_url("timeline-delete", entry))
    assert client.get(_url("timeline-update", entry)).status_code == 404
    assert client.post(_url("timeline-delete", entry)).status_code == 404
    assert entry.changes.count() == 1


def test_someone_who_may_not_edit_cannot_restore(make_client, writer, entry, outsider):
    make_client(writer).post(_url("timeline-delete", entry))
    response = make_client(outsider).post(_url("timeline-restore", entry))
    assert response.status_code == 403
    assert TimelineEntry.all_objects.get(pk=entry.pk).deleted_at is not None


def test_a_live_entry_cannot_be_restored(make_client, writer, entry):
    assert make_client(writer).post(_url("timeline-restore", entry)).status_code == 404


# Outside a test transaction, as in production: the writes lock rows, which needs a transaction
# of their own (deleting answered 500 for everyone when the view locked outside one).


@pytest.mark.django_db(transaction=True)
def test_deleting_works_outside_a_test_transaction(make_client, writer, entry):
    response = make_client(writer).post(_url("timeline-delete", entry))
    assert response.status_code == 302
    assert TimelineEntry.all_objects.get(pk=entry.pk).deleted_at is not None


@pytest.mark.django_db(transaction=True)
def test_editing_works_outside_a_test_transaction(make_client, writer, entry):
    response = make_client(writer).post(
        _url("timeline-update", entry), _edit_data(entry, body="Edited for real.")
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.body == "Edited for real."


@pytest.mark.django_db(transaction=True)
def test_restoring_works_outside_a_test_transaction(make_client, writer, entry):
    client = make_client(writer)
    client.post(_url("timeline-delete", entry))
    response = client.post(_url("timeline-restore", entry))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.deleted_at is None


@pytest.mark.django_db(transaction=True)
def test_adding_and_editing_the_incident_work_outside_a_test_transaction(make_client, writer):
    incident = IncidentFactory(created_by=writer)
    client = make_client(writer)
    added = client.post(
        reverse("incidents:timeline-create", args=[incident.reference]),
        {
            "occurred_at": incident.started_at.strftime("%Y-%m-%dT%H:%M"),
            "kind": TimelineKind.NOTE,
            "body": "Added for real.",
        },
    )
    assert added.status_code == 302
    edited = client.post(
        reverse("incidents:update", args=[incident.reference]),
        {
            "title": "Renamed for real",
            "severity": incident.severity,
            "status": incident.status,
            "started_at": incident.started_at.strftime("%Y-%m-%dT%H:%M"),
            "detected_at": incident.detected_at.strftime("%Y-%m-%dT%H:%M"),
            "mitigated_at": incident.mitigated_at.strftime("%Y-%m-%dT%H:%M"),
            "resolved_at": incident.resolved_at.strftime("%Y-%m-%dT%H:%M"),
            "customer_impact": incident.customer_impact,
            "version": incident.updated_at.isoformat(),
        },
    )
    assert edited.status_code == 302
    assert Incident.objects.get(pk=incident.pk).title == "Renamed for real"
    assert incident.timeline_entries.get().body == "Added for real."
