from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionItem
from tests.actions.conftest import new_item_data

# Dates here depend on "today": check them on both sides of midnight UTC and of the date line.
pytestmark = [pytest.mark.django_db, pytest.mark.day_boundaries]


def _add_url(postmortem):
    return reverse("actions:create", args=[postmortem.incident.reference])


@pytest.mark.parametrize("priority, weeks", [("P1", 4), ("P2", 8), ("P3", 12)])
def test_an_item_added_without_a_due_date_gets_its_prioritys_default(
    priority, weeks, author_client, postmortem
):
    response = author_client.post(
        _add_url(postmortem), new_item_data(priority=priority, due_date="")
    )
    assert response.status_code == 302
    item = ActionItem.objects.get()
    assert item.due_date == timezone.localdate() + timedelta(weeks=weeks)


def test_a_due_date_the_author_chose_is_kept(author_client, postmortem):
    chosen = timezone.localdate() + timedelta(days=10)
    author_client.post(
        _add_url(postmortem), new_item_data(priority="P1", due_date=chosen.isoformat())
    )
    assert ActionItem.objects.get().due_date == chosen


def test_the_defaults_come_from_settings(settings, author_client, postmortem):
    settings.ACTION_ITEM_DEFAULT_DUE_WEEKS = {"P1": 1, "P2": 2, "P3": 3}
    author_client.post(_add_url(postmortem), new_item_data(priority="P3"))
    assert ActionItem.objects.get().due_date == timezone.localdate() + timedelta(weeks=3)


def test_the_add_form_shows_the_suggested_date_and_every_prioritys_default(
    author_client, postmortem
):
    today = timezone.localdate()
    content = author_client.get(_add_url(postmortem)).content.decode()
    # P2 is preselected, so its date is filled in; the others are ready for the priority menu.
    assert f'value="{today + timedelta(weeks=8):%Y-%m-%d}"' in content
    for weeks in (4, 12):
        assert f"{today + timedelta(weeks=weeks):%Y-%m-%d}" in content
    assert "P1 in 4 weeks, P2 in 8, P3 in 12" in content


def test_the_default_counts_from_the_creators_own_day(
    author, author_client, postmortem, monkeypatch
):
    # 20:00 UTC on 10 March is already 11 March in Auckland (UTC+13).
    author.time_zone = "Pacific/Auckland"
    author.save()
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 10, 20, 0, tzinfo=UTC))
    author_client.post(_add_url(postmortem), new_item_data(priority="P1"))
    assert ActionItem.objects.get().due_date == date(2026, 3, 11) + timedelta(weeks=4)


def test_a_due_date_in_the_past_is_refused_with_the_typed_text_kept(author_client, postmortem):
    yesterday = timezone.localdate() - timedelta(days=1)
    response = author_client.post(
        _add_url(postmortem),
        new_item_data(title="Typed title kept", due_date=yesterday.isoformat()),
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "That date has passed" in content
    assert 'value="Typed title kept"' in content
    assert not ActionItem.objects.exists()
