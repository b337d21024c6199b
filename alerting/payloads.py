"""Reading Alertmanager (webhook version 4) and Grafana alerting payloads into one shape.

Grafana's webhook payload is Alertmanager's with a few fields added (title, state, message,
panel and dashboard links), and version "1". Everything a sender controls is checked here, with
a message saying what is wrong, before anything is written.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from alerting.models import AlertStatus, IntegrationKind
from core.dates import validate_moment_in_range

EXPECTED_VERSION = {IntegrationKind.ALERTMANAGER: "4", IntegrationKind.GRAFANA: "1"}
# Longest label or annotation value kept; the rest is cut (a description can be long).
MAX_TEXT_LENGTH = 2000
MAX_FINGERPRINT_LENGTH = 64
MAX_URL_LENGTH = 500  # TimelineEntry.source_url


class PayloadError(Exception):
    """The payload cannot be used; the message says why, for the sender's log."""


@dataclass(frozen=True)
class Alert:
    status: str
    fingerprint: str
    starts_at: datetime
    ends_at: datetime | None
    labels: dict[str, str]
    annotations: dict[str, str]
    source_url: str

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")


@dataclass(frozen=True)
class AlertPayload:
    group_key: str
    status: str
    title: str
    common_labels: dict[str, str]
    alerts: list[Alert]
    # SHA-256 of the canonical JSON: the same content however it was spaced or ordered.
    digest: str = field(repr=False)

    @property
    def firing(self) -> list[Alert]:
        return [alert for alert in self.alerts if alert.status == AlertStatus.FIRING]

    @property
    def resolved(self) -> list[Alert]:
        return [alert for alert in self.alerts if alert.status == AlertStatus.RESOLVED]


