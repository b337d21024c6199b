"""The list's orders, page after page: served by indexes now, the same as before."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionItem
from actions.selectors import action_item_list
from tests.factories import ActionItemFactory

# Dates here depend on "today": check them on both sides of midnight UTC and of the date line.
pytestmark = [pytest.mark.django_db, pytest.mark.day_boundaries]
LIST = reverse("actions:list")


def _all_pages(client, **params) -> list[str]:
    titles, number = [], 1
    while True:
        page = client.get(LIST, {**params, "page": number}).context["page"]
        titles += [item.title for item in page.object_list]
        if not page.has_next():
            return titles
        number += 1


@pytest.fixture
def mixed_items():
    today = timezone.localdate()
    days = timedelta(days=1)
    for title, status, due, priority in [
        ("Later P3", "open", today + 9 * days, "P3"),
        ("Closed long ago", "done", today - 40 * days, "P1"),
        ("No due date", "in_progress", None, "P1"),
        ("Overdue a week", "in_progress", today - 7 * days, "P2"),
        ("Due today", "open", today, "P2"),
        ("Later P1", "open", today + 9 * days, "P1"),
        ("Overdue a day", "open", today - days, "P3"),
        ("Dropped", "wont_do", today + 3 * days, "P2"),
        ("Overdue a week, P1", "open", today - 7 * days, "P1"),
    ]:
        ActionItemFactory(title=title, status=status, due_date=due, priority=priority)


def test_the_list_shows_overdue_first_then_by_due_date_on_every_page(
    mixed_items, manager, make_client, settings
):
    settings.PAGE_SIZE = 2
    assert _all_pages(make_client(manager)) == [
        "Overdue a week, P1",
        "Overdue a week",
        "Overdue a day",
        "Due today",
        "Later P1",
        "Later P3",
        "No due date",
        "Closed long ago",
        "Dropped",
    ]


def test_the_other_orders_hold_on_every_page(mixed_items, manager, make_client, settings):
    settings.PAGE_SIZE = 2
    client = make_client(manager)
    by_priority = _all_pages(client, sort="priority")
    assert by_priority[:4] == ["Closed long ago", "Overdue a week, P1", "Later P1", "No due date"]
    assert by_priority[-2:] == ["Overdue a day", "Later P3"]
    newest = _all_pages(client, sort="newest")
    assert newest[0] == "Overdue a week, P1" and newest[-1] == "Later P3"


@pytest.mark.parametrize("sort", ["", "due", "priority", "newest", "updated"])
def test_pages_read_backwards_from_the_end_keep_the_order_and_ties(
    sort, manager, make_client, settings
):
    """Pages past the middle are read from the end (actions.selectors.page_rows): the same
    items in the same order as the whole list, ties broken the same way."""
    settings.PAGE_SIZE = 2
    today = timezone.localdate()
    for n in range(7):
        item = ActionItemFactory(
            title=f"Tie {n}", status="open", due_date=None if n % 3 else today, priority="P2"
        )
        ActionItem.objects.filter(pk=item.pk).update(
            created_at=item.created_at.replace(microsecond=0),
            updated_at=item.created_at.replace(microsecond=0),
        )
    whole = action_item_list(user=manager, filters={"sort": sort} if sort else {}, today=today)
    params = {"sort": sort} if sort else {}
    assert _all_pages(make_client(manager), **params) == [item.title for item in whole]
