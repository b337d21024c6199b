from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.models import Incident


class NotificationKind(models.TextChoices):
    """What a person is told about. The postmortem workflow's values are its event names
    (postmortems.notifications.notify)."""

    REVIEW_REQUESTED = "review_requested", _("Review requested")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    APPROVAL_VOIDED = "approval_voided", _("Your approval voided by a change")
    APPROVAL_WITHDRAWN = "approval_withdrawn", _("Approval withdrawn")
    PUBLISHED = "published", _("Published")
    COMMENT = "comment", _("New comment")
    COMMENT_REPLY = "comment_reply", _("Reply in a comment thread you are in")
    AMENDMENT_STARTED = "amendment_started", _("Amendment to review")
    AMENDED = "amendment_approved", _("Amended")
    AMENDMENT_WITHDRAWN = "amendment_withdrawn", _("Amendment withdrawn")
    ACTION_ITEM_ASSIGNED = "action_item_assigned", _("Action item assigned to you")
    DUE_SOON = "due_soon", _("Your action items due soon")
    OVERDUE = "overdue", _("Your action items overdue")
    ESCALATED = "escalated", _("Overdue action items escalated to managers")
    POSTMORTEM_REQUIRED = "postmortem_required", _("A postmortem you own is required")
    POSTMORTEM_DUE = "postmortem_due", _("A postmortem you own is due or overdue")
    SURVEY = "postmortem_survey", _("Questionnaire about a postmortem you took part in")


class NotificationQuerySet(models.QuerySet):
    def for_recipient(self, user):
        """``user``'s notifications, less those about an incident restricted since that they
        may not see: a notification keeps the incident's title."""
        return self.filter(
            Q(incident__isnull=True) | Incident.visible_to_q(user, prefix="incident__"),
            recipient=user,
        )

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One thing one person was told in the app (the bell); email is sent beside it as the
    person's preferences say."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
        db_index=False,  # covered by notification_recipient_idx
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    title = models.CharField(_("title"), max_length=300)
    # What it is about, when it is about one incident: a restricted incident's notifications
    # show only to those who may see it.
    incident = models.ForeignKey(
        Incident,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("incident"),
    )
    # A path on this site (the constraint below): opening a notification redirects there.
    url = models.CharField(_("link"), max_length=500)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # A person's notifications, newest first: the list page.
            models.Index(
                fields=["recipient", "-created_at", "-id"], name="notification_recipient_idx"
            ),
            # A person's unread ones, newest first: the bell's count and "Mark all read".
            models.Index(
                fields=["recipient", "-created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(url__startswith="/") & ~Q(url__startswith="//"),
                name="notification_url_is_local_path",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.title}"

    def get_absolute_url(self):
        return reverse("notifications:list")

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class EmailPreference(models.Model):
    """Whether a person wants email about one kind of notification. No row means yes: every
    kind is emailed until the person turns it off on their Settings page."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="email_preferences",
        db_index=False,  # covered by email_preference_one_per_kind
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    enabled = models.BooleanField(_("send email"), default=True)

    class Meta:
        verbose_name = _("email preference")
        verbose_name_plural = _("email preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="email_preference_one_per_kind"),
        ]

    def __str__(self):
        return f"{self.user}: {self.get_kind_display()} {'on' if self.enabled else 'off'}"