def parse_payload(kind: str, body: bytes) -> AlertPayload:
    if not body.strip():
        raise PayloadError(_("The body is empty: send the payload as JSON, with its length."))
    try:
        data = json.loads(body)
    except UnicodeDecodeError:
        raise PayloadError(_("The body is not UTF-8 text.")) from None
    except (json.JSONDecodeError, RecursionError) as error:
        raise PayloadError(_("The body is not valid JSON: %(error)s.") % {"error": error}) from None
    if not isinstance(data, dict):
        raise PayloadError(_("The body must be a JSON object."))
    if _has_nul(data):
        raise PayloadError(
            _("The payload contains a NUL character (\\u0000), which no text keeps.")
        )
    version = data.get("version")
    expected = EXPECTED_VERSION[kind]
    if version != expected:
        raise PayloadError(
            _('This integration reads %(kind)s payloads of version "%(expected)s", not %(got)s.')
            % {"kind": IntegrationKind(kind).label, "expected": expected, "got": _shown(version)}
        )
    group_key = _required_text(data, "groupKey", "")
    status = _status(data, "")
    raw_alerts = data.get("alerts")
    if not isinstance(raw_alerts, list) or not raw_alerts:
        raise PayloadError(_('"alerts" must be a non-empty list.'))
    if len(raw_alerts) > settings.ALERTING_MAX_ALERTS:
        raise PayloadError(
            _(
                "The payload has %(count)d alerts; at most %(limit)d are read at once. Set "
                "max_alerts: %(limit)d in the sender's webhook configuration."
            )
            % {"count": len(raw_alerts), "limit": settings.ALERTING_MAX_ALERTS}
        )
    alerts = {}
    for index, raw_alert in enumerate(raw_alerts):
        alert = _alert(raw_alert, f"alerts[{index}].")
        # The same alert twice in one payload counts once.
        alerts.setdefault((alert.fingerprint, alert.starts_at, alert.status), alert)
    common_labels = _string_map(data.get("commonLabels", {}), "commonLabels")
    common_annotations = _string_map(data.get("commonAnnotations", {}), "commonAnnotations")
    return AlertPayload(
        group_key=group_key,
        status=status,
        title=_title(kind, data, common_labels, common_annotations, list(alerts.values())),
        common_labels=common_labels,
        alerts=list(alerts.values()),
        digest=hashlib.sha256(
            json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest(),
    )


def _has_nul(data) -> bool:
    """Whether any text in the data holds a NUL, which PostgreSQL's text cannot. A loop, not
    recursion: JSON nested as deep as the parser allows must not exhaust the stack here."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def _shown(value) -> str:
    return json.dumps(value)[:50] if value is not None else _("none")


def _required_text(data: dict, name: str, where: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(_('"%(field)s" must be a non-empty string.') % {"field": where + name})
    return value


def _status(data: dict, where: str) -> str:
    value = data.get("status")
    if value not in AlertStatus.values:
        raise PayloadError(
            _('"%(field)s" must be "firing" or "resolved", not %(got)s.')
            % {"field": where + "status", "got": _shown(value)}
        )
    return value


def _string_map(value, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(v, str | int | float | bool) for v in value.values()
    ):
        raise PayloadError(_('"%(field)s" must map names to strings.') % {"field": where})
    return {str(k)[:100]: str(v)[:MAX_TEXT_LENGTH] for k, v in value.items()}


def _moment(data: dict, name: str, where: str, *, required: bool) -> datetime | None:
    value = data.get(name)
    if not required and (value in (None, "") or str(value).startswith("0001-01-01")):
        return None  # Go's zero time: "not ended yet"
    moment = None
    if isinstance(value, str):
        try:
            moment = parse_datetime(value)
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None:
        raise PayloadError(
            _('"%(field)s" must be an RFC 3339 time with a zone, not %(got)s.')
            % {"field": where + name, "got": _shown(value)}
        )
    try:
        validate_moment_in_range(moment)
    except ValidationError as error:
        raise PayloadError(
            _('"%(field)s": %(error)s') % {"field": where + name, "error": " ".join(error.messages)}
        ) from None
    return moment


def _alert(data, where: str) -> Alert:
    if not isinstance(data, dict):
        raise PayloadError(_('"%(field)s" must be an object.') % {"field": where.rstrip(".")})
    labels = _string_map(data.get("labels", {}), where + "labels")
    fingerprint = data.get("fingerprint")
    if fingerprint is None:
        # Senders older than Alertmanager 0.19 leave it out; it is a hash of the labels there.
        fingerprint = hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]
    if not isinstance(fingerprint, str) or not 0 < len(fingerprint) <= MAX_FINGERPRINT_LENGTH:
        raise PayloadError(
            _('"%(field)s" must be a string of 1 to %(max)d characters.')
            % {"field": where + "fingerprint", "max": MAX_FINGERPRINT_LENGTH}
        )
    starts_at = _moment(data, "startsAt", where, required=True)
    ends_at = _moment(data, "endsAt", where, required=False)
    if ends_at is not None and ends_at < starts_at:
        ends_at = None  # a firing alert's endsAt is only when it would expire
    return Alert(
        status=_status(data, where),
        fingerprint=fingerprint,
        starts_at=starts_at,
        ends_at=ends_at,
        labels=labels,
        annotations=_string_map(data.get("annotations", {}), where + "annotations"),
        source_url=_source_url(data),
    )


def _source_url(data: dict) -> str:
    """The best link back to the alert: Grafana's panel or dashboard, else the rule's graph."""
    for name in ("panelURL", "dashboardURL", "generatorURL"):
        value = data.get(name)
        if isinstance(value, str) and 0 < len(value) <= MAX_URL_LENGTH:
            try:
                URLValidator(schemes=["http", "https"])(value)
            except ValidationError:
                continue
            return value
    return ""


def _title(kind, data, common_labels, common_annotations, alerts) -> str:
    candidates = [common_annotations.get("summary")]
    if kind == IntegrationKind.GRAFANA:
        candidates.append(data.get("title") if isinstance(data.get("title"), str) else None)
    candidates += [common_labels.get("alertname"), alerts[0].name]
    title = next((text.strip() for text in candidates if text and text.strip()), "")
    return (title or _("Alert")).splitlines()[0][:200]
