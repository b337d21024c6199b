"""Outbound webhooks: registering endpoints, and turning workflow events into deliveries.

``record_event`` listens to core.events (subscribed in WebhooksConfig.ready): for each active
endpoint that wants the event it writes a WebhookDelivery in the transaction of the step, and the
outbox delivers it like an email (one attempt per job, retries with growing pauses, exactly once,
the sweeper for lost jobs; see outbox.services).
"""

from django.db import transaction

from outbox import services as outbox
from webhooks import payloads
from webhooks.models import WebhookDelivery, WebhookEndpoint

DELIVER_TASK = WebhookDelivery.delivery_task
WEBHOOKS_QUEUE = "webhooks"


@transaction.atomic
def endpoint_create(
    *, name: str, url: str, format: str, events=(), created_by=None
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its signing secret, which is shown only now."""
    endpoint = WebhookEndpoint(
        name=name, url=url, format=format, events=list(events), created_by=created_by
    )
    secret = endpoint.new_secret()
    endpoint.full_clean()
    endpoint.save()
    return endpoint, secret


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> str:
    """A new signing secret, shown only now; the old one stops working at once."""
    secret = endpoint.new_secret()
    endpoint.save(update_fields=["secret_salt", "updated_at"])
    return secret


@transaction.atomic
def record_event(event: str, *, actor=None, **objects) -> list[WebhookDelivery]:
    """Write one delivery of ``event`` for every active endpoint that wants it.

    A restricted incident (security, legal, HR), and its postmortem and action items, send
    nothing: an endpoint is read outside Hindsight by people it cannot check, so not even a
    reference leaves."""
    if payloads.concerns_restricted_incident(**objects):
        return []
    endpoints = list(WebhookEndpoint.objects.listening_to(event))
    if not endpoints:
        return []
    payload = payloads.build(event, actor=actor, **objects)
    once_key = payloads.once_key(event, **objects)
    if once_key:
        already = set(
            WebhookDelivery.objects.filter(endpoint__in=endpoints, once_key=once_key).values_list(
                "endpoint_id", flat=True
            )
        )
        endpoints = [endpoint for endpoint in endpoints if endpoint.pk not in already]
    return [
        outbox.schedule(
            WebhookDelivery(endpoint=endpoint, event=event, payload=payload, once_key=once_key)
        )
        for endpoint in endpoints
    ]


def deliver(*, delivery_id: int, job_id: int | None = None) -> str:
    return outbox.attempt(WebhookDelivery, pk=delivery_id, job_id=job_id)


def sweep() -> int:
    return outbox.requeue_lost(WebhookDelivery)
