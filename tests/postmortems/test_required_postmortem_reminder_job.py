"""Required postmortems' reminders run as a daily periodic job on the worker, once per day."""

from datetime import timedelta

import pytest
from django.core import mail
from procrastinate.contrib.django import app

from core import queue
from core.dates import org_today
from postmortems.models import PostmortemRequirement
from postmortems.tasks import remind_required
from tests.factories import IncidentFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("migration_data")]


def test_the_reminder_job_is_registered_as_a_daily_periodic_task(settings):
    [declared] = [t for t in queue.periodic_tasks() if t.name == "postmortems.remind_required"]
    assert declared.function is remind_required
    assert declared.cron == settings.POSTMORTEM_REMINDER_CRON
    [periodic] = [
        task
        for task in app.periodic_registry.periodic_tasks.values()
        if task.task.name == "postmortems.remind_required"
    ]
    assert periodic.cron == settings.POSTMORTEM_REMINDER_CRON


def test_two_ticks_of_the_job_on_one_day_send_the_owner_one_email(run_worker):
    owner = UserFactory(email="owner@example.com")
    incident = IncidentFactory(title="Checkout outage")
    PostmortemRequirement.objects.create(
        incident=incident, owner=owner, due_on=org_today() - timedelta(days=1)
    )

    for tick in (1, 2):  # a retried job, a second worker
        app.configure_task("postmortems.remind_required").defer(timestamp=tick)
        run_worker()

    [message] = mail.outbox
    assert message.to == ["owner@example.com"]
    assert message.subject == f"Postmortem overdue: {incident.reference} Checkout outage"
    assert incident.get_absolute_url() in message.body
