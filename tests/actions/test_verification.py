""" "The fix worked": verified by someone other than the owner, on a day in range and not in
the future, kept in the item's history; overdue verifications are a filter of the list."""

from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionItem, ActionItemChange
from actions.services import ActionItemError, action_item_set_status, action_item_verify
from tests.factories import ActionItemFactory, UserFactory

pytestmark = pytest.mark.django_db


def _done_item(**fields) -> ActionItem:
    owner = fields.pop("owner", None) or UserFactory()
    yesterday = timezone.now() - timedelta(days=1)
    return ActionItemFactory(
        owner=owner, status="done", completed_at=yesterday, evidence_note="Merged", **fields
    )


def test_someone_other_than_the_owner_verifies_and_the_history_keeps_it():
    item = _done_item()
    colleague = UserFactory()
    today = timezone.localdate()
    action_item_verify(item=item, verified_by=colleague, verified_on=today, note="Chaos test")
    item.refresh_from_db()
    assert (item.verified_by, item.verified_on) == (colleague, today)
    change = ActionItemChange.objects.get(item=item)
    assert (change.field, change.new_value, change.reason, change.changed_by) == (
        "verified",
        today.isoformat(),
        "Chaos test",
        colleague,
    )


def test_the_owner_cannot_verify_their_own_fix():
    item = _done_item()
    with pytest.raises(ActionItemError, match="Someone other than the owner"):
        action_item_verify(item=item, verified_by=item.owner, verified_on=timezone.localdate())
    item.refresh_from_db()
    assert item.verified_on is None
    assert not ActionItemChange.objects.filter(item=item).exists()


@pytest.mark.parametrize(
    ("verified_on", "message"),
    [
        (date(1969, 12, 31), "Enter a date from 1970-01-01 to 2100-12-31"),
        (date(2101, 1, 1), "Enter a date from 1970-01-01 to 2100-12-31"),
        ("tomorrow", "cannot be in the future"),
        ("two days ago", "before the item was done"),
    ],
)
def test_verification_dates_are_bounded(verified_on, message):
    item = _done_item()
    today = timezone.localdate()
    verified_on = {"tomorrow": today + timedelta(days=1), "two days ago": today - timedelta(2)}.get(
        verified_on, verified_on
    )
    with pytest.raises(ActionItemError, match=message):
        action_item_verify(item=item, verified_by=UserFactory(), verified_on=verified_on)


def test_only_a_done_item_is_verified_and_reopening_clears_it():
    open_item = ActionItemFactory()
    with pytest.raises(ActionItemError, match="Only a done item"):
        action_item_verify(
            item=open_item, verified_by=UserFactory(), verified_on=timezone.localdate()
        )
    item = _done_item()
    action_item_verify(item=item, verified_by=UserFactory(), verified_on=timezone.localdate())
    reopened = action_item_set_status(
        item=ActionItem.objects.get(pk=item.pk), status="open", changed_by=item.owner
    )
    reopened.refresh_from_db()
    assert (reopened.verified_by, reopened.verified_on) == (None, None)


def test_the_item_page_lets_a_colleague_verify_but_refuses_the_owner(make_client):
    item = _done_item(title="Validate units")
    url = reverse("actions:verify", args=[item.pk])
    today = timezone.localdate().isoformat()

    owner_client = make_client(item.owner)
    assert 'id="verify-item"' not in owner_client.get(item.get_absolute_url()).content.decode()
    refused = owner_client.post(url, {"verified_on": today})
    assert any("other than the owner" in str(m) for m in get_messages(refused.wsgi_request))
    item.refresh_from_db()
    assert item.verified_on is None

    colleague = UserFactory(first_name="Vera", last_name="Checker")
    client = make_client(colleague)
    assert 'id="verify-item"' in client.get(item.get_absolute_url()).content.decode()
    bad = client.post(url, {"verified_on": "2101-01-01"})
    assert any("Enter a date from" in str(m) for m in get_messages(bad.wsgi_request))
    client.post(url, {"verified_on": today, "note": "Replayed the bad deploy"})
    page = client.get(item.get_absolute_url()).content.decode()
    assert "The fix worked: checked on" in page and "Vera Checker" in page


def test_the_list_filters_overdue_and_done_verifications(make_client):
    today = timezone.localdate()
    overdue = _done_item(title="Overdue check", verify_by=today - timedelta(days=1))
    _done_item(title="Due today", verify_by=today)
    verified = _done_item(title="Checked already", verify_by=today - timedelta(days=3))
    action_item_verify(item=verified, verified_by=UserFactory(), verified_on=today)
    ActionItemFactory(title="Not done yet", verify_by=today - timedelta(days=5))
    client = make_client(UserFactory(is_staff=True))

    listed = client.get(reverse("actions:list"), {"verification": "overdue"}).context["page"]
    assert [item.title for item in listed] == [overdue.title]
    listed = client.get(reverse("actions:list"), {"verification": "verified"}).context["page"]
    assert [item.title for item in listed] == ["Checked already"]


@pytest.mark.django_db(transaction=True)
def test_verifying_commits_through_the_page(make_client):
    item = _done_item()
    colleague = UserFactory()
    make_client(colleague).post(
        reverse("actions:verify", args=[item.pk]),
        {"verified_on": timezone.localdate().isoformat()},
    )
    item.refresh_from_db()
    assert item.verified_by == colleague
    assert ActionItemChange.objects.filter(item=item, field="verified").count() == 1
