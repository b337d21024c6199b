"""An item is overdue from midnight after its due date, on the calendar of whoever looks:
the owner on "My action items" and in their digest, the manager on the dashboard."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import local_today
from core.models import Role
from tests.factories import ActionItemFactory, UserFactory

pytestmark = pytest.mark.django_db

DUE = date(2026, 3, 10)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "zone, moment, days_overdue",
    [
        # New York is UTC-4 in March 2026 (daylight time began on 8 March).
        ("America/New_York", "2026-03-11T03:59", 0),  # 23:59 on the 10th there
        ("America/New_York", "2026-03-11T04:00", 1),  # midnight: the 11th begins
        # Tokyo is UTC+9: the 11th begins there at 15:00 UTC on the 10th.
        ("Asia/Tokyo", "2026-03-10T14:59", 0),
        ("Asia/Tokyo", "2026-03-10T15:00", 1),
        # No zone chosen: the site's default (UTC in the tests).
        ("", "2026-03-10T23:59", 0),
        ("", "2026-03-11T00:00", 1),
        ("", "2026-03-12T00:00", 2),
    ],
)
def test_an_item_becomes_overdue_at_midnight_after_its_due_date_where_its_owner_is(
    zone, moment, days_overdue
):
    owner = UserFactory(time_zone=zone)
    item = ActionItemFactory(owner=owner, due_date=DUE)
    today = local_today(owner, now=_utc(moment))
    assert item.days_overdue(today) == days_overdue


def test_finished_items_are_never_overdue():
    done = ActionItemFactory(due_date=DUE, status="done")
    declined = ActionItemFactory(due_date=DUE, status="wont_do")
    later = date(2026, 4, 1)
    assert done.days_overdue(later) == 0
    assert declined.days_overdue(later) == 0


@pytest.mark.parametrize(
    "zone, shows_overdue",
    [("Asia/Tokyo", True), ("America/New_York", False), ("", False)],
)
def test_my_action_items_marks_overdue_on_the_owners_own_calendar(
    zone, shows_overdue, make_client, monkeypatch
):
    owner = UserFactory(time_zone=zone)
    ActionItemFactory(owner=owner, due_date=DUE, title="Add canary")
    client = make_client(owner)
    # 20:00 UTC on the 10th: already the 11th in Tokyo, still the 10th in New York and UTC.
    monkeypatch.setattr(timezone, "now", lambda: _utc("2026-03-10T20:00"))
    content = client.get(reverse("actions:mine")).content.decode()
    assert "Add canary" in content
    assert ("Overdue by 1 day" in content) is shows_overdue


def test_the_dashboard_counts_overdue_on_the_viewers_calendar(make_client, monkeypatch):
    ActionItemFactory(due_date=DUE)
    in_tokyo = UserFactory(roles=[Role.MANAGER], time_zone="Asia/Tokyo")
    in_new_york = UserFactory(roles=[Role.MANAGER], time_zone="America/New_York")
    monkeypatch.setattr(timezone, "now", lambda: _utc("2026-03-10T20:00"))
    url = reverse("actions:dashboard")
    assert make_client(in_tokyo).get(url).context["counts"]["overdue"] == 1
    assert make_client(in_new_york).get(url).context["counts"]["overdue"] == 0
