"""Adding several timeline entries at once (imports): all or nothing, rendered, one change."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from incidents.changes import ChangeRefused, registered
from incidents.models import TimelineEntry
from incidents.services import timeline_entries_create
from tests.factories import IncidentFactory

WHEN = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)


def entry(body="**found** it", occurred_at=WHEN):
    return {"occurred_at": occurred_at, "kind": "golden_path", "body": body, "source_url": ""}


def test_entries_are_added_rendered_with_one_change_told(author):
    incident = IncidentFactory()
    told = []
    with registered(listener=lambda **change: told.append(change["description"])):
        created = timeline_entries_create(
            incident=incident, author=author, entries=[entry(), entry("second")]
        )
    assert [e.body_html for e in TimelineEntry.objects.filter(pk__in=[e.pk for e in created])] == [
        "<p><strong>found</strong> it</p>",
        "<p>second</p>",
    ]
    assert told == ["Added 2 timeline entries, from 2026-03-14 10:00 UTC to 2026-03-14 10:00 UTC."]


def test_one_invalid_entry_adds_none(author):
    incident = IncidentFactory()
    with pytest.raises(ValidationError, match="Enter a date from 1970-01-01 to 2100-12-31."):
        timeline_entries_create(
            incident=incident,
            author=author,
            entries=[entry(), entry(occurred_at=datetime(2101, 6, 1, tzinfo=UTC))],
        )
    assert TimelineEntry.objects.count() == 0


def test_a_refusal_adds_none(author):
    def refuse(**_kwargs):
        raise ChangeRefused("Frozen.")

    with registered(guard=refuse), pytest.raises(ChangeRefused):
        timeline_entries_create(incident=IncidentFactory(), author=author, entries=[entry()])
    assert TimelineEntry.objects.count() == 0
