import re
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.dates import moment_in_range_q, validate_moment_in_range
from core.markdown import MarkdownRenderedModel
from core.models import Role, TimeStampedModel, choice_label
from core.search import stored_french_vector, stored_search_vector
from incidents.models import Incident, Severity
from postmortems.sections import (
    SECTION_FIELDS,
    SECTIONS,
    SECTIONS_BY_FIELD,
    prompt_as_guidance,
    section_title,
    strip_prompts,
)


class WithoutPrompts(models.Func):
    """The text without the template's guiding prompts (HTML comments), computed in SQL so a
    generated column can use it. PostgreSQL's "." matches newlines, so prompts may span lines."""

    function = "regexp_replace"
    template = "%(function)s(%(expressions)s, '<!--.*?-->', '', 'g')"
    output_field = models.TextField()


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
        # The default templates' words are in the catalog (postmortems/default_labels.py);
        # what someone typed in the admin has no translation and shows as typed.
        return gettext(self.name)

    @property
    def shown_description(self) -> str:
        return gettext(self.description) if self.description else ""

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

    def guidance(self) -> dict[str, str]:
        """Each section's prompt, shown under its box while writing (never put into the text)."""
        guidance = {field: prompt_as_guidance(prompt) for field, prompt in self.prompts.items()}
        # In the reader's language for the default templates (see __str__).
        return {field: gettext(text) if text else "" for field, text in guidance.items()}


class PostmortemStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")


# Not yet published: the team page's postmortems in progress (postmortem_in_progress_idx).
IN_PROGRESS = [status for status in PostmortemStatus.values if status != PostmortemStatus.PUBLISHED]


def readable_by_q(user, *, via: str = "") -> models.Q:
    """Who reads a postmortem, as a filter on postmortems reached through ``via`` (e.g.
    ``"postmortem__"`` from its action items): its draft rule and its incident's visibility.
    Empty (every postmortem) only for those who read everything."""
    return draft_readable_by_q(user, via=via) & Incident.visible_to_q(
        user, prefix=f"{via}incident__"
    )


def draft_readable_by_q(user, *, via: str = "") -> models.Q:
    """Drafts are work in progress: only their writers, reviewers and staff read them.
    Everything past draft is open to everyone signed in who may see its incident (a restricted
    incident's postmortem only to those who see the incident: ``readable_by_q``)."""
    if user.is_staff or user.has_role(Role.REVIEWER):
        return models.Q()
    coauthored = Postmortem.co_authors.through.objects.filter(user=user).values("postmortem")
    return (
        ~models.Q(**{f"{via}status": PostmortemStatus.DRAFT})
        | models.Q(**{f"{via}author": user})
        | models.Q(**{f"{via}pk__in": coauthored})
    )


def drafts_hidden_from(user):
    """The drafts ``user`` may not read (the draft rule of ``draft_readable_by_q`` turned
    round), or None when they read every postmortem. Few: rows that name their postmortem (a
    search's action items) are tested against them without joining every postmortem."""
    if user.is_staff or user.has_role(Role.REVIEWER):
        return None
    coauthored = Postmortem.co_authors.through.objects.filter(user=user).values("postmortem")
    return (
        Postmortem.objects.filter(status=PostmortemStatus.DRAFT)
        .exclude(author=user)
        .exclude(pk__in=coauthored)
        .values("pk")
    )


class PostmortemQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(readable_by_q(user))

    def with_page_relations(self):
        return self.select_related(
            "incident__commander", "incident__created_by", "author"
        ).prefetch_related("co_authors")


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
    # Bumped by every change to the document (sections, its incident's facts and timeline, its
    # action items' text): what an approval approves. A timeline edit must not make a section
    # save look stale, so this is separate from ``version``.
    content_version = models.PositiveIntegerField(_("content version"), default=1)
    # Counts requests for review; changes made before a request belong to the round it starts.
    review_round = models.PositiveIntegerField(_("review round"), default=0)
    # Everyone who ever wrote it (the author and every co-author ever added, even if removed
    # since): none of them may approve it.
    past_writers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("everyone who wrote it"),
    )
    # The incident facts and timeline as published (and as of each approved amendment), so
    # readers never see changes nobody approved: {"facts": {...}, "timeline": [...]}.
    published_record = models.JSONField(_("published facts and timeline"), default=dict, blank=True)
    published_at = models.DateTimeField(
        _("published at"), null=True, blank=True, validators=[validate_moment_in_range]
    )

    # What customers may read, and nothing else: shown on the public page when is_public.
    public_title = models.CharField(
        _("public title"),
        max_length=200,
        blank=True,
        help_text=_("A plain-language title for customers, e.g. “Checkout errors on 4 May”."),
    )
    public_summary = models.TextField(
        _("public summary"),
        blank=True,
        help_text=_(
            "Written for customers: what they saw, when, and what we are doing about it. "
            "No internal names, systems or people. Markdown."
        ),
    )
    public_summary_html = models.TextField(editable=False, blank=True)
    is_public = models.BooleanField(_("public summary is public"), default=False)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

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

    # Summary and impact weigh more than the rest of the text; the title is the incident's.
    search_vector = stored_search_vector(
        *(
            (WithoutPrompts(field), "B" if field in ("summary", "impact") else "C")
            for field in SECTION_FIELDS
        )
    )
    search_vector_fr = stored_french_vector(
        *(
            (WithoutPrompts(field), "B" if field in ("summary", "impact") else "C")
            for field in SECTION_FIELDS
        )
    )
    # Its incident's ``restricted``, kept by the database on every write (migration 0016):
    # search applies the visibility rule without joining every match to its incident.
    incident_restricted = models.BooleanField(default=False, editable=False)
    # Its incident's title (its own title), kept by the database on every write (migration
    # 0017), and its words as a vector: search finds and ranks a postmortem by its title
    # without looking up every incident.
    incident_title = models.CharField(max_length=200, default="", editable=False)
    incident_title_vector = stored_search_vector(("incident_title", "A"))

    markdown_fields = (*SECTION_FIELDS, "public_summary")
    objects = PostmortemQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("postmortem")
        verbose_name_plural = _("postmortems")
        indexes = [
            # Lists filtered by state, newest first.
            models.Index(fields=["status", "-created_at"], name="postmortem_status_idx"),
            # Full-text search.
            GinIndex(fields=["search_vector"], name="postmortem_search_idx"),
            GinIndex(fields=["incident_title_vector"], name="postmortem_title_search_idx"),
            # Its title a typo away (search's second step, trigram similarity).
            GinIndex(
                fields=["incident_title"],
                opclasses=["gin_trgm_ops"],
                name="postmortem_title_trgm_idx",
            ),
            GinIndex(
                fields=["search_vector_fr"],
                condition=models.Q(search_vector_fr__isnull=False),
                name="postmortem_search_fr_idx",
            ),
            # The library: published postmortems, newest first.
            models.Index(fields=["-published_at"], name="postmortem_published_idx"),
            # A team's postmortems in progress, most recently changed first: read in this order
            # until the page is full, instead of all of the team's incidents being hashed.
            models.Index(
                fields=["-updated_at", "-id"],
                condition=models.Q(status__in=IN_PROGRESS),
                name="postmortem_in_progress_idx",
            ),
            # The public page and feed: public summaries, newest first.
            models.Index(
                fields=["-published_at"],
                condition=models.Q(is_public=True),
                name="postmortem_public_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="published", published_at__isnull=False)
                | ~models.Q(status="published"),
                name="postmortem_published_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(is_public=False) | models.Q(status="published"),
                name="postmortem_public_only_when_published",
            ),
            # Staff can type it in the admin.
            models.CheckConstraint(
                condition=moment_in_range_q("published_at", nullable=True),
                name="postmortem_published_in_range",
            ),
        ]

    def __str__(self):
        return _("Postmortem of %(incident)s") % {"incident": self.incident}

    def get_absolute_url(self):
        return reverse("postmortems:detail", args=[self.incident.reference])

    @property
    def status_label(self) -> str:
        """What get_status_display() shows, for list rows (core.models.choice_label)."""
        return choice_label(PostmortemStatus, self.status)

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

    def review_url(self):
        return reverse("postmortems:review", args=[self.incident.reference])

    def public_url(self):
        return reverse("public:detail", args=[self.public_id])

    def empty_required_sections(self):
        """Required sections with nothing written but the template's prompts."""
        return [
            section
            for section in SECTIONS
            if section.required_for_review and not strip_prompts(getattr(self, section.field))
        ]

    def is_writer(self, user) -> bool:
        return user.pk == self.author_id or any(c.pk == user.pk for c in self.co_authors.all())

    def ever_wrote(self, user) -> bool:
        """The author, a co-author, or someone who was one once."""
        return self.is_writer(user) or self.past_writers.filter(pk=user.pk).exists()

    @property
    def is_frozen(self) -> bool:
        return self.status == PostmortemStatus.APPROVED

    @property
    def round_of_new_changes(self) -> int:
        """Changes made while it is in review belong to that round; changes made in a draft or
        after changes were requested belong to the round that will review them."""
        if self.status == PostmortemStatus.IN_REVIEW:
            return self.review_round
        return self.review_round + 1

    def can_read(self, user) -> bool:
        return (
            user.is_authenticated
            and self.incident.can_view(user)
            and (
                self.status != PostmortemStatus.DRAFT
                or user.is_staff
                or user.has_role(Role.REVIEWER)
                or self.is_writer(user)
            )
        )

    def can_edit(self, user) -> bool:
        """Author, co-authors, reviewers and staff may edit; everyone signed in may read."""
        return (
            user.is_authenticated
            and self.incident.can_view(user)
            and (user.is_staff or self.is_writer(user) or user.has_role(Role.REVIEWER))
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

    @property
    def changed_section_titles(self) -> list[str]:
        return [section_title(field) for field in self.changed_sections]


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


class ReviewerState(models.TextChoices):
    WAITING = "waiting", _("waiting")
    COMMENTED = "commented", _("commented")
    CHANGES_REQUESTED = "changes_requested", _("changes requested")
    APPROVED = "approved", _("approved")
    VOIDED = "voided", _("approval voided")


class ReviewRequest(models.Model):
    """A reviewer asked to review in the current round. ``approved_at`` and
    ``approved_version`` say which content version they approved; ``voided_at`` that the text
    changed after that, so the approval no longer counts."""

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="review_requests"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="review_requests",
        verbose_name=_("reviewer"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_version = models.PositiveIntegerField(_("approved version"), null=True, blank=True)
    voided_at = models.DateTimeField(_("approval voided at"), null=True, blank=True)
    changes_requested_at = models.DateTimeField(_("changes requested at"), null=True, blank=True)
    # The revision (section version) they last approved, asked changes of or commented on:
    # "changes since your last review" start there. Kept across rounds.
    reviewed_version = models.PositiveIntegerField(
        _("last reviewed version"), null=True, blank=True
    )

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "reviewer"], name="review_request_unique_reviewer"
            )
        ]
        indexes = [
            # A reviewer's queue: what waits for them.
            models.Index(fields=["reviewer", "approved_at"], name="review_request_queue_idx"),
        ]

    def __str__(self):
        return f"{self.reviewer} → {self.postmortem_id}"

    @property
    def counts_as_approval(self) -> bool:
        return self.approved_at is not None and self.voided_at is None

    def state(self, *, commented: bool = False) -> str:
        if self.approved_at is not None:
            return ReviewerState.VOIDED if self.voided_at else ReviewerState.APPROVED
        if self.changes_requested_at is not None:
            return ReviewerState.CHANGES_REQUESTED
        return ReviewerState.COMMENTED if commented else ReviewerState.WAITING


