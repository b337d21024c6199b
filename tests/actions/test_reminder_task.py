"""The daily reminders run as a periodic job of the task queue (procrastinate here) on the worker, idempotent per day."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from procrastinate.contrib.django import app

from actions.tasks import send_reminders
from core import queue
from core.models import Role
from tests.factories import ActionItemFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("migration_data")]


@pytest.fixture(autouse=True)
def escalate_from_the_first_day(settings):
    """These tests are about sending, not about when items escalate (tests/actions/
    test_escalation.py): every overdue item goes to the managers of these unteamed owners."""
    settings.ACTION_ESCALATE_AFTER_DAYS = 1


def test_the_daily_reminder_job_is_registered_as_a_periodic_task(settings):
    [declared] = [t for t in queue.periodic_tasks() if t.name == "actions.send_reminders"]
    assert declared.cron == settings.ACTION_REMINDER_CRON and declared.function is send_reminders
    [periodic] = [
        task
        for task in app.periodic_registry.periodic_tasks.values()
        if task.task.name == "actions.send_reminders"
    ]
    assert periodic.cron == settings.ACTION_REMINDER_CRON


def test_running_the_reminder_job_twice_the_same_day_sends_each_person_one_email(run_worker):
    owner = UserFactory(username="ann")
    manager = UserFactory(username="mia", roles=[Role.MANAGER])
    ActionItemFactory(
        owner=owner, title="Rotate the keys", due_date=timezone.localdate() - timedelta(days=2)
    )

    for tick in (1, 2):  # two ticks of the schedule on one day (a retried job, a second worker)
        app.configure_task("actions.send_reminders").defer(timestamp=tick)
        run_worker()

    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == [owner.email, manager.email]
    assert all("Rotate the keys" in message.body for message in mail.outbox)
