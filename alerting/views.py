from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from alerting.models import AlertDelivery, AlertIntegration, Credentials, Outcome
from alerting.payloads import PayloadError, parse_payload
from alerting.services import receive_alerts, record_rejection


def _answer(status: int, **content) -> JsonResponse:
    return JsonResponse(content, status=status, headers={"Cache-Control": "no-store"})


def _read_body(request, *, limit: int) -> bytes | None:
    """The body, or None when it is over the limit (known from its length before reading)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


# Senders authenticate with the integration's secret, not a session: no CSRF token to send.
@csrf_exempt
@login_not_required
@require_POST
def receive(request, endpoint_id):
    """Where an integration's sender posts its alerts. Answers 201 (an incident was opened),
    200 (applied, or nothing new), 400 (the payload cannot be read, and why), 401/403 (the
    secret is missing or wrong; nothing more is said), 404 (no such active integration),
    409 (the incident refuses the change now, and why), 413 (the body is too large)."""
    integration = get_object_or_404(AlertIntegration.objects.active(), endpoint_id=endpoint_id)
    body = _read_body(request, limit=settings.ALERTING_MAX_BODY_BYTES)
    if body is None:
        message = _("The body is larger than %(limit)d bytes.") % {
            "limit": settings.ALERTING_MAX_BODY_BYTES
        }
        record_rejection(integration=integration, status_code=413, detail=message)
        return _answer(413, error=message)

    credentials = integration.check_credentials(request.headers, body)
    if credentials != Credentials.VALID:
        status = 401 if credentials == Credentials.MISSING else 403
        record_rejection(
            integration=integration,
            status_code=status,
            detail=_("The secret was missing.")
            if status == 401
            else _("The secret or signature was wrong."),
        )
        response = _answer(status, error=_("Not authorised."))
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="hindsight-alerting"'
        return response

    # Kept for the log as text: PostgreSQL's text holds no NUL, so a stray one is replaced.
    raw_payload = body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    try:
        payload = parse_payload(integration.kind, body)
    except PayloadError as error:
        record_rejection(
            integration=integration, status_code=400, detail=str(error), payload=raw_payload
        )
        return _answer(400, error=str(error))

    delivery = receive_alerts(integration=integration, payload=payload, raw_payload=raw_payload)
    if delivery.outcome == Outcome.REJECTED:
        return _answer(delivery.status_code, error=delivery.detail)
    return _answer(
        delivery.status_code,
        outcome=delivery.outcome,
        incident=delivery.incident.reference if delivery.incident else None,
        detail=delivery.detail,
    )


def _require_staff(request) -> None:
    if not request.user.is_staff:
        raise PermissionDenied(_("Only staff may see the alert integrations."))


@require_safe
def integration_list(request):
    _require_staff(request)
    last = AlertDelivery.objects.filter(integration=OuterRef("pk")).order_by("-received_at", "-pk")
    integrations = (
        AlertIntegration.objects.select_related("reporter", "commander")
        .annotate(
            last_received_at=Subquery(last.values("received_at")[:1]),
            last_outcome=Subquery(last.values("outcome")[:1]),
        )
        .order_by("name")
    )
    page = Paginator(integrations, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "alerting/alertintegration_list.html",
        {"page": page, "outcomes": dict(Outcome.choices)},
    )


@require_safe
def delivery_list(request, pk):
    _require_staff(request)
    integration = get_object_or_404(AlertIntegration, pk=pk)
    deliveries = integration.deliveries.select_related("incident").defer("payload")
    outcome = request.GET.get("outcome", "")
    if outcome in Outcome.values:
        deliveries = deliveries.filter(outcome=outcome)
    page = Paginator(deliveries, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "alerting/alertdelivery_list.html",
        {
            "integration": integration,
            "endpoint_url": request.build_absolute_uri(integration.endpoint_path),
            "page": page,
            "outcome": outcome,
            "outcome_choices": Outcome.choices,
        },
    )