class SuggestionStatus(models.TextChoices):
    NONE = "", _("no suggestion")
    OPEN = "open", _("suggested")
    ACCEPTED = "accepted", _("accepted")
    DISMISSED = "dismissed", _("dismissed")


class Comment(MarkdownRenderedModel, TimeStampedModel):
    """A review comment, optionally on one section; replies hang off a top-level comment.

    A comment on a section may quote the text it is about (``quote`` with a little text before
    and after it, as in the W3C TextQuoteSelector; see postmortems/anchors.py) and propose
    replacement text for the quote (``suggestion``), which a writer accepts or dismisses.
    """

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="postmortem_comments"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    section = models.CharField(
        _("section"),
        max_length=40,
        blank=True,
        choices=[(s.field, s.title) for s in SECTIONS],
        help_text=_("Optional: the section this is about."),
    )
    body = models.TextField(_("comment"), help_text=_("Markdown."))
    body_html = models.TextField(editable=False, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quote = models.CharField(_("quoted text"), max_length=1000, blank=True)
    quote_prefix = models.CharField(_("text before the quote"), max_length=64, blank=True)
    quote_suffix = models.CharField(_("text after the quote"), max_length=64, blank=True)
    # The revision (the postmortem's version) the comment was made on; a number, not a link,
    # so the comment outlives any revision.
    revision_number = models.PositiveIntegerField(_("made on version"), null=True, blank=True)
    suggestion = models.TextField(_("suggested text"), blank=True)
    suggestion_status = models.CharField(
        _("suggestion"), max_length=10, blank=True, choices=SuggestionStatus.choices
    )
    suggestion_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    suggestion_decided_at = models.DateTimeField(_("suggestion decided at"), null=True, blank=True)

    markdown_fields = ("body",)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # Open threads of a postmortem (the approval gate and the review page).
            models.Index(
                fields=["postmortem", "resolved_at"],
                condition=models.Q(parent__isnull=True),
                name="comment_open_threads_idx",
            ),
        ]
        constraints = [
            # A quote belongs to a section, and a suggestion replaces a quote.
            models.CheckConstraint(
                condition=models.Q(quote="") | ~models.Q(section=""),
                name="comment_quote_has_section",
            ),
            models.CheckConstraint(
                condition=models.Q(suggestion="") | ~models.Q(quote=""),
                name="comment_suggestion_has_quote",
            ),
        ]

    def __str__(self):
        return f"{self.author}: {self.body[:40]}"

    @property
    def is_open(self) -> bool:
        return self.parent_id is None and self.resolved_at is None

    @property
    def section_title(self) -> str:
        return SECTIONS_BY_FIELD[self.section].title if self.section else ""


