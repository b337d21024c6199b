from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.models import TIME_ZONE_CHOICES, TimeStampedModel
from incidents.models import Incident, Severity, TimelineEntry


class MarkdownImport(models.Model):
    """One upload of Markdown postmortems: previewed first, then imported (or left)."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    time_zone = models.CharField(
        _("time zone of times that do not say theirs"),
        max_length=64,
        choices=TIME_ZONE_CHOICES,
    )
    severity = models.CharField(
        _("severity of files that do not say theirs"),
        max_length=4,
        choices=Severity.choices,
        default=Severity.SEV3,
    )
    # Importing runs on the worker: asked for (queued_at, job_id), then done (imported_at).
    queued_at = models.DateTimeField(_("import asked for at"), null=True, blank=True)
    job_id = models.BigIntegerField(_("import job"), null=True, blank=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = _("Markdown import")
        verbose_name_plural = _("Markdown imports")

    def __str__(self):
        return f"{self.uploaded_by_id} {self.uploaded_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("imports:markdown-preview", args=[self.pk])


class MarkdownImportFile(models.Model):
    """One uploaded file, kept as text; ``incident`` is what it became once imported. Its
    content hash and source reference recognise a later upload of the same postmortem."""

    markdown_import = models.ForeignKey(
        MarkdownImport, on_delete=models.CASCADE, related_name="files"
    )
    name = models.CharField(_("file name"), max_length=255)
    text = models.TextField(_("text"))
    content_hash = models.CharField(_("content hash (SHA-256)"), max_length=64)
    # As the file names itself: its front matter's reference, or its file name's ("PM2021-008").
    source_reference = models.CharField(_("source reference"), max_length=100, blank=True)
    incident = models.ForeignKey(
        Incident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported as"),
    )
    # Why the apps refused it when the upload was imported (the other files still came in).
    failure = models.TextField(_("not imported because"), blank=True)

    class Meta:
        ordering = ["markdown_import", "pk"]
        verbose_name = _("imported Markdown file")
        verbose_name_plural = _("imported Markdown files")
        indexes = [
            # "Imported before?": files already imported, by content and by reference.
            models.Index(
                fields=["content_hash"],
                condition=Q(incident__isnull=False),
                name="md_import_imported_hash_idx",
            ),
            models.Index(
                fields=["source_reference"],
                condition=Q(incident__isnull=False) & ~Q(source_reference=""),
                name="md_import_imported_ref_idx",
            ),
        ]

    def __str__(self):
        return self.name


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
