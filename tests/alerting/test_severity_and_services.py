"""The incident's severity comes from the integration's table for its severity label, and its
services from the service label; a label naming no service is said so, not guessed."""

import pytest

from alerting.models import AlertDelivery
from incidents.models import Incident, Severity
from tests.alerting.conftest import firing, post_alerts
from tests.factories import AlertIntegrationFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def _firing_with(**labels) -> dict:
    payload = firing()
    for labelled in (payload["commonLabels"], *(alert["labels"] for alert in payload["alerts"])):
        labelled.update(labels)
        for name in [name for name, value in labelled.items() if value is None]:
            del labelled[name]
    return payload


@pytest.mark.parametrize(
    "severity_label, expected",
    [
        ("critical", Severity.SEV1),
        ("CRITICAL", Severity.SEV1),  # any case
        ("page", Severity.SEV1),
        ("warning", Severity.SEV3),
        ("info", Severity.SEV4),  # not in the table: the default
        (None, Severity.SEV4),  # no label: the default
    ],
)
def test_the_severity_label_is_looked_up_in_the_table(alertmanager, severity_label, expected):
    post_alerts(alertmanager, _firing_with(severity=severity_label))

    assert Incident.objects.get().severity == expected


def test_the_severity_label_is_configurable(db):
    integration = AlertIntegrationFactory(
        severity_label="priority", severity_rules={"P1": Severity.SEV1, "P2": Severity.SEV2}
    )

    post_alerts(integration, _firing_with(priority="p2"))

    assert Incident.objects.get().severity == Severity.SEV2


def test_the_service_label_matches_a_service_by_name_or_slug(db):
    payments = ServiceFactory(name="Payments API", slug="payments")
    integration = AlertIntegrationFactory(service_label="team")

    post_alerts(integration, _firing_with(team="Payments API"))
    post_alerts(integration, {**_firing_with(team="payments"), "groupKey": "another"})

    assert [list(i.services.all()) for i in Incident.objects.all()] == [[payments], [payments]]


def test_services_of_several_alerts_are_all_set(alertmanager, checkout):
    search = ServiceFactory(name="Search", slug="search")
    payload = firing()
    payload["alerts"][1]["labels"]["service"] = "search"

    post_alerts(alertmanager, payload)

    assert set(Incident.objects.get().services.all()) == {checkout, search}


def test_a_later_alert_adds_its_service_to_the_incident(alertmanager, checkout):
    search = ServiceFactory(name="Search", slug="search")
    post_alerts(alertmanager, firing())
    more = firing()
    more["alerts"].append(
        {**more["alerts"][0], "fingerprint": "0123", "labels": {"service": "search"}}
    )

    post_alerts(alertmanager, more)

    incident = Incident.objects.get()
    assert set(incident.services.all()) == {checkout, search}
    assert incident.changes.get().field == "services"


def test_an_unknown_service_opens_the_incident_without_it_and_says_so(alertmanager):
    response = post_alerts(alertmanager, firing())  # no service "checkout" exists

    assert response.status_code == 201
    note = "The label service names no service in Hindsight: checkout."
    assert note in response.json()["detail"]
    assert note in AlertDelivery.objects.get().detail
    incident = Incident.objects.get()
    assert not incident.services.exists()
    assert all(note in entry.body for entry in incident.timeline_entries.all())


def test_alerts_of_different_severities_give_the_most_severe(alertmanager):
    payload = firing()
    del payload["commonLabels"]["severity"]
    payload["alerts"][0]["labels"]["severity"] = "warning"
    payload["alerts"][1]["labels"]["severity"] = "page"

    post_alerts(alertmanager, payload)

    assert Incident.objects.get().severity == Severity.SEV1
