from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.models import TIME_ZONE_CHOICES
from incidents.models import Incident, Severity


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