class AuditAction(models.TextChoices):
    REVIEW_REQUESTED = "review_requested", _("requested review")
    CHANGES_REQUESTED = "changes_requested", _("requested changes")
    # Shown after the person's name, as the others are: "Riley approved".
    APPROVED = "approved", pgettext_lazy("audit action", "approved")
    APPROVED_WITH_OVERRIDE = "approved_override", _("approved despite open comments")
    PUBLISHED = "published", _("published")
    APPROVAL_WITHDRAWN = "approval_withdrawn", _("withdrew the approval")
    AMENDMENT_STARTED = "amendment_started", _("started an amendment")
    AMENDMENT_WITHDRAWN = "amendment_withdrawn", _("withdrew an amendment")
    AMENDED = "amended", _("amended")


class AuditEntry(models.Model):
    """Who moved the postmortem, when, from which state to which, and why."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="audit")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=24, choices=AuditAction.choices)
    from_status = models.CharField(max_length=20, choices=PostmortemStatus.choices)
    to_status = models.CharField(max_length=20, choices=PostmortemStatus.choices)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    # The chain that makes tampering evident (postmortems/audit.py): each entry's hash covers
    # its fields and the hash of the entry before it, in id order across the whole table.
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True, editable=False)
    hash = models.CharField(_("hash"), max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            # A postmortem's activity feed, newest first.
            models.Index(fields=["postmortem", "-created_at"], name="audit_feed_idx"),
        ]

    def __str__(self):
        return f"{self.actor} {self.get_action_display()}"


class AmendmentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    APPLIED = "applied", _("Approved and applied")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Amendment(models.Model):
    """A proposed change to a published postmortem. Readers keep seeing the published text until
    a reviewer who neither wrote the postmortem nor changed the amendment approves it."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="amendments")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    opened_at = models.DateTimeField(_("started at"), auto_now_add=True)
    reason = models.TextField(_("why"))
    status = models.CharField(
        _("status"), max_length=10, choices=AmendmentStatus.choices, default=AmendmentStatus.OPEN
    )
    # The published text when the amendment started, and the text it proposes; both keyed by
    # postmortems.sections.AMENDABLE_FIELDS.
    published_text = models.JSONField(_("published text"))
    proposed_text = models.JSONField(_("proposed text"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdraw_reason = models.TextField(_("why it was withdrawn"), blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem"],
                condition=models.Q(status="open"),
                name="amendment_one_open_per_postmortem",
            )
        ]

    def __str__(self):
        return _("Amendment of %(postmortem)s") % {"postmortem": self.postmortem}

    @property
    def is_open(self) -> bool:
        return self.status == AmendmentStatus.OPEN


class DocumentChange(models.Model):
    """One change to a postmortem's document, kept so that nobody approves a round (or an
    amendment) they changed, and so approvals name the version they approved."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    round = models.PositiveIntegerField(_("review round"))
    amendment = models.ForeignKey(
        Amendment, on_delete=models.CASCADE, null=True, blank=True, related_name="changes"
    )
    content_version = models.PositiveIntegerField(_("content version"))
    description = models.CharField(_("what changed"), max_length=300)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("document change")
        verbose_name_plural = _("document changes")
        indexes = [
            # "Did this person change it in this round?" (the approval gate).
            models.Index(fields=["postmortem", "round", "actor"], name="document_change_round_idx"),
        ]

    def __str__(self):
        return f"{self.actor}: {self.description}"


class PostmortemPolicy(models.Model):
    """Whether incidents of one severity need a postmortem, and how many working days after
    resolution it is due. Edited in the admin; a severity without a row needs none."""

    severity = models.CharField(_("severity"), max_length=4, choices=Severity.choices, unique=True)
    required = models.BooleanField(_("postmortem required"), default=True)
    due_business_days = models.PositiveSmallIntegerField(
        _("due after (working days)"),
        default=5,
        validators=[MaxValueValidator(260)],
        help_text=_("Counted from the day of resolution, in the organisation's time zone."),
    )

    class Meta:
        ordering = ["severity"]
        verbose_name = _("postmortem policy")
        verbose_name_plural = _("postmortem policies")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(due_business_days__lte=260), name="policy_due_within_a_year"
            ),
        ]

    def __str__(self):
        return self.get_severity_display()


class RequirementQuerySet(models.QuerySet):
    def outstanding(self):
        """Not exempted and without a published postmortem."""
        return self.filter(exempted_at=None).exclude(
            incident__postmortem__published_at__isnull=False
        )

    def missing(self):
        """Outstanding with no postmortem started at all."""
        return self.outstanding().filter(incident__postmortem=None)

    def overdue(self, today):
        return self.outstanding().filter(due_on__lt=today)


class PostmortemRequirement(models.Model):
    """An incident's policy-required postmortem: who owns it, by when, or why it is exempt."""

    incident = models.OneToOneField(
        Incident,
        on_delete=models.CASCADE,
        related_name="postmortem_requirement",
        verbose_name=_("incident"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due on"))
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    exempted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("exempted by"),
    )
    exempted_at = models.DateTimeField(_("exempted at"), null=True, blank=True)
    exemption_reason = models.TextField(_("reason for the exemption"), blank=True)

    objects = RequirementQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("required postmortem")
        verbose_name_plural = _("required postmortems")
        indexes = [
            # The dashboard panel, the list filter and the reminders: outstanding, by due date.
            models.Index(
                fields=["due_on"],
                condition=models.Q(exempted_at=None),
                name="requirement_outstanding_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(exempted_at=None)
                | (~models.Q(exemption_reason="") & models.Q(exempted_by__isnull=False)),
                name="requirement_exemption_has_reason",
            ),
        ]

    def __str__(self):
        return _("Postmortem required for %(incident)s") % {"incident": self.incident}

    def get_absolute_url(self):
        return self.incident.get_absolute_url()

    @property
    def is_exempt(self) -> bool:
        return self.exempted_at is not None


class RequirementReminder(models.Model):
    """One reminder sent about one requirement on one day (the organisation's): a second run
    of the daily job that day finds it and sends nothing more."""

    requirement = models.ForeignKey(
        PostmortemRequirement, on_delete=models.CASCADE, related_name="reminders"
    )
    day = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["requirement", "day"], name="requirement_reminder_once"
            ),
        ]

    def __str__(self):
        return f"{self.requirement_id} {self.day}"


