from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from incidents.models import Incident, TimelineEntry


class ChatSource(models.TextChoices):
    SLACK_EXPORT = "slack", _("Slack export")
    PASTED = "paste", _("Pasted text")


class ChatTranscript(TimeStampedModel):
    """A chat transcript read from an upload or a paste, held while the person who brought it
    picks the messages that matter (so a refused import loses nothing). Kept for a day."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="+", verbose_name=_("incident")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    source = models.CharField(_("source"), max_length=8, choices=ChatSource.choices)
    # [{"id": ..., "name": ...}]; pasted text has one channel.
    channels = models.JSONField(_("channels"), default=list)
    # ChatMessage.as_json() of each message, in time order.
    messages = models.JSONField(_("messages"), default=list)
    # What the reader did not understand, as sentences shown above the messages.
    problems = models.JSONField(_("problems"), default=list)

    class Meta:
        verbose_name = _("chat transcript")
        verbose_name_plural = _("chat transcripts")
        indexes = [
            # A person's transcripts, oldest first, when the old ones are cleared away.
            models.Index(fields=["uploaded_by", "created_at"], name="chat_transcript_owner_idx"),
        ]

    def __str__(self):
        return (
            f"{self.get_source_display()} for {self.incident_id} ({self.created_at:%Y-%m-%d %H:%M})"
        )


class ChatImportedEntry(models.Model):
    """The chat message a timeline entry was imported from: importing it again adds nothing."""

    incident = models.ForeignKey(
        Incident,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("incident"),
        db_index=False,  # covered by chat_entry_source_unique
    )
    # "slack:<channel id>:<ts>", or "paste:<hash of time, speaker and text>".
    source_key = models.CharField(_("source key"), max_length=200)
    entry = models.OneToOneField(
        TimelineEntry,
        on_delete=models.CASCADE,
        related_name="chat_source",
        verbose_name=_("timeline entry"),
    )
    imported_at = models.DateTimeField(_("imported at"))

    class Meta:
        verbose_name = _("imported chat message")
        verbose_name_plural = _("imported chat messages")
        constraints = [
            # Also serves the lookup of an incident's already imported messages.
            models.UniqueConstraint(
                fields=["incident", "source_key"], name="chat_entry_source_unique"
            ),
        ]

    def __str__(self):
        return f"{self.source_key} → {self.entry_id}"
