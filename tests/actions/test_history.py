"""Changes to owner, due date and status are kept and shown on the item: who, when, old → new."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionItem, ActionItemChange
from actions.services import ActionItemError, action_item_update
from tests.actions.conftest import edit_data
from tests.factories import ActionItemFactory, UserFactory

# Dates here depend on "today": check them on both sides of midnight UTC and of the date line.
pytestmark = [pytest.mark.django_db, pytest.mark.day_boundaries]


def _edit(client, item, **fields):
    return client.post(reverse("actions:update", args=[item.pk]), edit_data(item, **fields))


def test_owner_due_date_and_status_changes_are_recorded_and_shown(make_client, postmortem, author):
    first = UserFactory(first_name="Fay", last_name="First")
    second = UserFactory(first_name="Sol", last_name="Second")
    due = timezone.localdate() + timedelta(days=10)
    item = ActionItemFactory(postmortem=postmortem, owner=first, due_date=due)
    client = make_client(author)
    response = _edit(
        client,
        item,
        owner=second.pk,
        due_date=(due + timedelta(days=7)).isoformat(),
        reason="Waiting on the vendor's fix.",
        status="in_progress",
    )
    assert response.status_code == 302

    changes = {change.field: change for change in item.changes.all()}
    assert set(changes) == {"owner", "due_date", "status"}
    assert (changes["owner"].old_value, changes["owner"].new_value) == ("Fay First", "Sol Second")
    assert changes["due_date"].old_value == due.isoformat()
    assert changes["due_date"].new_value == (due + timedelta(days=7)).isoformat()
    assert changes["due_date"].reason == "Waiting on the vendor's fix."
    assert (changes["status"].old_value, changes["status"].new_value) == ("open", "in_progress")
    assert all(change.changed_by == author for change in changes.values())

    page = client.get(item.get_absolute_url()).content.decode()
    history = page[page.index('class="list-unstyled item-history"') :]
    assert 'Fay First</span> → <span class="new-value">Sol Second' in history
    assert (
        f'{due.isoformat()}</span> → <span class="new-value">{due + timedelta(days=7)}' in history
    )
    assert 'Open</span> → <span class="new-value">In progress' in history
    assert "Waiting on the vendor" in history
    assert author.display_name in history


def test_moving_a_due_date_without_a_reason_is_refused(make_client, postmortem, author):
    due = timezone.localdate() + timedelta(days=10)
    item = ActionItemFactory(postmortem=postmortem, due_date=due)
    response = _edit(make_client(author), item, due_date=(due + timedelta(days=30)).isoformat())
    assert response.status_code == 200
    assert "Say why the due date moves" in response.content.decode()
    item.refresh_from_db()
    assert item.due_date == due
    assert not item.changes.exists()


def test_the_service_refuses_a_due_date_move_without_a_reason_too(author):
    item = ActionItem.objects.get(pk=ActionItemFactory().pk)
    with pytest.raises(ActionItemError, match="Say why the due date moves"):
        action_item_update(item=item, changed_by=author, due_date=item.due_date + timedelta(days=1))


def test_other_edits_need_no_reason_and_record_nothing(make_client, postmortem, author):
    item = ActionItemFactory(postmortem=postmortem, title="Old")
    assert _edit(make_client(author), item, title="New", priority="P1").status_code == 302
    item.refresh_from_db()
    assert (item.title, item.priority) == ("New", "P1")
    assert not item.changes.exists()


def test_wont_do_needs_a_reason(make_client, postmortem, author):
    item = ActionItemFactory(postmortem=postmortem)
    client = make_client(author)
    response = _edit(client, item, status="wont_do")
    assert "Say why this will not be done." in response.content.decode()
    response = client.post(
        reverse("actions:status", args=[item.pk]), {"status": "wont_do", "note": " "}, follow=True
    )
    assert "Say why this will not be done." in response.content.decode()
    item.refresh_from_db()
    assert item.status == "open"

    _edit(client, item, status="wont_do", resolution_note="Replaced by the canary.")
    item.refresh_from_db()
    assert (item.status, item.resolution_note) == ("wont_do", "Replaced by the canary.")
    page = client.get(item.get_absolute_url()).content.decode()
    assert "Why it will not be done" in page and "Replaced by the canary." in page


def test_completing_records_when_and_reopening_clears_it(make_client, postmortem, author):
    item = ActionItemFactory(postmortem=postmortem, kind="mitigate")
    client = make_client(author)
    client.post(reverse("actions:status", args=[item.pk]), {"status": "done", "note": "Shipped"})
    item.refresh_from_db()
    assert item.completed_at is not None
    client.post(reverse("actions:status", args=[item.pk]), {"status": "open"})
    item.refresh_from_db()
    assert item.completed_at is None
    statuses = [(c.old_value, c.new_value) for c in item.changes.order_by("changed_at", "pk")]
    assert statuses == [("open", "done"), ("done", "open")]


def test_a_stale_edit_is_refused_and_keeps_the_typed_text(make_client, postmortem, author, staff):
    item = ActionItemFactory(postmortem=postmortem, title="Original")
    loaded = edit_data(item)
    first, second = make_client(author), make_client(staff)
    url = reverse("actions:update", args=[item.pk])
    assert first.post(url, {**loaded, f"action-{item.pk}-title": "First"}).status_code == 302
    response = second.post(url, {**loaded, f"action-{item.pk}-title": "Second"})
    assert response.status_code == 200
    assert "Someone else saved this while you were editing" in response.content.decode()
    assert 'value="Second"' in response.content.decode()
    item.refresh_from_db()
    assert item.title == "First"


def test_the_database_holds_the_status_rules():
    item = ActionItemFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItem.objects.filter(pk=item.pk).update(status="wont_do", resolution_note="")
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItem.objects.filter(pk=item.pk).update(status="done", completed_at=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItem.objects.filter(pk=item.pk).update(completed_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItemChange.objects.create(
            item=item,
            field="due_date",
            old_value="2026-01-01",
            new_value="2026-02-01",
            changed_by=item.created_by,
        )
