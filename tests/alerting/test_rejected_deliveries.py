"""What cannot be applied is refused with a status and a message the sender's log can show,
is logged for staff, and changes nothing; nothing a sender sends gets a 500."""

import json

import pytest
from django.test import Client, override_settings

from alerting.models import AlertDelivery, Outcome
from core.forms import ENTRY_MAX_LENGTH
from incidents.changes import ChangeRefused, registered
from incidents.models import Incident
from tests.alerting.conftest import firing, post_alerts, resolved

pytestmark = pytest.mark.django_db


def _with(**changes) -> dict:
    payload = firing()
    payload.update(changes)
    return payload


def _with_alert(**changes) -> dict:
    payload = firing()
    payload["alerts"][0].update(changes)
    return payload


def _without(name) -> dict:
    payload = firing()
    del payload[name]
    return payload


MALFORMED = {
    "empty": (b"", "The body is empty"),
    "not JSON": (b'{"version": "4", "alerts": [', "not valid JSON"),
    "a NUL byte": (b'{"version": "4\x00"}', "not valid JSON"),
    "not UTF-8": (b'{"version": "\xff"}', "not UTF-8"),
    "a list": (b"[1, 2]", "must be a JSON object"),
    "deeply nested": (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    "nested deep": (b'{"x": ' + b"[" * 500 + b"]" * 500 + b"}", 'version "4", not none'),
    "a NUL character": (_with(groupKey="a\u0000b"), "NUL character"),
    "no version": (_without("version"), 'version "4", not none'),
    "Grafana's version": (_with(version="1"), 'version "4", not "1"'),
    "no groupKey": (_without("groupKey"), '"groupKey" must be a non-empty string'),
    "blank groupKey": (_with(groupKey=" "), '"groupKey" must be a non-empty string'),
    "unknown status": (_with(status="pending"), '"status" must be "firing" or "resolved"'),
    "no alerts": (_with(alerts=[]), '"alerts" must be a non-empty list'),
    "alerts not a list": (_with(alerts={"a": 1}), '"alerts" must be a non-empty list'),
    "an alert not an object": (_with(alerts=["x"]), '"alerts[0]" must be an object'),
    "labels not a map": (_with_alert(labels=["a"]), '"alerts[0].labels" must map names'),
    "nested label value": (_with_alert(labels={"a": {"b": 1}}), '"alerts[0].labels" must map'),
    "no startsAt": (_with_alert(startsAt=None), '"alerts[0].startsAt" must be an RFC 3339'),
    "startsAt not a time": (_with_alert(startsAt="yesterday"), '"alerts[0].startsAt" must be'),
    "startsAt without zone": (_with_alert(startsAt="2026-03-14T09:59:01"), "with a zone"),
    "startsAt in year 9999": (_with_alert(startsAt="9999-12-31T23:00:00Z"), "1970-01-01 to 2100"),
    "startsAt before 1970": (_with_alert(startsAt="1969-07-20T20:17:00Z"), "1970-01-01 to 2100"),
    "alert status unknown": (_with_alert(status="ok"), '"alerts[0].status" must be "firing"'),
    "fingerprint too long": (_with_alert(fingerprint="f" * 65), '"alerts[0].fingerprint" must'),
    "fingerprint a number": (_with_alert(fingerprint=12), '"alerts[0].fingerprint" must'),
}


@pytest.mark.parametrize("payload, message", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_payload_is_refused_with_a_message(alertmanager, payload, message):
    response = post_alerts(alertmanager, payload)

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Incident.objects.exists()
    delivery = AlertDelivery.objects.get()
    assert delivery.outcome == Outcome.REJECTED
    assert message in delivery.detail


@override_settings(ALERTING_MAX_ALERTS=1)
def test_more_alerts_than_the_limit_are_refused_saying_how_to_configure_the_sender(alertmanager):
    response = post_alerts(alertmanager, firing())

    assert response.status_code == 400
    assert "Set max_alerts: 1" in response.json()["error"]


@override_settings(ALERTING_MAX_BODY_BYTES=1000)
def test_a_body_over_the_limit_is_refused_unread(alertmanager):
    response = post_alerts(alertmanager, _with_alert(annotations={"description": "x" * 2000}))

    assert response.status_code == 413
    assert response.json() == {"error": "The body is larger than 1000 bytes."}
    assert AlertDelivery.objects.get().payload == ""


def test_a_missing_secret_is_refused_with_401_and_nothing_more(alertmanager):
    response = post_alerts(alertmanager, firing(), headers={})

    assert response.status_code == 401
    assert response.json() == {"error": "Not authorised."}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    "authorization", ["Bearer wrong", "Basic dXNlcjpwYXNz", "Bearer", "Bearer  ", "Bearer é"]
)
def test_a_wrong_secret_is_refused_and_logged_without_the_payload(alertmanager, authorization):
    response = post_alerts(alertmanager, firing(), headers={"Authorization": authorization})

    assert response.status_code in (401, 403)
    assert response.json() == {"error": "Not authorised."}
    assert not Incident.objects.exists()
    delivery = AlertDelivery.objects.get()
    assert (delivery.outcome, delivery.payload) == (Outcome.REJECTED, "")


def test_another_integrations_secret_is_wrong(alertmanager):
    from tests.factories import AlertIntegrationFactory

    other = AlertIntegrationFactory(name="Other")

    response = post_alerts(alertmanager, firing(), secret=other.plain_secret)

    assert response.status_code == 403


def test_a_new_secret_replaces_the_old_one_at_once(alertmanager):
    old = alertmanager.plain_secret
    new = alertmanager.issue_secret()

    assert post_alerts(alertmanager, firing(), secret=old).status_code == 403
    assert post_alerts(alertmanager, firing(), secret=new).status_code == 201
    assert new not in alertmanager.token_hash


def test_an_unknown_or_inactive_integration_answers_404(alertmanager):
    alertmanager.is_active = False
    alertmanager.save()

    assert post_alerts(alertmanager, firing()).status_code == 404
    assert (
        Client()
        .post("/alerting/hooks/not-a-uuid/", data="{}", content_type="application/json")
        .status_code
        == 404
    )
    assert not AlertDelivery.objects.exists()


def test_only_post_is_answered(alertmanager):
    assert Client().get(alertmanager.endpoint_path).status_code == 405


def test_senders_need_no_csrf_token_but_the_rest_of_the_site_does(alertmanager, staff):
    client = Client(enforce_csrf_checks=True)

    assert post_alerts(alertmanager, firing(), client=client).status_code == 201

    client.force_login(staff)
    assert client.post("/incidents/new/", data={}).status_code == 403


REFUSAL = "The postmortem is approved: withdraw the approval first."


def _refuse(*, incident, actor):
    raise ChangeRefused(REFUSAL)


def test_a_change_the_incident_refuses_is_answered_409_and_nothing_of_it_is_kept(alertmanager):
    post_alerts(alertmanager, firing())
    incident = Incident.objects.get()

    with registered(guard=_refuse):
        response = post_alerts(alertmanager, resolved())

    assert response.status_code == 409
    assert response.json() == {"error": REFUSAL}
    assert incident.timeline_entries.count() == 2
    assert AlertDelivery.objects.order_by("pk").last().outcome == Outcome.REJECTED
    # Once the postmortem allows it, the sender's retry goes through.
    assert post_alerts(alertmanager, resolved()).json()["outcome"] == "updated"


def test_a_label_value_of_any_json_scalar_is_read_as_text(alertmanager):
    response = post_alerts(alertmanager, _with_alert(labels={"severity": "critical", "n": 3}))

    assert response.status_code == 201
    assert "`n=3`" in Incident.objects.get().timeline_entries.first().body


def test_an_invalid_source_link_is_left_out(alertmanager):
    response = post_alerts(alertmanager, _with_alert(generatorURL="javascript:alert(1)"))

    assert response.status_code == 201
    entry = Incident.objects.get().timeline_entries.order_by("occurred_at").first()
    assert entry.source_url == ""


def test_a_very_long_group_key_and_title_are_kept_within_bounds(alertmanager):
    payload = _with(groupKey="k" * 50_000)
    payload["commonAnnotations"]["summary"] = "s" * 5000

    assert post_alerts(alertmanager, payload).status_code == 201
    assert len(Incident.objects.get().title) == 200
    assert json.loads(AlertDelivery.objects.get().payload)["groupKey"] == "k" * 50_000


def test_an_alerts_long_text_is_cut_to_what_a_timeline_entry_holds(alertmanager):
    labels = {f"label{number}": "v" * 2000 for number in range(12)}
    payload = _with_alert(labels=labels, annotations={"description": "d" * 2000})

    assert post_alerts(alertmanager, payload).status_code == 201
    entry = Incident.objects.get().timeline_entries.order_by("occurred_at").first()
    assert len(entry.body) == ENTRY_MAX_LENGTH
    assert entry.body.endswith("…")
