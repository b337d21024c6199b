"""Turning a delivery of alerts into an incident and its timeline.

A delivery is applied inside the request, in one transaction: it only writes to our own
database (a few rows per alert), so the sender learns the truth in the answer (2xx once it is
committed, 4xx with the reason when it cannot be applied) and its own retries cover a crash.

Each alert group (the sender's groupKey) of an integration is one incident. Its AlertGroup row
is locked first, so two deliveries of one group, however close, apply one after the other: the
second finds the first one's incident and alerts. Every incident write goes through
incidents/services.py, so it is checked against the postmortem's state and kept in history.
"""

import hashlib
from datetime import UTC, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from alerting.models import (
    APPLIED_OUTCOMES,
    AlertDelivery,
    AlertGroup,
    AlertIntegration,
    AlertStatus,
    Outcome,
    ReceivedAlert,
)
from alerting.payloads import Alert, AlertPayload
from core.forms import ENTRY_MAX_LENGTH
from incidents.changes import ChangeRefused
from incidents.models import Incident, Service, Status, TimelineKind
from incidents.services import (
    IncidentError,
    incident_create,
    incident_update,
    timeline_entries_create,
)

# Label values shown on a timeline entry, at most.
SHOWN_LABELS = 12


def record_rejection(
    *, integration: AlertIntegration, status_code: int, detail: str, payload: str = ""
) -> AlertDelivery:
    return AlertDelivery.objects.create(
        integration=integration,
        received_at=timezone.now(),
        outcome=Outcome.REJECTED,
        status_code=status_code,
        detail=detail,
        payload=payload,
    )


def receive_alerts(
    *, integration: AlertIntegration, payload: AlertPayload, raw_payload: str
) -> AlertDelivery:
    """Apply a checked payload and log it. A change the incident refuses now (its postmortem
    is approved, say) is logged as rejected with the reason, and nothing of it is kept."""
    try:
        return _apply(integration=integration, payload=payload, raw_payload=raw_payload)
    except (ChangeRefused, IncidentError) as error:
        return record_rejection(
            integration=integration, status_code=409, detail=str(error), payload=raw_payload
        )
    except ValidationError as error:
        return record_rejection(
            integration=integration,
            status_code=400,
            detail=" ".join(error.messages),
            payload=raw_payload,
        )


