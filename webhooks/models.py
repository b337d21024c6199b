"""Outbound webhooks: the endpoints staff register, and each event's delivery to one of them
(an outbox Delivery: written in the transaction of the step, delivered by the worker, retried,
and kept as the endpoint's delivery log)."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from core import events
from core.models import TimeStampedModel
from outbox.models import Delivery


class WebhookEvent(models.TextChoices):
    INCIDENT_DECLARED = events.INCIDENT_DECLARED, _("Incident declared")
    INCIDENT_RESOLVED = events.INCIDENT_RESOLVED, _("Incident resolved")
    REVIEW_REQUESTED = events.REVIEW_REQUESTED, _("Review requested")
    POSTMORTEM_APPROVED = events.POSTMORTEM_APPROVED, _("Postmortem approved")
    POSTMORTEM_PUBLISHED = events.POSTMORTEM_PUBLISHED, _("Postmortem published")
    POSTMORTEM_AMENDED = events.POSTMORTEM_AMENDED, _("Postmortem amended")
    ACTION_ITEM_CREATED = events.ACTION_ITEM_CREATED, _("Action item created")
    ACTION_ITEM_ASSIGNED = events.ACTION_ITEM_ASSIGNED, _("Action item assigned")
    ACTION_ITEM_OVERDUE = events.ACTION_ITEM_OVERDUE, _("Action item overdue")
    ACTION_ITEM_DONE = events.ACTION_ITEM_DONE, _("Action item done")


class PayloadFormat(models.TextChoices):
    JSON = "json", _("Signed JSON (for your own receiver)")
    SLACK = "slack", _("Slack incoming webhook")
    TEAMS = "teams", _("Microsoft Teams incoming webhook")


class WebhookEndpointQuerySet(models.QuerySet):
    def listening_to(self, event: str):
        """Active endpoints that want ``event`` (no events chosen: all of them)."""
        return self.filter(is_active=True).filter(Q(events=[]) | Q(events__contains=[event]))


class WebhookEndpoint(TimeStampedModel):
    """A URL that receives workflow events, signed with a secret of its own."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("URL"), max_length=500, help_text=_("Receives a POST for every event chosen.")
    )
    format = models.CharField(
        _("format"), max_length=10, choices=PayloadFormat.choices, default=PayloadFormat.JSON
    )
    events = models.JSONField(
        _("events"),
        default=list,
        blank=True,
        help_text=_("The events sent; none chosen means all of them."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The signing secret is derived from this and the site's SECRET_KEY, so the database alone
    # does not give it away; it is shown once, when the endpoint is created.
    secret_salt = models.CharField(_("secret salt"), max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("admin:webhooks_webhookendpoint_change", args=[self.pk])

    def new_secret(self) -> str:
        """Choose a new signing secret (the old one stops working) and return it."""
        self.secret_salt = secrets.token_hex(32)
        return self.signing_secret

    @property
    def signing_secret(self) -> str:
        return salted_hmac(
            "hindsight.webhooks.secret", self.secret_salt, algorithm="sha256"
        ).hexdigest()


class WebhookDelivery(Delivery):
    """One event for one endpoint: what was sent, and how each attempt went."""

    delivery_task = "webhooks.deliver"
    delivery_argument = "delivery_id"

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    event = models.CharField(_("event"), max_length=50, choices=WebhookEvent.choices)
    # The JSON body as built when the event happened (before any Slack or Teams formatting).
    payload = models.JSONField(_("payload"))
    # Set for events that must reach an endpoint once only (an item's "overdue").
    once_key = models.CharField(_("once key"), max_length=100, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last response status"), null=True, blank=True
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            Delivery.due_index("webhook_delivery"),
            # An endpoint's delivery log, newest first.
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "once_key"],
                condition=~Q(once_key=""),
                name="webhook_delivery_once",
            ),
            *Delivery.state_constraints("webhook_delivery"),
        ]

    def __str__(self):
        return f"{self.get_event_display()} → {self.endpoint}"

    def send(self) -> None:
        from webhooks.sending import post  # it formats this model's rows

        post(self)
