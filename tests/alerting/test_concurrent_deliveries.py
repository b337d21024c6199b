"""Two deliveries of one alert group at the same moment (Alertmanager's retry racing its next
notification, two Alertmanagers of a cluster) open one incident, not two: the second waits on
the group's row until the first commits, then finds its incident."""

import threading

import pytest
from django.db import connection

from alerting.models import AlertDelivery, AlertGroup, Outcome
from incidents.changes import registered
from incidents.models import Incident, Status
from incidents.services import incident_update
from tests.alerting.conftest import firing, post_alerts, resolved
from tests.factories import AlertIntegrationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _deliver_while_the_first_is_applying(integration, first_payload, second_payload):
    """Start the second delivery once the first is inside its transaction (it has written its
    first timeline entry), and keep the first open a moment so the two overlap."""
    first_is_applying = threading.Event()
    responses = {}

    def hold_the_first_open(*, incident, actor, description):
        if threading.current_thread().name == "first" and not first_is_applying.is_set():
            first_is_applying.set()
            threading.Event().wait(0.5)  # the second delivery reaches the database meanwhile

    def deliver(name, payload):
        try:
            responses[name] = post_alerts(integration, payload)
        finally:
            connection.close()

    with registered(listener=hold_the_first_open):
        first = threading.Thread(target=deliver, args=("first", first_payload), name="first")
        first.start()
        assert first_is_applying.wait(timeout=30)
        second = threading.Thread(target=deliver, args=("second", second_payload), name="second")
        second.start()
        first.join(timeout=60)
        second.join(timeout=60)
    return responses["first"], responses["second"]


def test_two_deliveries_of_one_group_at_once_open_one_incident(migration_data):
    integration = AlertIntegrationFactory()
    first_payload = firing()
    first_payload["alerts"] = first_payload["alerts"][:1]
    second_payload = firing()
    second_payload["alerts"] = second_payload["alerts"][1:]

    first, second = _deliver_while_the_first_is_applying(integration, first_payload, second_payload)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["outcome"] == "updated"
    incident = Incident.objects.get()
    assert incident.timeline_entries.count() == 2
    assert AlertGroup.objects.get().incident == incident


def test_the_same_delivery_twice_at_once_is_applied_once(migration_data):
    integration = AlertIntegrationFactory()
    post_alerts(integration, firing())  # the group and its incident exist: only a lock helps

    first, second = _deliver_while_the_first_is_applying(integration, resolved(), resolved())

    assert first.json()["outcome"] == "updated"
    assert second.json()["outcome"] == "duplicate"
    assert Incident.objects.get().timeline_entries.count() == 4
    assert list(AlertDelivery.objects.order_by("pk").values_list("outcome", flat=True)) == [
        Outcome.CREATED,
        Outcome.UPDATED,
        Outcome.DUPLICATE,
    ]


def test_two_deliveries_at_once_after_the_incident_was_resolved_open_one_new_incident(
    migration_data,
):
    integration = AlertIntegrationFactory()
    post_alerts(integration, firing())
    old = Incident.objects.get()
    incident_update(
        incident=old,
        editor=integration.reporter,
        loaded_version=old.updated_at.isoformat(),
        status=Status.RESOLVED,
        mitigated_at=old.started_at,
        resolved_at=old.started_at,
    )
    again = firing()
    for alert in again["alerts"]:
        alert["startsAt"] = "2026-03-15T08:00:00Z"
    first_payload, second_payload = dict(again), dict(again)
    first_payload["alerts"], second_payload["alerts"] = again["alerts"][:1], again["alerts"][1:]

    first, second = _deliver_while_the_first_is_applying(integration, first_payload, second_payload)

    assert (first.json()["outcome"], second.json()["outcome"]) == ("created", "updated")
    assert Incident.objects.count() == 2
    assert AlertGroup.objects.get().incident.timeline_entries.count() == 2