@transaction.atomic
def _apply(*, integration, payload: AlertPayload, raw_payload: str) -> AlertDelivery:
    group = _lock_group(integration, payload.group_key)
    delivery = AlertDelivery(
        integration=integration,
        received_at=timezone.now(),
        status_code=200,
        content_digest=payload.digest,
        group_key=payload.group_key,
        alert_count=len(payload.alerts),
        payload=raw_payload,
    )
    earlier = (
        AlertDelivery.objects.filter(
            integration=integration, content_digest=payload.digest, outcome__in=APPLIED_OUTCOMES
        )
        .select_related("incident")
        .order_by("received_at")
        .first()
    )
    if earlier is not None:
        return _logged(
            delivery,
            Outcome.DUPLICATE,
            earlier.incident,
            _("The same payload was received at %(when)s; nothing changed.")
            % {"when": earlier.received_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")},
        )

    notes = []
    incident = Incident.objects.select_for_update(of=("self",)).filter(pk=group.incident_id).first()
    services, unknown_services = _services_named(integration, payload.firing)
    if unknown_services:
        notes.append(_unknown_services_note(integration, unknown_services))
    if payload.firing and (incident is None or incident.status == Status.RESOLVED):
        incident = _open_incident(integration, payload, services)
        group.incident = incident
        group.save(update_fields=["incident"])
        outcome = Outcome.CREATED
    elif incident is None:
        return _logged(
            delivery,
            Outcome.IGNORED,
            None,
            _("No incident is open for this alert group, and resolved alerts open none."),
        )
    else:
        outcome = Outcome.UPDATED

    delivery.save()  # the alerts below point at it
    added = _add_entries(integration, incident, payload, delivery, unknown_services)
    if outcome == Outcome.UPDATED:
        changed = _update_facts(integration, incident, payload, services)
        if not added and not changed:
            outcome = Outcome.DUPLICATE
            notes.append(_("Every alert in it was already on the incident; nothing changed."))
    return _logged(delivery, outcome, incident, " ".join(notes))


def _logged(delivery, outcome, incident, detail) -> AlertDelivery:
    delivery.outcome = outcome
    delivery.incident = incident
    delivery.detail = detail
    delivery.status_code = 201 if outcome == Outcome.CREATED else 200
    delivery.save()
    return delivery


def _lock_group(integration, group_key: str) -> AlertGroup:
    """The group's row, created if new, locked until the transaction ends. A concurrent first
    delivery of the same group waits on the unique constraint, then finds this row."""
    digest = hashlib.sha256(group_key.encode()).hexdigest()
    group, _created = AlertGroup.objects.get_or_create(
        integration=integration, group_key_digest=digest, defaults={"group_key": group_key}
    )
    return AlertGroup.objects.select_for_update().get(pk=group.pk)


def _services_named(integration, alerts: list[Alert]) -> tuple[list[Service], list[str]]:
    """The services the alerts' service label names (by slug or name, any case), and the
    values that name none."""
    values = {
        alert.labels[integration.service_label].strip()
        for alert in alerts
        if alert.labels.get(integration.service_label, "").strip()
    }
    if not values:
        return [], []
    lowered = {value.lower() for value in values}
    services = list(
        Service.objects.annotate(lower_slug=Lower("slug"), lower_name=Lower("name")).filter(
            Q(lower_slug__in=lowered) | Q(lower_name__in=lowered)
        )
    )
    known = {service.slug.lower() for service in services} | {
        service.name.lower() for service in services
    }
    return services, sorted(value for value in values if value.lower() not in known)


def _unknown_services_note(integration, values: list[str]) -> str:
    return _(
        "The label %(label)s names no service in Hindsight: %(values)s. Add the service (or "
        "correct the label), then set it on the incident."
    ) % {"label": integration.service_label, "values": ", ".join(values)}


def _open_incident(integration, payload: AlertPayload, services) -> Incident:
    started_at = min(alert.starts_at for alert in payload.firing)
    return incident_create(
        created_by=integration.reporter,
        commander=integration.commander,
        title=payload.title,
        severity=integration.severity_for([alert.labels for alert in payload.firing]),
        started_at=started_at,
        detected_at=started_at,
        services=services,
    )


def _add_entries(integration, incident, payload, delivery, unknown_services) -> int:
    """A timeline entry for each alert's firing and resolution the incident does not have."""
    recorded = set(
        ReceivedAlert.objects.filter(
            incident=incident, fingerprint__in={alert.fingerprint for alert in payload.alerts}
        ).values_list("fingerprint", "starts_at", "status")
    )
    new_alerts = [
        alert
        for alert in sorted(payload.alerts, key=lambda a: (a.starts_at, a.status, a.fingerprint))
        if (alert.fingerprint, alert.starts_at, alert.status) not in recorded
    ]
    entries = timeline_entries_create(
        incident=incident,
        author=integration.reporter,
        entries=[_entry_fields(integration, alert, unknown_services) for alert in new_alerts],
    )
    ReceivedAlert.objects.bulk_create(
        ReceivedAlert(
            incident=incident,
            fingerprint=alert.fingerprint,
            starts_at=alert.starts_at,
            status=alert.status,
            entry=entry,
            delivery=delivery,
        )
        for alert, entry in zip(new_alerts, entries, strict=True)
    )
    return len(new_alerts)


def _entry_fields(integration, alert: Alert, unknown_services) -> dict:
    firing = alert.status == AlertStatus.FIRING
    return {
        "occurred_at": alert.starts_at if firing else (alert.ends_at or timezone.now()),
        "kind": TimelineKind.DETECTION if firing else TimelineKind.MITIGATION,
        "body": _entry_body(integration, alert, unknown_services),
        "source_url": alert.source_url,
    }


def _entry_body(integration, alert: Alert, unknown_services) -> str:
    summary = alert.annotations.get("summary", "")
    description = alert.annotations.get("description", "")
    if alert.status == AlertStatus.FIRING:
        heading = _("Alert **%(name)s** firing.") % {"name": alert.name or alert.fingerprint}
    else:
        heading = _("Alert **%(name)s** resolved.") % {"name": alert.name or alert.fingerprint}
    labels = ", ".join(
        f"`{name}={value}`".replace("\n", " ")
        for name, value in sorted(alert.labels.items())[:SHOWN_LABELS]
    )
    parts = [heading, summary, description, _("Labels: %(labels)s") % {"labels": labels}]
    service = alert.labels.get(integration.service_label, "").strip()
    if alert.status == AlertStatus.FIRING and service in unknown_services:
        parts.append(_unknown_services_note(integration, [service]))
    # Within what the entry's form accepts, so a person can still edit it.
    return Truncator("\n\n".join(part for part in parts if part)).chars(ENTRY_MAX_LENGTH)


def _update_facts(integration, incident, payload: AlertPayload, services) -> bool:
    """What the alerts tell an open incident: an earlier start, the detection time it lacks,
    services it does not list, and its mitigation once every alert is resolved."""
    facts = {}
    if payload.firing:
        first_start = min(alert.starts_at for alert in payload.firing)
        if first_start < incident.started_at:
            facts["started_at"] = first_start
        if incident.detected_at is None:
            facts["detected_at"] = first_start
    elif (
        payload.status == AlertStatus.RESOLVED
        and integration.mitigate_on_resolve
        and incident.mitigated_at is None
        and incident.resolved_at is None
        and incident.status == Status.INVESTIGATING
    ):
        last_end = max((alert.ends_at or timezone.now()) for alert in payload.resolved)
        facts["mitigated_at"] = max(last_end, incident.detected_at or incident.started_at)
        facts["status"] = Status.MITIGATED
    current_services = list(incident.services.all())
    new_services = None
    if {s.pk for s in services} - {s.pk for s in current_services}:
        new_services = list({s.pk: s for s in [*current_services, *services]}.values())
    if not facts and new_services is None:
        return False
    _incident, changes = incident_update(
        incident=incident,
        editor=integration.reporter,
        loaded_version=incident.updated_at.isoformat(),
        services=new_services,
        **facts,
    )
    return bool(changes)


# How many old log rows one statement deletes: a long log is pruned without one long lock.
PRUNE_BATCH_SIZE = 1000


def prune_deliveries() -> int:
    """Delete the deliveries logged more than ALERTING_LOG_DAYS ago (0 keeps them all), with
    their payloads; returns how many. The incidents and timeline entries they made stay."""
    if settings.ALERTING_LOG_DAYS <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=settings.ALERTING_LOG_DAYS)
    pruned = 0
    while True:
        batch = list(
            AlertDelivery.objects.filter(received_at__lt=cutoff).values_list("pk", flat=True)[
                :PRUNE_BATCH_SIZE
            ]
        )
        if not batch:
            return pruned
        _total, deleted = AlertDelivery.objects.filter(pk__in=batch).delete()
        pruned += deleted.get(AlertDelivery._meta.label, 0)
