"""Several timeline entries added at once (alert deliveries, imports) are checked and recorded
like one: the guard asked once, each entry validated and rendered, one change announced."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from incidents.changes import ChangeRefused, registered
from incidents.models import TimelineEntry, TimelineKind
from incidents.services import timeline_entries_create
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _entries(count, **overrides):
    return [
        {
            "occurred_at": WHEN + timedelta(minutes=number),
            "kind": TimelineKind.DETECTION,
            "body": f"Alert **{number}** firing.",
            "source_url": "",
            **overrides,
        }
        for number in range(count)
    ]


def test_entries_are_saved_rendered_and_announced_once(author):
    incident = IncidentFactory()
    calls = []

    def listener(**kwargs):
        calls.append(kwargs["description"])

    with registered(listener=listener):
        created = timeline_entries_create(incident=incident, author=author, entries=_entries(3))

    assert [entry.body_html for entry in created][0] == "<p>Alert <strong>0</strong> firing.</p>"
    assert incident.timeline_entries.count() == 3
    assert calls == ["Added 3 timeline entries, from 2026-03-01 09:00 UTC to 2026-03-01 09:02 UTC."]


def test_a_refusal_keeps_none_of_them(author):
    incident = IncidentFactory()

    def refuse(**kwargs):
        raise ChangeRefused("Frozen.")

    with registered(guard=refuse), pytest.raises(ChangeRefused):
        timeline_entries_create(incident=incident, author=author, entries=_entries(2))

    assert not TimelineEntry.objects.exists()


def test_an_invalid_entry_keeps_none_of_them(author):
    incident = IncidentFactory()
    entries = [*_entries(1), *_entries(1, occurred_at=datetime(2101, 6, 1, tzinfo=UTC))]

    with pytest.raises(ValidationError):
        timeline_entries_create(incident=incident, author=author, entries=entries)

    assert not TimelineEntry.objects.exists()


def test_no_entries_change_nothing(author):
    assert timeline_entries_create(incident=IncidentFactory(), author=author, entries=[]) == []
