"""Search tells a restricted incident's timeline entries, postmortem and action items apart by a
flag each keeps (its incident's ``restricted``), so it need not join every match to its
incident. The database keeps that flag on every kind of write: rows written under a restricted
incident, restricting and lifting (through the edit, or a bulk update), rows moved to another
incident or postmortem, and saves of rows loaded before the change. Whatever the write, the
search shows someone without access exactly what the visibility rule lets them see."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse

from actions.models import ActionItem
from actions.services import action_item_create
from core.models import Role
from incidents import services as incident_services
from incidents.models import Incident, TimelineEntry, TimelineKind
from postmortems.models import Postmortem
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    PostmortemFactory,
    TimelineEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

WORD = "Wombatquartz"


@pytest.fixture
def people(db):
    return {
        "commander": UserFactory(username="commander", roles=[Role.AUTHOR]),
        "participant": UserFactory(username="participant"),
        "outsider": UserFactory(username="outsider"),
        "security": UserFactory(username="security", roles=[Role.SECURITY]),
    }


def _incident_with_rows(people, *, restricted: bool, entries=None) -> Incident:
    """An incident titled with WORD, with an entry, a postmortem in review (readable by everyone signed in, and
    still open to changes) and an action item, all saying WORD; ``entries(incident)`` writes
    more entries before the postmortem is started."""
    incident = IncidentFactory(
        title=f"Badge reader outage {WORD}",
        created_by=people["commander"],
        commander=people["commander"],
        restricted=restricted,
    )
    incident.participants.add(people["participant"])
    TimelineEntryFactory(incident=incident, body=f"Entry about {WORD}")
    if entries:
        entries(incident)
    postmortem = PostmortemFactory(
        incident=incident, status="in_review", summary=f"Summary about {WORD}"
    )
    ActionItemFactory(postmortem=postmortem, title=f"Item about {WORD}")
    return incident


def _flags_are_true() -> None:
    """Every row's kept flag equals its incident's ``restricted``, read through the join."""
    assert not TimelineEntry.all_objects.exclude(
        incident_restricted=F("incident__restricted")
    ).exists()
    assert not Postmortem.objects.exclude(incident_restricted=F("incident__restricted")).exists()
    assert not ActionItem.objects.exclude(
        incident_restricted=F("postmortem__incident__restricted")
    ).exists()


def _found(user) -> dict[str, int]:
    """What the search page shows ``user`` for WORD: the count of each group."""
    client = Client()
    client.force_login(user)
    response = client.get(reverse("search:results"), {"q": WORD})
    assert response.status_code == 200
    return {kind: count for kind, _results, count in response.context["groups"]}


EVERYTHING = {"incidents": 1, "postmortems": 1, "timeline": 1, "actions": 1}
NOTHING = {"incidents": 0, "postmortems": 0, "timeline": 0, "actions": 0}


def test_rows_written_under_a_restricted_incident_are_hidden_from_outsiders_only(people):
    def imported(incident):
        # The services' write paths: one entry, then a bulk insert, as an import does.
        incident_services.timeline_entry_create(
            incident=incident,
            author=people["commander"],
            occurred_at=incident.started_at,
            kind=TimelineKind.NOTE,
            body=f"Typed {WORD}",
        )
        incident_services.timeline_entries_create(
            incident=incident,
            author=people["commander"],
            entries=[
                {
                    "occurred_at": incident.started_at + timedelta(minutes=minutes),
                    "kind": TimelineKind.NOTE,
                    "body": f"Imported {WORD}",
                    "source_url": "",
                }
                for minutes in (1, 2)
            ],
        )

    incident = _incident_with_rows(people, restricted=True, entries=imported)
    action_item_create(
        postmortem=incident.postmortem, created_by=people["commander"], title=f"Also {WORD}"
    )
    _flags_are_true()
    assert TimelineEntry.objects.filter(incident_restricted=True).count() == 4
    assert _found(people["outsider"]) == NOTHING
    for who in ("participant", "commander", "security"):
        assert _found(people[who]) == {**EVERYTHING, "timeline": 4, "actions": 2}, who


def test_restricting_and_lifting_through_the_edit_hides_and_shows_every_row(people):
    incident = _incident_with_rows(people, restricted=False)
    assert _found(people["outsider"]) == EVERYTHING

    incident_services.incident_update(
        incident=incident,
        editor=people["commander"],
        loaded_version=incident.updated_at.isoformat(),
        restricted=True,
    )
    _flags_are_true()
    assert _found(people["outsider"]) == NOTHING
    assert _found(people["participant"]) == EVERYTHING

    incident.refresh_from_db()
    incident_services.incident_update(
        incident=incident,
        editor=people["commander"],
        loaded_version=incident.updated_at.isoformat(),
        restricted=False,
        restriction_reason="Cleared by legal",
    )
    _flags_are_true()
    assert _found(people["outsider"]) == EVERYTHING


def test_a_bulk_update_of_the_incident_passes_on_too(people):
    incident = _incident_with_rows(people, restricted=False)
    Incident.objects.filter(pk=incident.pk).update(restricted=True)
    _flags_are_true()
    assert _found(people["outsider"]) == NOTHING
    Incident.objects.filter(pk=incident.pk).update(restricted=False)
    _flags_are_true()
    assert _found(people["outsider"]) == EVERYTHING


def test_a_deleted_and_restored_entry_keeps_its_flag(people):
    incident = _incident_with_rows(people, restricted=True)
    entry = incident.timeline_entries.get()
    incident_services.timeline_entry_delete(entry=entry, actor=people["commander"])
    Incident.objects.filter(pk=incident.pk).update(restricted=False)
    incident_services.timeline_entry_restore(
        entry=TimelineEntry.all_objects.get(pk=entry.pk), actor=people["commander"]
    )
    _flags_are_true()
    assert _found(people["outsider"]) == EVERYTHING


def test_rows_moved_to_another_incident_or_postmortem_take_its_restriction(people):
    open_incident = _incident_with_rows(people, restricted=False)
    secret = IncidentFactory(restricted=True, created_by=people["commander"])
    secret_postmortem = PostmortemFactory(incident=secret, status="published")

    # An entry moved by a bulk update, then back by a save.
    entry = open_incident.timeline_entries.get()
    TimelineEntry.objects.filter(pk=entry.pk).update(incident=secret)
    _flags_are_true()
    assert _found(people["outsider"])["timeline"] == 0
    entry.refresh_from_db()
    entry.incident = open_incident
    entry.save()
    _flags_are_true()
    assert _found(people["outsider"])["timeline"] == 1

    # An action item moved to the restricted incident's postmortem.
    item = ActionItem.objects.get(postmortem__incident=open_incident)
    ActionItem.objects.filter(pk=item.pk).update(postmortem=secret_postmortem)
    _flags_are_true()
    assert _found(people["outsider"])["actions"] == 0
    ActionItem.objects.filter(pk=item.pk).update(postmortem=open_incident.postmortem)

    # A postmortem moved to another incident takes its items along.
    other = IncidentFactory(restricted=False)
    Postmortem.objects.filter(pk=open_incident.postmortem.pk).update(incident=other)
    Incident.objects.filter(pk=other.pk).update(restricted=True)
    _flags_are_true()
    assert _found(people["outsider"]) == {**NOTHING, "incidents": 1, "timeline": 1}
    Postmortem.objects.filter(incident=other).update(incident=open_incident)
    _flags_are_true()
    assert _found(people["outsider"]) == EVERYTHING


def test_saving_a_row_loaded_before_the_restriction_keeps_it_hidden(people):
    incident = _incident_with_rows(people, restricted=False)
    entry = incident.timeline_entries.get()
    postmortem = Postmortem.objects.get(incident=incident)
    item = ActionItem.objects.get(postmortem=postmortem)
    Incident.objects.filter(pk=incident.pk).update(restricted=True)
    # Each instance still holds the flag as it was (False) and writes it back on save.
    entry.body = f"Edited {WORD}"
    entry.save()
    postmortem.summary = f"Edited {WORD}"
    postmortem.save()
    item.title = f"Edited {WORD}"
    item.save()
    _flags_are_true()
    assert _found(people["outsider"]) == NOTHING


def test_an_owner_still_sees_their_item_of_a_draft_but_not_of_a_restricted_incident(people):
    draft = PostmortemFactory(status="draft", summary=f"Draft {WORD}")
    ActionItemFactory(postmortem=draft, title=f"Mine {WORD}", owner=people["outsider"])
    ActionItemFactory(postmortem=draft, title=f"Not mine {WORD}")
    secret = _incident_with_rows(people, restricted=True)
    ActionItem.objects.filter(postmortem__incident=secret).update(owner=people["outsider"])
    # Their item of the draft only: the draft's other item and the restricted one stay hidden.
    assert _found(people["outsider"]) == {**NOTHING, "actions": 1}


@pytest.mark.parametrize("size", [2, 20])
def test_an_outsiders_search_query_count_does_not_grow_with_restricted_incidents(
    size, people, django_assert_max_num_queries
):
    for n in range(size):
        _incident_with_rows(people, restricted=n % 2 == 0)
    client = Client()
    client.force_login(people["outsider"])
    # session, user, the user's roles (may they read drafts?), then a page of results and its
    # rows for each of the four types, service and tag choices for the filters, and the bell's
    # unread count: the restricted incidents they may see are a subquery of each page.
    with django_assert_max_num_queries(14):
        response = client.get(reverse("search:results"), {"q": WORD})
    counts = {kind: count for kind, _results, count in response.context["groups"]}
    visible = size // 2
    assert counts == dict.fromkeys(["incidents", "postmortems", "timeline", "actions"], visible)