# The postmortem on postmortems: a short questionnaire after publication -----------------------


class SurveyRating(models.TextChoices):
    """Every question is answered on the same three-point scale: a plain yes, partly or no is
    quicker to give honestly than a number, and its counts need no averaging."""

    YES = "yes", _("Yes")
    PARTLY = "partly", _("Partly")
    NO = "no", _("No")


# The questions, in the order asked: (field of SurveyAnswer, the question, its short name).
SURVEY_QUESTIONS = (
    ("blameless", _("Was the review blameless?"), _("Blameless")),
    ("found_how", _("Did it find how it happened?"), _("Found how it happened")),
    ("actions_owned", _("Are the action items owned?"), _("Actions owned")),
    ("worth_time", _("Was it worth the time?"), _("Worth the time")),
)
# Results are shown only once this many people answered: fewer could be told apart.
SURVEY_MIN_ANSWERS = 3


class SurveyInvitation(models.Model):
    """One person asked about one published postmortem, and whether they have answered. It
    holds nothing of the answer: it only keeps them from answering twice."""

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="survey_invitations"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="survey_invitations",
        verbose_name=_("person"),
    )
    invited_at = models.DateTimeField(_("invited at"), default=timezone.now)
    answered = models.BooleanField(_("answered"), default=False)

    class Meta:
        verbose_name = _("questionnaire invitation")
        verbose_name_plural = _("questionnaire invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "person"], name="survey_invitation_once_per_person"
            ),
        ]

    def __str__(self):
        return f"{self.person} → {self.postmortem_id}"


