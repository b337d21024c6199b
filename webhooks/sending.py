"""How a webhook delivery goes over the wire: the body (Hindsight's JSON, or a message for a
Slack or Teams incoming webhook), its signature, and the POST.

Every request carries ``X-Hindsight-Timestamp`` (Unix seconds, new for each attempt) and
``X-Hindsight-Signature: sha256=<hex>``, the HMAC-SHA256 with the endpoint's secret of
``<timestamp>.<body>``. A receiver recomputes it over the raw body and refuses a timestamp more
than ``SIGNATURE_TOLERANCE_SECONDS`` away from its clock (a replayed request); ``verify`` does
both and is what the README shows.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from django.conf import settings

from webhooks.models import PayloadFormat, WebhookDelivery

SIGNATURE_TOLERANCE_SECONDS = 5 * 60
USER_AGENT = "Hindsight-Webhooks/1"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify(
    secret: str,
    *,
    body: bytes,
    timestamp: str,
    signature: str,
    now: float,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver checks: a recent timestamp, and the signature over it and the body."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - sent_at) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent_at, body), signature or "")


def _chat_text(payload: dict) -> str:
    subject = payload.get("action_item") or payload.get("postmortem") or {}
    incident = payload["incident"]
    what = f"{payload['summary']}: {incident['reference']} {incident['title']}"
    if payload.get("action_item") and subject.get("title"):
        what += f" — {subject['title']}"
    link = subject.get("url") or incident["url"]
    return f"{what}\n{link}"


def body_for(delivery: WebhookDelivery) -> bytes:
    payload = delivery.payload
    if delivery.endpoint.format == PayloadFormat.SLACK:
        message = {"text": _chat_text(payload)}
    elif delivery.endpoint.format == PayloadFormat.TEAMS:
        message = {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": payload["summary"],
            "text": _chat_text(payload).replace("\n", "\n\n"),
        }
    else:
        message = payload
    return json.dumps(message, separators=(",", ":"), sort_keys=True).encode()


def post(delivery: WebhookDelivery) -> None:
    """POST ``delivery`` once, recording the response status on it; raise unless it is 2xx."""
    body = body_for(delivery)
    timestamp = int(time.time())
    request = urllib.request.Request(
        delivery.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Hindsight-Event": delivery.event,
            "X-Hindsight-Delivery": str(delivery.pk),
            "X-Hindsight-Timestamp": str(timestamp),
            "X-Hindsight-Signature": sign(delivery.endpoint.signing_secret, timestamp, body),
        },
    )
    delivery.last_status_code = None
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT) as response:
            delivery.last_status_code = response.status
    except urllib.error.HTTPError as error:  # an answer, but not a 2xx one
        delivery.last_status_code = error.code
        raise RuntimeError(f"The endpoint answered {error.code} {error.reason}.") from None
