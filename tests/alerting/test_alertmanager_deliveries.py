"""Alertmanager's notifications of one alert group open one incident, add a timeline entry per
alert firing and resolving, and a retried or repeated notification changes nothing."""

import json
from datetime import UTC, datetime

import pytest

from alerting.models import AlertDelivery, Outcome
from incidents.models import Incident, IncidentChange, Severity, Status, TimelineKind
from incidents.services import incident_update
from tests.alerting.conftest import firing, post_alerts, resolved

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _incident() -> Incident:
    return Incident.objects.get()


def _entries(incident):
    return list(
        incident.timeline_entries.order_by("occurred_at").values_list("kind", "occurred_at")
    )


def test_firing_alerts_open_an_incident_with_a_detection_entry_each(alertmanager, checkout):
    response = post_alerts(alertmanager, firing())

    assert response.status_code == 201
    incident = _incident()
    assert response.json() == {"outcome": "created", "incident": incident.reference, "detail": ""}
    assert incident.title == "Checkout 5xx error rate above 2%"
    assert incident.severity == Severity.SEV1  # severity=critical in the table
    assert incident.status == Status.INVESTIGATING
    assert list(incident.services.all()) == [checkout]
    assert incident.started_at == at("2026-03-14T09:59:01.123")
    assert incident.detected_at == at("2026-03-14T09:59:01.123")
    assert incident.created_by == alertmanager.reporter
    assert incident.commander is None
    assert _entries(incident) == [
        (TimelineKind.DETECTION, at("2026-03-14T09:59:01.123")),
        (TimelineKind.DETECTION, at("2026-03-14T10:00:31")),
    ]
    first = incident.timeline_entries.order_by("occurred_at").first()
    assert "5xx ratio is 18.2% in eu-west-1" in first.body
    assert "`region=eu-west-1`" in first.body
    assert first.author == alertmanager.reporter
    assert first.source_url.startswith("http://prometheus.example.com:9090/graph")


def test_the_commander_set_on_the_integration_commands_the_incidents_it_opens(alertmanager, author):
    alertmanager.commander = author
    alertmanager.save()

    post_alerts(alertmanager, firing())

    assert _incident().commander == author


def test_resolved_alerts_add_entries_and_mark_the_incident_mitigated(alertmanager, checkout):
    post_alerts(alertmanager, firing())

    response = post_alerts(alertmanager, resolved())

    assert response.status_code == 200
    assert response.json()["outcome"] == "updated"
    incident = _incident()
    assert _entries(incident)[2:] == [
        (TimelineKind.MITIGATION, at("2026-03-14T10:30:05")),
        (TimelineKind.MITIGATION, at("2026-03-14T10:31:35")),
    ]
    assert incident.mitigated_at == at("2026-03-14T10:31:35")  # the last alert's end
    assert incident.status == Status.MITIGATED
    changes = IncidentChange.objects.filter(incident=incident)
    assert {change.field for change in changes} == {"mitigated_at", "status"}
    assert {change.changed_by for change in changes} == {alertmanager.reporter}


def test_resolved_alerts_leave_the_mitigated_time_alone_when_the_option_is_off(alertmanager):
    alertmanager.mitigate_on_resolve = False
    alertmanager.save()
    post_alerts(alertmanager, firing())

    post_alerts(alertmanager, resolved())

    incident = _incident()
    assert incident.mitigated_at is None
    assert incident.status == Status.INVESTIGATING
    assert len(_entries(incident)) == 4


def test_resolved_alerts_of_a_group_with_no_incident_open_none(alertmanager):
    response = post_alerts(alertmanager, resolved())

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert not Incident.objects.exists()


def test_a_retried_delivery_changes_nothing(alertmanager, checkout):
    post_alerts(alertmanager, firing())
    post_alerts(alertmanager, resolved())
    incident = _incident()
    before = (_entries(incident), incident.changes.count(), incident.updated_at)

    # The same content, spaced and ordered differently, is the same payload.
    respaced = json.dumps(resolved(), indent=4, sort_keys=True).encode()
    for retry in (resolved(), respaced):
        response = post_alerts(alertmanager, retry)

        assert response.status_code == 200
        assert response.json()["outcome"] == "duplicate"
        assert response.json()["incident"] == incident.reference

    incident.refresh_from_db()
    assert (_entries(incident), incident.changes.count(), incident.updated_at) == before
    outcomes = list(AlertDelivery.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == [Outcome.CREATED, Outcome.UPDATED, Outcome.DUPLICATE, Outcome.DUPLICATE]


def test_a_repeated_notification_of_the_same_alerts_adds_no_entry(alertmanager):
    post_alerts(alertmanager, firing())
    # Alertmanager re-sends a firing group every repeat_interval; its text may differ.
    repeat = firing()
    repeat["commonAnnotations"]["summary"] = "Checkout 5xx error rate above 2% (still)"

    response = post_alerts(alertmanager, repeat)

    assert response.json()["outcome"] == "duplicate"
    assert len(_entries(_incident())) == 2


def test_a_new_alert_of_the_group_joins_its_incident(alertmanager):
    post_alerts(alertmanager, firing())
    more = firing()
    new_alert = {
        **more["alerts"][0],
        "fingerprint": "ffffeeeeddddcccc",
        "startsAt": "2026-03-14T10:05:00Z",
    }
    more["alerts"] = [*more["alerts"], new_alert]

    response = post_alerts(alertmanager, more)

    assert response.json()["outcome"] == "updated"
    assert Incident.objects.count() == 1
    assert _entries(_incident())[-1] == (TimelineKind.DETECTION, at("2026-03-14T10:05:00"))


def test_an_alert_that_started_earlier_moves_the_start_earlier(alertmanager):
    post_alerts(alertmanager, firing())
    earlier = firing()
    earlier["alerts"][0] = {**earlier["alerts"][0], "startsAt": "2026-03-14T09:40:00Z"}

    post_alerts(alertmanager, earlier)

    incident = _incident()
    assert incident.started_at == at("2026-03-14T09:40:00")
    assert incident.changes.get().field == "started_at"


def test_the_same_alert_firing_again_after_resolving_adds_an_entry(alertmanager):
    post_alerts(alertmanager, firing())
    post_alerts(alertmanager, resolved())
    again = firing()
    again["alerts"] = [{**again["alerts"][0], "startsAt": "2026-03-14T11:00:00Z"}]

    response = post_alerts(alertmanager, again)

    assert response.json()["outcome"] == "updated"
    assert _entries(_incident())[-1] == (TimelineKind.DETECTION, at("2026-03-14T11:00:00"))


def test_a_group_firing_after_its_incident_was_resolved_opens_a_new_one(alertmanager):
    post_alerts(alertmanager, firing())
    incident = _incident()
    incident_update(
        incident=incident,
        editor=alertmanager.reporter,
        loaded_version=incident.updated_at.isoformat(),
        status=Status.RESOLVED,
        mitigated_at=at("2026-03-14T10:40:00"),
        resolved_at=at("2026-03-14T11:00:00"),
    )
    again = firing()
    again["alerts"] = [{**again["alerts"][0], "startsAt": "2026-03-15T08:00:00Z"}]

    response = post_alerts(alertmanager, again)

    assert response.status_code == 201
    assert Incident.objects.count() == 2
    assert response.json()["incident"] != incident.reference


def test_groups_of_different_integrations_are_different_incidents(alertmanager):
    from tests.factories import AlertIntegrationFactory

    other = AlertIntegrationFactory(name="Another Prometheus")

    post_alerts(alertmanager, firing())
    post_alerts(other, firing())

    assert Incident.objects.count() == 2
