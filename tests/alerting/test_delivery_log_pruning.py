"""The delivery log (payloads included) is kept ALERTING_LOG_DAYS; the worker prunes the rest
daily, and what the deliveries made (incidents, entries, recorded alerts) stays."""

from datetime import timedelta

import pytest
from django.utils import timezone
from procrastinate.contrib.django import app

from alerting import services
from alerting.models import AlertDelivery, ReceivedAlert
from incidents.models import Incident
from tests.alerting.conftest import firing, post_alerts
from tests.factories import AlertIntegrationFactory


def _age(days):
    AlertDelivery.objects.update(received_at=timezone.now() - timedelta(days=days))


@pytest.mark.django_db
def test_deliveries_older_than_the_limit_are_pruned_with_nothing_they_made(settings, monkeypatch):
    settings.ALERTING_LOG_DAYS = 30
    monkeypatch.setattr(services, "PRUNE_BATCH_SIZE", 2)  # several batches
    integration = AlertIntegrationFactory()
    post_alerts(integration, firing())
    for _ in range(4):
        post_alerts(integration, firing(), secret="wrong")
    _age(31)
    post_alerts(integration, firing())  # recent: kept

    assert services.prune_deliveries() == 5

    assert list(AlertDelivery.objects.values_list("outcome", flat=True)) == ["duplicate"]
    assert Incident.objects.get().timeline_entries.count() == 2
    assert ReceivedAlert.objects.count() == 2


@pytest.mark.django_db
def test_a_limit_of_zero_keeps_the_log(settings):
    settings.ALERTING_LOG_DAYS = 0
    post_alerts(AlertIntegrationFactory(), firing())
    _age(10_000)

    assert services.prune_deliveries() == 0
    assert AlertDelivery.objects.count() == 1


def test_the_pruning_is_a_daily_periodic_job():
    [periodic] = [
        task
        for task in app.periodic_registry.periodic_tasks.values()
        if task.task.name == "alerting.prune_deliveries"
    ]
    assert periodic.cron == "23 3 * * *"


@pytest.mark.django_db(transaction=True)
def test_the_worker_prunes_the_log(run_worker, migration_data, settings):
    settings.ALERTING_LOG_DAYS = 30
    post_alerts(AlertIntegrationFactory(), firing())
    _age(31)

    app.configure_task("alerting.prune_deliveries").defer(timestamp=1)
    run_worker()

    assert not AlertDelivery.objects.exists()
    assert Incident.objects.exists()
