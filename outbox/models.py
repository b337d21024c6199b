"""Everything that leaves Hindsight is first a row here, written in the same transaction as the
change that caused it; the worker delivers it (see outbox.services)."""

from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed (gave up)")


class DeliveryQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=DeliveryStatus.PENDING)

    def due(self, now):
        return self.pending().filter(next_attempt_at__lte=now)


class Delivery(TimeStampedModel):
    """Something to deliver to the outside world, attempted by the worker and retried with
    growing pauses until it is sent or until ``OUTBOX_MAX_ATTEMPTS`` attempts failed; staff can
    retry it from the admin. ``outbox.services`` delivers every kind."""

    # The job that delivers one (core/queue.py), and the name of its argument, the row's pk.
    delivery_task: str = ""
    delivery_argument: str = ""

    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # The task queue job that will make the next attempt; a job that is not this one has
    # been superseded (by the sweeper or a "Retry now") and does nothing.
    job_id = models.BigIntegerField(_("delivery job"), null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        abstract = True

    @staticmethod
    def due_index(prefix: str) -> models.Index:
        """The sweeper's "pending and due" scan; sent rows, the vast majority, stay out of it."""
        return models.Index(
            fields=["next_attempt_at"], condition=Q(status="pending"), name=f"{prefix}_due"
        )

    @staticmethod
    def state_constraints(prefix: str) -> list[models.CheckConstraint]:
        return [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name=f"{prefix}_sent_has_sent_at",
            ),
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(next_attempt_at__isnull=False),
                name=f"{prefix}_pending_has_next_attempt",
            ),
        ]

    def send(self) -> None:
        """Make one attempt; raise to have it retried."""
        raise NotImplementedError


class OutgoingEmail(Delivery):
    """One email to deliver."""

    delivery_task = "outbox.deliver_email"
    delivery_argument = "email_id"

    kind = models.CharField(
        _("kind"), max_length=50, blank=True, help_text=_("What caused it, e.g. approved.")
    )
    to = models.JSONField(_("to"), default=list)
    reply_to = models.JSONField(_("reply to"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=998)
    body = models.TextField(_("body"))
    html = models.TextField(_("HTML body"), blank=True)
    # Fixed when the row is written, so a copy re-sent after a crash carries the same
    # Message-ID and mail servers and clients can recognise it as the same message.
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        indexes = [Delivery.due_index("outgoing_email")]
        constraints = Delivery.state_constraints("outgoing_email")

    def __str__(self):
        return f"{self.subject} → {', '.join(self.to)}"

    def send(self) -> None:
        message = EmailMultiAlternatives(
            subject=self.subject,
            body=self.body,
            to=self.to,
            reply_to=self.reply_to or None,
            headers={"Message-ID": self.message_id},
        )
        if self.html:
            message.attach_alternative(self.html, "text/html")
        message.send()
