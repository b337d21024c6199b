import hashlib
import hmac
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from incidents.models import Incident, Severity, TimelineEntry

# Grafana's webhook contact point signs with this header (HMAC-SHA256 of the body, hex); with a
# timestamp header configured it signs "<timestamp>:<body>" and sends the timestamp too.
SIGNATURE_HEADER = "X-Grafana-Alerting-Signature"
SIGNATURE_TIMESTAMP_HEADER = "X-Grafana-Alerting-Signature-Timestamp"
# A signed timestamp older or newer than this is a replay (or a clock badly off).
SIGNATURE_MAX_AGE_SECONDS = 5 * 60


class IntegrationKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", _("Prometheus Alertmanager")
    GRAFANA = "grafana", _("Grafana alerting")


class AuthMethod(models.TextChoices):
    BEARER = "bearer", _("Bearer token (Authorization header)")
    HMAC = "hmac", _("HMAC-SHA256 signature (Grafana's HMAC signature setting)")


class Credentials(models.TextChoices):
    """What a delivery's credentials turned out to be."""

    VALID = "valid"
    MISSING = "missing"
    WRONG = "wrong"


class AlertIntegrationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class AlertIntegration(TimeStampedModel):
    """One sender of alerts (an Alertmanager receiver, a Grafana contact point) with its own
    address, secret, and rules for turning its alerts into incidents."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=IntegrationKind.choices)
    # The address's only variable part: unguessable, so integrations cannot be enumerated.
    endpoint_id = models.UUIDField(
        _("endpoint id"), default=uuid.uuid4, unique=True, editable=False
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("An inactive integration answers 404 to senders.")
    )
    auth_method = models.CharField(
        _("authentication"), max_length=8, choices=AuthMethod.choices, default=AuthMethod.BEARER
    )
    # A bearer token is kept only as its SHA-256 (it is random, so no salt or stretching is
    # needed); an HMAC key must be kept as it is, since every signature is computed with it.
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    signing_secret = models.CharField(max_length=64, blank=True, editable=False)
    severity_label = models.CharField(
        _("severity label"),
        max_length=100,
        default="severity",
        help_text=_("The alert label whose value is looked up in the severity table."),
    )
    default_severity = models.CharField(
        _("default severity"),
        max_length=4,
        choices=Severity.choices,
        default=Severity.SEV3,
        help_text=_("For alerts whose severity label is missing or not in the table."),
    )
    service_label = models.CharField(
        _("service label"),
        max_length=100,
        default="service",
        help_text=_(
            "The alert label naming the affected service, matched to a service's slug or name. "
            "A value that matches none is said so on the timeline entry and in the log."
        ),
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reported as"),
        help_text=_(
            "Incidents and timeline entries are written by this account: a system account "
            "(such as 'alertmanager', with no usable password) or the integration's owner."
        ),
    )
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("incident commander"),
        help_text=_("Of the incidents it opens. Empty leaves the role for a person to take."),
    )
    mitigate_on_resolve = models.BooleanField(
        _("resolved alerts mark mitigation"),
        default=True,
        help_text=_(
            "When every alert of a group is resolved, set the incident's mitigated time (if "
            "still empty) to the last alert's end, and its status to mitigated."
        ),
    )

    objects = AlertIntegrationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("alert integration")
        verbose_name_plural = _("alert integrations")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("alerting:deliveries", args=[self.pk])

    @property
    def endpoint_path(self) -> str:
        return reverse("alerting:receive", args=[self.endpoint_id])

    @property
    def has_secret(self) -> bool:
        return bool(self.token_hash or self.signing_secret)

    def issue_secret(self) -> str:
        """A new secret, replacing the old one at once; returned so it can be shown once."""
        secret = secrets.token_urlsafe(32)
        if self.auth_method == AuthMethod.HMAC:
            self.token_hash, self.signing_secret = "", secret
        else:
            self.token_hash, self.signing_secret = _sha256(secret), ""
        self.save(update_fields=["token_hash", "signing_secret", "updated_at"])
        return secret

    def check_credentials(self, headers, body: bytes) -> Credentials:
        """Whether the request carries this integration's secret, compared in constant time."""
        if self.auth_method == AuthMethod.HMAC:
            return self._check_signature(headers, body)
        scheme, _space, token = headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return Credentials.MISSING
        if self.token_hash and constant_time_compare(_sha256(token.strip()), self.token_hash):
            return Credentials.VALID
        return Credentials.WRONG

    def _check_signature(self, headers, body: bytes) -> Credentials:
        signature = headers.get(SIGNATURE_HEADER, "").strip().lower().removeprefix("sha256=")
        if not signature:
            return Credentials.MISSING
        timestamp = headers.get(SIGNATURE_TIMESTAMP_HEADER, "").strip()
        signed = body
        if timestamp:
            if not _is_recent(timestamp):
                return Credentials.WRONG
            signed = timestamp.encode() + b":" + body
        if not self.signing_secret:
            return Credentials.WRONG
        expected = hmac.new(self.signing_secret.encode(), signed, hashlib.sha256).hexdigest()
        # As bytes: compare_digest refuses str with characters beyond ASCII.
        matches = hmac.compare_digest(expected.encode(), signature.encode())
        return Credentials.VALID if matches else Credentials.WRONG

    def severity_for(self, label_sets: list[dict[str, str]]) -> str:
        """The most severe of what the table gives each alert's severity label (any case);
        the default severity for a value it does not list."""
        table = {rule.label_value.lower(): rule.severity for rule in self.severity_rules.all()}
        return min(
            table.get(labels.get(self.severity_label, "").strip().lower(), self.default_severity)
            for labels in label_sets
        )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _is_recent(timestamp: str) -> bool:
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    return abs(timezone.now().timestamp() - sent) <= SIGNATURE_MAX_AGE_SECONDS


