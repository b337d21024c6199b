"""Staff register endpoints in the admin, see the signing secret once, and read each endpoint's
delivery log; nobody else gets in."""

import pytest
from django.urls import reverse
from django.utils import timezone

from outbox.models import DeliveryStatus
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    from tests.factories import UserFactory

    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_staff_register_an_endpoint_and_see_its_secret_once(superuser, make_client, receiver):
    client = make_client(superuser)
    response = client.post(
        reverse("admin:webhooks_webhookendpoint_add"),
        {
            "name": "Ops",
            "url": receiver.url,
            "format": "slack",
            "events": ["postmortem.published", "incident.declared"],
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    page = response.content.decode()
    assert endpoint.signing_secret in page and "this once" in page
    assert "no-store" in response["Cache-Control"]
    assert endpoint.events == ["postmortem.published", "incident.declared"]
    assert endpoint.created_by == superuser
    assert endpoint.signing_secret not in str(endpoint.secret_salt)

    change = client.get(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]))
    assert change.status_code == 200
    assert endpoint.signing_secret not in change.content.decode()


def test_an_address_that_is_not_http_is_refused_with_a_message(superuser, make_client):
    response = make_client(superuser).post(
        reverse("admin:webhooks_webhookendpoint_add"),
        {"name": "Files", "url": "ftp://files.example.com/in", "format": "json", "is_active": "on"},
    )
    assert response.status_code == 200
    assert not WebhookEndpoint.objects.exists()
    assert "Give an http:// or https:// address." in response.content.decode()


def test_rotating_the_secret_shows_the_new_one_and_the_old_one_stops_working(
    superuser, make_client, endpoint
):
    endpoint, old_secret = endpoint
    response = make_client(superuser).post(
        reverse("admin:webhooks_webhookendpoint_changelist"),
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
    )
    endpoint.refresh_from_db()
    assert endpoint.signing_secret != old_secret
    assert endpoint.signing_secret in response.content.decode()


def test_the_delivery_log_shows_each_attempt_to_staff(
    superuser, make_client, endpoint, receiver, ready, reviewer, author_client
):
    endpoint, _secret = endpoint
    receiver.statuses = [500]
    author_client.post(ready.review_url(), {"action": "request_review", "reviewers": [reviewer.pk]})
    delivery = WebhookDelivery.objects.get()
    deliver(delivery_id=delivery.pk)
    client = make_client(superuser)

    log = client.get(
        reverse("admin:webhooks_webhookdelivery_changelist") + f"?endpoint__id__exact={endpoint.pk}"
    )
    assert log.status_code == 200
    assert "Review requested" in log.content.decode()
    detail = client.get(reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]))
    assert "The endpoint answered 500" in detail.content.decode()

    retried = client.post(
        reverse("admin:webhooks_webhookdelivery_changelist"),
        {"action": "retry_now_action", "_selected_action": [delivery.pk]},
        follow=True,
    )
    assert "1 delivery will be attempted again now." in retried.content.decode()
    delivery.refresh_from_db()
    assert deliver(delivery_id=delivery.pk, job_id=delivery.job_id) == "sent"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT


def test_people_who_are_not_staff_cannot_see_endpoints_or_deliveries(author_client):
    for name in ("webhookendpoint", "webhookdelivery"):
        response = author_client.get(reverse(f"admin:webhooks_{name}_changelist"))
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_staff_change_the_events_of_an_endpoint(superuser, make_client, endpoint):
    endpoint, _secret = endpoint
    response = make_client(superuser).post(
        reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]),
        {
            "name": "Ops receiver",
            "url": endpoint.url,
            "format": "teams",
            "events": ["action_item.overdue"],
        },
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.events == ["action_item.overdue"] and endpoint.format == "teams"
    assert not endpoint.is_active


def _log_of_size(endpoint, count):
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            event="incident.declared",
            payload={"n": n},
            next_attempt_at=now,
        )
        for n in range(count)
    )


@pytest.mark.parametrize("size", [3, 60])
def test_the_delivery_log_and_endpoint_list_take_the_same_queries_at_any_size(
    superuser, make_client, endpoint, size, django_assert_max_num_queries
):
    endpoint, _secret = endpoint
    _log_of_size(endpoint, size)
    client = make_client(superuser)
    # Session, user, the endpoint filter's choices and the one chosen, the date hierarchy, the
    # counts, the page of deliveries with their endpoints: 8 at any size.
    with django_assert_max_num_queries(8):
        log = client.get(
            reverse("admin:webhooks_webhookdelivery_changelist")
            + f"?endpoint__id__exact={endpoint.pk}"
        )
    assert log.status_code == 200
    # Session, user, the counts, the page of endpoints with their failing deliveries counted.
    with django_assert_max_num_queries(5):
        endpoints = client.get(reverse("admin:webhooks_webhookendpoint_changelist"))
    assert endpoints.status_code == 200
