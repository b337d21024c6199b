"""Outbound webhooks against a real local HTTP receiver: each workflow event becomes a delivery
in the step's transaction, the worker's code POSTs it signed, retries after a 500, and formats
it for Slack or Teams."""

import hashlib
import hmac
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from actions.models import ActionStatus
from actions.services import action_item_create, action_item_set_status, publish_overdue_items
from incidents.services import incident_create, incident_update
from outbox.models import DeliveryStatus
from postmortems.models import PostmortemStatus
from tests.factories import ActionItemFactory, PostmortemFactory, UserFactory
from webhooks.models import PayloadFormat, WebhookDelivery
from webhooks.sending import verify
from webhooks.services import deliver, endpoint_create

pytestmark = pytest.mark.django_db


def _request_review(client, postmortem, reviewer):
    response = client.post(
        postmortem.review_url(), {"action": "request_review", "reviewers": [reviewer.pk]}
    )
    assert response.status_code == 302


def _deliver_all() -> list[str]:
    return [
        deliver(delivery_id=pk)
        for pk in WebhookDelivery.objects.pending().order_by("pk").values_list("pk", flat=True)
    ]


def test_a_review_request_is_posted_as_signed_json_that_the_receiver_verifies(
    endpoint, receiver, ready, reviewer, author, author_client
):
    endpoint, secret = endpoint
    _request_review(author_client, ready, reviewer)
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.event == "postmortem.review_requested"
    assert delivery.status == DeliveryStatus.PENDING and delivery.job_id is not None
    assert receiver.received == []  # nothing leaves during the request

    assert _deliver_all() == ["sent"]

    [request] = receiver.received
    assert request.path == "/hooks/hindsight"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Hindsight-Event"] == "postmortem.review_requested"
    assert request.headers["X-Hindsight-Delivery"] == str(delivery.pk)
    timestamp = request.headers["X-Hindsight-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256)
    assert request.headers["X-Hindsight-Signature"] == f"sha256={expected.hexdigest()}"
    assert verify(
        secret,
        body=request.body,
        timestamp=timestamp,
        signature=request.headers["X-Hindsight-Signature"],
        now=time.time(),
    )
    body = request.json
    assert body["event"] == "postmortem.review_requested"
    assert body["actor"] == author.display_name
    assert body["incident"]["reference"] == ready.incident.reference
    assert body["incident"]["title"] == "Checkout outage"
    assert body["postmortem"]["status"] == PostmortemStatus.IN_REVIEW
    assert body["postmortem"]["url"].endswith(ready.get_absolute_url())
    assert "Written summary." not in request.body.decode()  # never the postmortem's text
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.last_status_code == 200


def test_a_replayed_or_tampered_request_does_not_verify(
    endpoint, receiver, ready, reviewer, author_client
):
    endpoint, secret = endpoint
    _request_review(author_client, ready, reviewer)
    _deliver_all()
    [request] = receiver.received
    timestamp = request.headers["X-Hindsight-Timestamp"]
    signature = request.headers["X-Hindsight-Signature"]

    sent = int(timestamp)
    assert verify(
        secret, body=request.body, timestamp=timestamp, signature=signature, now=sent + 299
    )
    assert not verify(
        secret, body=request.body, timestamp=timestamp, signature=signature, now=sent + 301
    )
    assert not verify(
        secret, body=request.body + b" ", timestamp=timestamp, signature=signature, now=sent
    )
    assert not verify(
        secret, body=request.body, timestamp=str(sent + 1), signature=signature, now=sent
    )
    assert not verify(
        "another secret", body=request.body, timestamp=timestamp, signature=signature, now=sent
    )


def test_after_a_500_the_delivery_is_retried_later_and_then_sent_once(
    endpoint, receiver, ready, reviewer, author_client, settings
):
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    receiver.statuses = [500]
    _request_review(author_client, ready, reviewer)
    [delivery] = WebhookDelivery.objects.all()

    assert deliver(delivery_id=delivery.pk, job_id=delivery.job_id).startswith("failed; retrying")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.last_status_code == 500
    assert "500" in delivery.last_error
    assert delivery.next_attempt_at == delivery.last_attempt_at + timedelta(seconds=60)
    first_job = delivery.job_id
    assert first_job is not None

    assert deliver(delivery_id=delivery.pk, job_id=first_job) == "sent"
    assert deliver(delivery_id=delivery.pk, job_id=first_job) == (
        "not pending, or being delivered by another worker"
    )
    assert len(receiver.received) == 2
    assert receiver.received[0].body == receiver.received[1].body
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    assert delivery.last_status_code == 200


def test_a_slack_endpoint_gets_a_message_with_the_incident_and_a_link(
    receiver, staff, ready, reviewer, author_client, settings
):
    endpoint_create(
        name="#incidents", url=receiver.url, format=PayloadFormat.SLACK, created_by=staff
    )
    _request_review(author_client, ready, reviewer)
    _deliver_all()

    [request] = receiver.received
    assert request.json == {
        "text": f"Review requested: {ready.incident.reference} Checkout outage\n"
        f"{settings.SITE_URL}{ready.get_absolute_url()}"
    }
    assert request.headers["X-Hindsight-Signature"].startswith("sha256=")


def test_a_teams_endpoint_gets_a_message_card(receiver, staff, ready, reviewer, author_client):
    endpoint_create(name="Teams", url=receiver.url, format=PayloadFormat.TEAMS, created_by=staff)
    _request_review(author_client, ready, reviewer)
    _deliver_all()
    card = receiver.received[0].json
    assert card["@type"] == "MessageCard"
    assert card["summary"] == "Review requested"
    assert f"{ready.incident.reference} Checkout outage" in card["text"]


def _declare(author, *, status="investigating", **facts):
    started = timezone.now() - timedelta(hours=3)
    moments = {"started_at": started, "detected_at": started}
    if status == "resolved":
        moments.update(mitigated_at=started, resolved_at=started + timedelta(hours=1))
    return incident_create(
        created_by=author, severity="SEV2", status=status, **{**moments, **facts}
    )


def test_an_endpoint_hears_only_the_events_it_chose(receiver, staff, author):
    endpoint_create(
        name="Resolutions",
        url=receiver.url,
        format=PayloadFormat.JSON,
        events=["incident.resolved"],
        created_by=staff,
    )
    _declare(author, title="Still open")
    _declare(author, title="Over already", status="resolved")

    assert list(WebhookDelivery.objects.values_list("event", "payload__incident__title")) == [
        ("incident.resolved", "Over already")
    ]


def test_resolving_an_open_incident_is_an_event_and_other_edits_are_not(endpoint, author):
    incident = _declare(author, title="Open")
    incident, _changes = incident_update(
        incident=incident,
        editor=author,
        loaded_version=incident.updated_at.isoformat(),
        title="Open, renamed",
    )
    ended = incident.started_at + timedelta(hours=1)
    incident_update(
        incident=incident,
        editor=author,
        loaded_version=incident.updated_at.isoformat(),
        status="resolved",
        mitigated_at=ended,
        resolved_at=ended,
    )
    assert list(
        WebhookDelivery.objects.order_by("pk").values_list("event", "payload__incident__status")
    ) == [("incident.declared", "investigating"), ("incident.resolved", "resolved")]


def test_nothing_is_recorded_when_the_step_rolls_back(endpoint, author):
    with transaction.atomic():
        _declare(author, title="Declared")
        assert WebhookDelivery.objects.filter(event="incident.declared").count() == 1
        transaction.set_rollback(True)
    assert not WebhookDelivery.objects.exists()


def test_an_action_item_of_a_draft_postmortem_is_sent_without_its_title(endpoint, receiver, author):
    draft = PostmortemFactory(author=author, status=PostmortemStatus.DRAFT)
    owner = UserFactory(username="owen")
    action_item_create(postmortem=draft, created_by=author, title="Secret remediation", owner=owner)
    assert sorted(WebhookDelivery.objects.values_list("event", flat=True)) == [
        "action_item.assigned",
        "action_item.created",
    ]
    _deliver_all()
    for request in receiver.received:
        assert "Secret remediation" not in request.body.decode()
        assert request.json["action_item"]["title"] is None
        assert request.json["action_item"]["owner"] == owner.display_name


def test_action_item_done_and_overdue_events_overdue_once_per_due_date(endpoint, author):
    item = ActionItemFactory(due_date=timezone.localdate() - timedelta(days=3))
    ActionItemFactory(due_date=timezone.localdate())  # due today: not overdue
    assert publish_overdue_items() == 1
    assert publish_overdue_items() == 1  # the next day's run: still overdue, told once
    overdue = WebhookDelivery.objects.filter(event="action_item.overdue")
    assert overdue.count() == 1
    assert overdue.get().payload["action_item"]["title"] == item.title
    assert overdue.get().payload["actor"] is None

    item.refresh_from_db()
    action_item_set_status(
        item=item,
        status=ActionStatus.DONE,
        changed_by=author,
        evidence_url="https://example.com/pull/42",
    )
    assert WebhookDelivery.objects.filter(event="action_item.done").count() == 1
