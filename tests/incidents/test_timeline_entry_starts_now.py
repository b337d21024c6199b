"""The "when" of a new timeline entry starts at now, in the writer's own time zone."""

import pytest
from django.urls import reverse

from core.models import Role
from tests.factories import IncidentFactory, TimelineEntryFactory, UserFactory

pytestmark = pytest.mark.django_db


# Now is pinned at 23:30 UTC on 10 March 2026 (tests/conftest.py): Auckland (UTC+13) is
# already at 12:30 on the 11th.
@pytest.mark.parametrize(
    ("zone", "shown"),
    [("Pacific/Auckland", "2026-03-11T12:30"), ("", "2026-03-10T23:30")],
)
def test_a_new_entry_starts_at_now_in_the_writers_zone(zone, shown, client):
    client.force_login(UserFactory(username="writer", roles=[Role.AUTHOR], time_zone=zone))
    page = client.get(IncidentFactory().get_absolute_url())
    assert f'name="occurred_at" value="{shown}"' in page.content.decode()


def test_editing_an_entry_keeps_its_own_time(author_client):
    entry = TimelineEntryFactory()
    url = reverse("incidents:timeline-update", args=[entry.incident.reference, entry.pk])
    page = author_client.get(url)
    shown = entry.occurred_at.strftime("%Y-%m-%dT%H:%M")
    assert f'name="occurred_at" value="{shown}"' in page.content.decode()
