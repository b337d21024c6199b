from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.factories import ActionItemFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_staff_changes_in_the_admin_are_recorded_in_the_history(make_client):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    item = ActionItemFactory(title="Add canary")
    client = make_client(admin_user)
    url = reverse("admin:actions_actionitem_change", args=[item.pk])
    assert client.get(url).status_code == 200
    new_due = item.due_date + timedelta(days=5)
    response = client.post(
        url,
        {
            "postmortem": item.postmortem_id,
            "title": "Add canary",
            "description": "",
            "owner": item.owner_id,
            "due_date": new_due.isoformat(),
            "priority": "P2",
            "kind": "prevent",
            "status": "open",
            "resolution_note": "",
            "tracker_url": "",
            "created_by": item.created_by_id,
            "changes-TOTAL_FORMS": "0",
            "changes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.due_date == new_due
    change = item.changes.get()
    assert change.field == "due_date" and change.reason == "Changed in the admin."
    assert change.changed_by == admin_user


def test_the_admin_lists_the_reminders_sent(make_client, manager, settings):
    settings.ACTION_ESCALATE_AFTER_DAYS = 1  # the owner has no team: the Manager is told
    ActionItemFactory(due_date=timezone.localdate() - timedelta(days=2))
    call_command("send_action_reminders")
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    response = make_client(admin_user).get(reverse("admin:actions_sentreminder_changelist"))
    assert response.status_code == 200
    assert "Hindsight: 1 action item is overdue" in response.content.decode()
