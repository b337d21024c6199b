"""Reminders in the app: the owner's digest is "overdue" or "due soon", the managers' summary
"escalated"; once a day, like the emails, which follow each person's preferences."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from actions.services import send_action_reminders
from core.models import Role
from notifications.models import EmailPreference, Notification
from notifications.models import NotificationKind as K
from tests.factories import ActionItemFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.day_boundaries]


@pytest.fixture(autouse=True)
def escalate_from_the_first_day(settings):
    """These tests are about sending, not about when items escalate (tests/actions/
    test_escalation.py): every overdue item goes to the managers of these unteamed owners."""
    settings.ACTION_ESCALATE_AFTER_DAYS = 1


def _days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


@pytest.fixture
def cast():
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    ActionItemFactory(owner=ann, due_date=_days(-2))
    ActionItemFactory(owner=ann, due_date=_days(3))
    ActionItemFactory(owner=bob, due_date=_days(3))
    return {"ann": ann, "bob": bob, "mia": UserFactory(username="mia", roles=[Role.MANAGER])}


def _told():
    return {
        (n.recipient.username, n.kind, n.title, n.url)
        for n in Notification.objects.select_related("recipient")
    }


def test_each_reminder_is_also_a_notification_of_its_kind(cast, deliver_outbox):
    send_action_reminders()
    mine, overdue_list = reverse("actions:mine"), reverse("actions:list") + "?due=overdue"
    assert _told() == {
        ("ann", K.OVERDUE, "Your action items: 1 overdue, 1 due soon", mine),
        ("bob", K.DUE_SOON, "Your action items: 0 overdue, 1 due soon", mine),
        ("mia", K.ESCALATED, "1 action item is overdue", overdue_list),
    }
    deliver_outbox()  # as the worker does
    assert len(mail.outbox) == 3


def test_running_twice_the_same_day_tells_each_person_once(cast):
    send_action_reminders()
    send_action_reminders()
    assert Notification.objects.count() == 3


def test_a_kind_turned_off_is_not_emailed_but_is_still_told_once_a_day(cast, deliver_outbox):
    EmailPreference.objects.create(user=cast["mia"], kind=K.ESCALATED, enabled=False)
    EmailPreference.objects.create(user=cast["bob"], kind=K.DUE_SOON, enabled=False)
    EmailPreference.objects.create(
        user=cast["ann"], kind=K.DUE_SOON, enabled=False
    )  # ann's is overdue
    send_action_reminders()
    send_action_reminders()
    deliver_outbox()  # as the worker does
    assert [message.to for message in mail.outbox] == [[cast["ann"].email]]
    assert Notification.objects.count() == 3


def test_the_owner_and_the_manager_may_open_what_they_are_told_of(cast, make_client):
    send_action_reminders()
    for notification in Notification.objects.select_related("recipient"):
        client = make_client(notification.recipient)
        opened = client.post(reverse("notifications:open", args=[notification.pk]))
        assert client.get(opened.url).status_code == 200
