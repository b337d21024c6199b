import re

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.markdown import MarkdownRenderedModel
from core.models import Role, TimeStampedModel
from incidents.models import Incident
from postmortems.sections import SECTION_FIELDS, SECTIONS


class PostmortemTemplate(TimeStampedModel):
    """A starting point: guiding prompts for each section. Managed in the admin."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    prompts = models.JSONField(
        _("prompts"), default=dict, blank=True, help_text=_("Section field name → starting text.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("offered to authors"), default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("postmortem template")
        verbose_name_plural = _("postmortem templates")

    def __str__(self):
        return self.name

    def clean(self):
        unknown = set(self.prompts) - set(SECTION_FIELDS)
        if unknown:
            raise ValidationError(
                {
                    "prompts": _("Unknown sections: %(names)s.")
                    % {"names": ", ".join(sorted(unknown))}
                }
            )

    def prompt_for(self, field: str) -> str:
        return self.prompts.get(field, "")


class PostmortemStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")


class PostmortemQuerySet(models.QuerySet):
    def with_page_relations(self):
        return self.select_related("incident", "author").prefetch_related("co_authors")


class Postmortem(MarkdownRenderedModel, TimeStampedModel):
    incident = models.OneToOneField(
        Incident, on_delete=models.PROTECT, related_name="postmortem", verbose_name=_("incident")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="authored_postmortems",
        verbose_name=_("author"),
        help_text=_("Owns the write-up."),
    )
    co_authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="coauthored_postmortems",
        verbose_name=_("co-authors"),
    )
    template = models.ForeignKey(
        PostmortemTemplate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started from template"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=PostmortemStatus.choices, default=PostmortemStatus.DRAFT
    )
    # Bumped on every save of the sections: the token that detects concurrent edits.
    version = models.PositiveIntegerField(_("version"), default=1)

    summary = models.TextField(_("summary"), blank=True)
    impact = models.TextField(_("impact"), blank=True)
    timeline_narrative = models.TextField(_("timeline narrative"), blank=True)
    what_happened = models.TextField(_("what happened"), blank=True)
    assumptions = models.TextField(_("assumptions"), blank=True)
    contributing_factors = models.TextField(_("other contributing factors"), blank=True)
    what_went_well = models.TextField(_("what went well"), blank=True)
    what_went_wrong = models.TextField(_("what went wrong"), blank=True)
    where_we_got_lucky = models.TextField(_("where we got lucky"), blank=True)
    mitigations = models.TextField(_("mitigations"), blank=True)
    lessons_learned = models.TextField(_("lessons learned"), blank=True)

    summary_html = models.TextField(editable=False, blank=True)
    impact_html = models.TextField(editable=False, blank=True)
    timeline_narrative_html = models.TextField(editable=False, blank=True)
    what_happened_html = models.TextField(editable=False, blank=True)
    assumptions_html = models.TextField(editable=False, blank=True)
    contributing_factors_html = models.TextField(editable=False, blank=True)
    what_went_well_html = models.TextField(editable=False, blank=True)
    what_went_wrong_html = models.TextField(editable=False, blank=True)
    where_we_got_lucky_html = models.TextField(editable=False, blank=True)
    mitigations_html = models.TextField(editable=False, blank=True)
    lessons_learned_html = models.TextField(editable=False, blank=True)

    markdown_fields = SECTION_FIELDS
    objects = PostmortemQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("postmortem")
        verbose_name_plural = _("postmortems")
        indexes = [
            # Lists filtered by state, newest first.
            models.Index(fields=["status", "-created_at"], name="postmortem_status_idx"),
        ]

    def __str__(self):
        return _("Postmortem of %(incident)s") % {"incident": self.incident}

    def get_absolute_url(self):
        return reverse("postmortems:detail", args=[self.incident.reference])

    @property
    def title(self) -> str:
        return self.incident.title

    def section_texts(self) -> dict[str, str]:
        return {field: getattr(self, field) for field in SECTION_FIELDS}

    def sections(self):
        """(section, markdown, html) in document order, for templates."""
        return [
            (section, getattr(self, section.field), getattr(self, f"{section.field}_html"))
            for section in SECTIONS
        ]

    def is_writer(self, user) -> bool:
        return user.pk == self.author_id or any(c.pk == user.pk for c in self.co_authors.all())

    def can_edit(self, user) -> bool:
        """Author, co-authors, reviewers and staff may edit; everyone signed in may read."""
        return user.is_authenticated and (
            user.is_staff or self.is_writer(user) or user.has_role(Role.REVIEWER)
        )


class Revision(models.Model):
    """A snapshot of every section after one save; diffs compare two snapshots."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("number"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("saved at"), auto_now_add=True)
    content = models.JSONField(_("content"))
    changed_sections = ArrayField(
        models.CharField(max_length=40),
        default=list,
        blank=True,
        verbose_name=_("changed sections"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "number"], name="revision_unique_number_per_postmortem"
            )
        ]

    def __str__(self):
        return _("Revision %(number)s of %(postmortem)s") % {
            "number": self.number,
            "postmortem": self.postmortem_id,
        }


class BlamelessPhraseQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class BlamelessPhrase(models.Model):
    """A phrase that assigns blame or shuts down learning, and a "how"-oriented alternative.

    ``pattern`` is a case-insensitive regular expression matched on word boundaries.
    """

    pattern = models.CharField(_("pattern"), max_length=200, unique=True)
    example = models.CharField(_("example"), max_length=200, blank=True)
    suggestion = models.CharField(_("suggestion"), max_length=300)
    is_active = models.BooleanField(_("active"), default=True)

    objects = BlamelessPhraseQuerySet.as_manager()

    class Meta:
        ordering = ["pattern"]
        verbose_name = _("blameless-language phrase")
        verbose_name_plural = _("blameless-language phrases")

    def __str__(self):
        return self.example or self.pattern

    def clean(self):
        try:
            re.compile(self.pattern)
        except re.error as error:
            raise ValidationError(
                {"pattern": _("Not a valid regular expression: %(error)s") % {"error": error}}
            ) from error