class SurveyAnswer(models.Model):
    """One anonymous answer to the questionnaire about a postmortem. Nothing here leads back
    to the person: no user, no time (trends use the postmortem's month of publication), and a
    random id, so neither ids nor their order say who answered when."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="survey_answers"
    )
    blameless = models.CharField(
        _("Was the review blameless?"), max_length=8, choices=SurveyRating.choices
    )
    found_how = models.CharField(
        _("Did it find how it happened?"), max_length=8, choices=SurveyRating.choices
    )
    actions_owned = models.CharField(
        _("Are the action items owned?"), max_length=8, choices=SurveyRating.choices
    )
    worth_time = models.CharField(
        _("Was it worth the time?"), max_length=8, choices=SurveyRating.choices
    )
    comment = models.TextField(
        _("Anything else?"),
        max_length=2000,
        blank=True,
        help_text=_("Optional. Shown to readers once enough people answered, without your name."),
    )

    class Meta:
        verbose_name = _("questionnaire answer")
        verbose_name_plural = _("questionnaire answers")

    def __str__(self):
        return _("Answer about %(postmortem)s") % {"postmortem": self.postmortem}


# Contributing factors --------------------------------------------------------------------------

FACTOR_DESCRIPTION_MIN_LENGTH = 3
FACTOR_DESCRIPTION_MAX_LENGTH = 300


class FactorCategoryQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class FactorCategory(models.Model):
    """A kind of contributing factor, in two levels: a category (technical, process...) and
    its sub-categories. Managed in the admin; a retired category is no longer offered to
    writers, but the factors filed under it keep it."""

    name = models.CharField(_("name"), max_length=80)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        limit_choices_to={"parent__isnull": True},
        verbose_name=_("part of"),
        help_text=_("Empty for a top-level category."),
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(
        _("offered to writers"),
        default=True,
        help_text=_("Retire a category instead of deleting it: its factors keep it."),
    )

    objects = FactorCategoryQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("contributing factor category")
        verbose_name_plural = _("contributing factor categories")
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"],
                name="factor_category_unique_name",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="factor_category_not_own_parent"
            ),
        ]

    def __str__(self):
        if self.parent_id:
            return f"{self.parent.name} › {self.name}"
        return self.name

    def clean(self):
        if self.parent_id is None:
            return
        if self.parent_id == self.pk or self.parent.parent_id is not None:
            raise ValidationError(
                {"parent": _("Choose a top-level category: categories have two levels only.")}
            )
        if self.pk and self.children.exists():
            raise ValidationError(
                {"parent": _("This category has sub-categories of its own, so it stays top-level.")}
            )

    @property
    def top(self) -> "FactorCategory":
        """The top-level category: itself, or its parent."""
        return self.parent if self.parent_id else self


class ContributingFactor(TimeStampedModel):
    """One of the ways an incident came about, as the postmortem found it: a category, a short
    description, and the timeline entries that show it."""

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="factors", verbose_name=_("postmortem")
    )
    category = models.ForeignKey(
        FactorCategory,
        on_delete=models.PROTECT,
        related_name="factors",
        verbose_name=_("category"),
    )
    description = models.CharField(_("description"), max_length=FACTOR_DESCRIPTION_MAX_LENGTH)
    timeline_entries = models.ManyToManyField(
        "incidents.TimelineEntry",
        blank=True,
        related_name="contributing_factors",
        verbose_name=_("timeline entries that show it"),
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("contributing factor")
        verbose_name_plural = _("contributing factors")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(description__regex=r"\S"), name="factor_description_not_blank"
            ),
        ]

    def __str__(self):
        return f"{self.category}: {self.description}"