class SeverityRule(models.Model):
    """One row of an integration's severity table: this label value gives this severity."""

    integration = models.ForeignKey(
        AlertIntegration, on_delete=models.CASCADE, related_name="severity_rules"
    )
    label_value = models.CharField(
        _("label value"), max_length=100, help_text=_("Such as critical, page, warning.")
    )
    severity = models.CharField(_("severity"), max_length=4, choices=Severity.choices)

    class Meta:
        ordering = ["severity", "label_value"]
        verbose_name = _("severity rule")
        verbose_name_plural = _("severity rules")
        constraints = [
            models.UniqueConstraint(
                "integration",
                Lower("label_value"),
                name="severity_rule_value_once",
                violation_error_message=_("This label value already has a severity."),
            ),
        ]

    def __str__(self):
        return f"{self.label_value} → {self.severity}"


class AlertGroup(models.Model):
    """An alert group of one integration (its groupKey) and the incident it is open as. Its
    row is what concurrent deliveries of one group lock, so they open one incident."""

    integration = models.ForeignKey(
        AlertIntegration, on_delete=models.CASCADE, related_name="groups", db_index=False
    )
    # groupKeys can be long: the unique constraint is on their SHA-256.
    group_key_digest = models.CharField(max_length=64)
    group_key = models.TextField()
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("alert group")
        verbose_name_plural = _("alert groups")
        constraints = [
            # Also the index of the lookup by integration and key.
            models.UniqueConstraint(
                fields=["integration", "group_key_digest"], name="alert_group_once"
            ),
        ]

    def __str__(self):
        return self.group_key


class AlertStatus(models.TextChoices):
    FIRING = "firing", _("firing")
    RESOLVED = "resolved", _("resolved")


class ReceivedAlert(models.Model):
    """One alert's firing or resolution, as recorded on an incident: what makes a repeated
    notification of the same alert change nothing."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    fingerprint = models.CharField(max_length=64)
    starts_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=AlertStatus.choices)
    entry = models.ForeignKey(
        TimelineEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    delivery = models.ForeignKey(
        "AlertDelivery", on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )

    class Meta:
        constraints = [
            # Also the index of "which of these alerts does the incident have already?".
            models.UniqueConstraint(
                fields=["incident", "fingerprint", "starts_at", "status"],
                name="received_alert_once",
            ),
        ]

    def __str__(self):
        return f"{self.fingerprint} {self.status} at {self.starts_at:%Y-%m-%d %H:%M}"


class Outcome(models.TextChoices):
    CREATED = "created", _("Created an incident")
    UPDATED = "updated", _("Updated an incident")
    DUPLICATE = "duplicate", _("Duplicate: nothing new")
    IGNORED = "ignored", _("Ignored: no open incident")
    REJECTED = "rejected", _("Rejected")


# Deliveries whose payload was applied: a later copy of one of them is a duplicate.
APPLIED_OUTCOMES = [Outcome.CREATED, Outcome.UPDATED, Outcome.DUPLICATE, Outcome.IGNORED]


class AlertDelivery(models.Model):
    """One request a sender made, what came of it and why: the log staff read."""

    integration = models.ForeignKey(
        AlertIntegration, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(_("answered"))
    detail = models.TextField(_("detail"), blank=True)
    # SHA-256 of the payload's canonical JSON: the idempotency key of a retried delivery.
    content_digest = models.CharField(_("content digest"), max_length=64, blank=True)
    group_key = models.TextField(_("group key"), blank=True)
    alert_count = models.PositiveIntegerField(_("alerts"), default=0)
    # The body as received (bounded by ALERTING_MAX_BODY_BYTES); empty for a request whose
    # credentials failed, so strangers cannot fill the log with their text.
    payload = models.TextField(_("payload"), blank=True)
    incident = models.ForeignKey(
        Incident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("incident"),
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("alert delivery")
        verbose_name_plural = _("alert deliveries")
        indexes = [
            # An integration's log, newest first.
            models.Index(fields=["integration", "-received_at"], name="alert_delivery_log_idx"),
            # The admin's log of every integration, newest first; pruning the oldest.
            models.Index(fields=["-received_at"], name="alert_delivery_received_idx"),
            # "Was this payload applied before?" (the idempotency check).
            models.Index(
                fields=["integration", "content_digest"],
                condition=Q(outcome__in=APPLIED_OUTCOMES),
                name="alert_delivery_digest_idx",
            ),
        ]

    def __str__(self):
        return f"{self.integration_id} {self.outcome} at {self.received_at:%Y-%m-%d %H:%M}"
