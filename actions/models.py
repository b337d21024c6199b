import re
import zoneinfo
from datetime import date, datetime, timedelta
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.dates import date_in_range_q, validate_date_in_range
from core.links import link_maker
from core.markdown import MarkdownRenderedModel
from core.models import FieldChangeRecord, Role, TimeStampedModel, choice_label
from core.search import stored_french_vector, stored_search_vector
from incidents.models import Incident
from postmortems.models import Postmortem, draft_readable_by_q


class Priority(models.TextChoices):
    P1 = "P1", _("P1 — high")
    P2 = "P2", _("P2 — medium")
    P3 = "P3", _("P3 — low")


class ActionKind(models.TextChoices):
    PREVENT = "prevent", _("Prevent")
    MITIGATE = "mitigate", _("Mitigate")
    DETECT = "detect", _("Detect")
    PROCESS = "process", _("Process")


KIND_MEANINGS = {
    ActionKind.PREVENT: _("Stop this from happening again."),
    ActionKind.MITIGATE: _("Make it hurt less when it does happen."),
    ActionKind.DETECT: _("Notice it sooner."),
    ActionKind.PROCESS: _("Change how we work and respond."),
}


class ActionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("action item status", "Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    WONT_DO = "wont_do", _("Won't do")


# Completing one of these kinds needs evidence (a link or a note): they claim a fix.
EVIDENCE_KINDS = (ActionKind.PREVENT, ActionKind.DETECT)

# Items still to do: only these can be overdue or due soon.
TO_DO = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)

# The postmortem's document, which lists of items never show: its sections (Markdown and
# HTML), the published record and the search vector.
LIST_DEFERRED_POSTMORTEM_FIELDS = (
    *Postmortem.markdown_fields,
    *(f"{field}_html" for field in Postmortem.markdown_fields),
    "published_record",
    "search_vector",
    "search_vector_fr",
)


def to_do_first():
    """0 for items still to do, 1 for closed ones: the list's first sort key. Overdue items
    come first among those to do without naming today, because ordering by due date puts
    them there; so an index can serve the order (action_item_due_order_idx)."""
    return models.Case(
        models.When(status__in=TO_DO, then=models.Value(0)),
        default=models.Value(1),
        output_field=models.IntegerField(),
    )


def zone_of(user) -> zoneinfo.ZoneInfo:
    """The user's own time zone, or the site's default when they have not chosen one."""
    return zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or settings.TIME_ZONE)


def local_today(user=None, *, now: datetime | None = None) -> date:
    """Today's date where ``user`` is. Without a user: in the active zone, which for a request
    is the signed-in user's own (``UserTimezoneMiddleware``)."""
    now = now or timezone.now()
    return timezone.localdate(now, zone_of(user)) if user is not None else timezone.localdate(now)


def default_due_date(priority: str, *, start: date) -> date:
    """The suggested due date for a new item of this priority (settings give the weeks)."""
    return start + timedelta(weeks=settings.ACTION_ITEM_DEFAULT_DUE_WEEKS[Priority(priority)])


class ActionItemQuerySet(models.QuerySet):
    def to_do(self):
        return self.filter(status__in=TO_DO)

    def verification_overdue(self, today: date):
        """Done, not verified, and its verify-by date has passed."""
        return self.filter(status=ActionStatus.DONE, verified_on__isnull=True, verify_by__lt=today)

    def overdue(self, today: date):
        """Still to do and due before ``today`` (the viewer's or the recipient's local date)."""
        return self.to_do().filter(due_date__lt=today)

    def owned_by(self, user):
        return self.filter(owner=user)

    def visible_to(self, user):
        """Every page, export, search and email that shows items reads them through this.

        Items follow their postmortem: a draft's items are read only by its writers, reviewers
        and staff. The one exception is the owner, who always sees what they own: they were
        made answerable for it, their reminders list it, and they must be able to finish it,
        even when the draft it came from is not theirs to read (its text stays hidden)."""
        readable = draft_readable_by_q(user, via="postmortem__")
        # An empty Q means "every postmortem"; OR-ing it would drop it, not widen the filter.
        items = self.filter(Q(owner=user) | readable) if readable else self.all()
        # A restricted incident's items only for those who see the incident, owners included:
        # name the owner a participant for them to see it.
        return items.filter(Incident.visible_to_q(user, prefix="postmortem__incident__"))

    def with_list_relations(self):
        """With owner, postmortem and incident, but not their documents: a list row shows
        the incident's reference, title and severity, never the postmortem's text."""
        return self.select_related("owner", "postmortem__incident").defer(
            "search_vector",
            "search_vector_fr",
            *(f"postmortem__{field}" for field in LIST_DEFERRED_POSTMORTEM_FIELDS),
            "postmortem__incident__customer_impact",
            "postmortem__incident__customer_impact_html",
            "postmortem__incident__search_vector",
            "postmortem__incident__search_vector_fr",
        )


_REPO_ISSUE = re.compile(r"/([^/]+)/(?:-/)?(?:issues|pull|pulls|merge_requests|work_items)/(\d+)")
_TICKET_KEY = re.compile(r"(?<![A-Za-z0-9])([A-Z][A-Z0-9_]+-\d+)(?![0-9])")


def ticket_key_from_url(url: str) -> str:
    """What people call a ticket, read from its link: ``OPS-123`` (Jira, Linear, YouTrack),
    ``repo#45`` (GitHub, GitLab), else the last part of the path or the host."""
    if not url:
        return ""
    parsed = urlparse(url)
    if match := _REPO_ISSUE.search(parsed.path):
        return f"{match.group(1)}#{match.group(2)}"
    if match := _TICKET_KEY.search(unquote(f"{parsed.path}?{parsed.query}")):
        return match.group(1)
    last = unquote(parsed.path.rstrip("/").rsplit("/", 1)[-1])
    if any(character.isdigit() for character in last):
        return last
    return parsed.hostname or url


class ActionItem(MarkdownRenderedModel, TimeStampedModel):
    """One thing to do after an incident: one owner, one due date, tracked until closed."""

    # Changes to these are recorded in the item's history (see actions.services).
    TRACKED_FIELDS = ("owner_id", "due_date", "status")

    postmortem = models.ForeignKey(
        Postmortem,
        on_delete=models.CASCADE,
        related_name="action_items",
        verbose_name=_("postmortem"),
        db_index=False,  # covered by action_item_postmortem_idx
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(
        _("description"), blank=True, help_text=_("What done looks like, and why. Markdown.")
    )
    description_html = models.TextField(editable=False, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_action_items",
        verbose_name=_("owner"),
        help_text=_("Exactly one person. Needed before the postmortem can be approved."),
        db_index=False,  # covered by action_item_owner_idx
    )
    due_date = models.DateField(
        _("due date"), null=True, blank=True, validators=[validate_date_in_range]
    )
    priority = models.CharField(
        _("priority"), max_length=2, choices=Priority.choices, default=Priority.P2
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=ActionKind.choices, default=ActionKind.PREVENT
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    resolution_note = models.TextField(
        _("resolution note"),
        blank=True,
        help_text=_("Why it will not be done (required for Won't do), or a note on completion."),
    )
    tracker_url = models.URLField(
        _("tracker link"),
        max_length=500,
        blank=True,
        help_text=_("Optional: the ticket in your issue tracker."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="created_action_items",
        verbose_name=_("created by"),
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # What shows a prevent or detect fix is in place: needed to mark one done (see
    # EVIDENCE_KINDS); cleared when the item is reopened, the history keeps the old note.
    evidence_url = models.URLField(
        _("evidence link"),
        max_length=500,
        blank=True,
        help_text=_("A link showing the fix is in place: a merged change, a dashboard, a test."),
    )
    evidence_note = models.TextField(
        _("evidence note"), blank=True, help_text=_("Or say what shows the fix is in place.")
    )
    # "The fix worked": confirmed by someone other than the owner, on a day; cleared on reopening.
    verify_by = models.DateField(
        _("verify by"),
        null=True,
        blank=True,
        validators=[validate_date_in_range],
        help_text=_("Optional: when someone should check that the fix worked."),
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="verified_action_items",
        verbose_name=_("verified by"),
    )
    verified_on = models.DateField(
        _("verified on"), null=True, blank=True, validators=[validate_date_in_range]
    )

    search_vector = stored_search_vector(("title", "A"), ("description", "C"))
    search_vector_fr = stored_french_vector(("title", "A"), ("description", "C"))
    # Its postmortem's incident's ``restricted``, kept by the database on every write
    # (migration 0011): search applies the visibility rule without joining every match to its
    # postmortem and incident.
    incident_restricted = models.BooleanField(default=False, editable=False)

    markdown_fields = ("description",)
    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ActionStatus.WONT_DO) | ~Q(resolution_note=""),
                name="action_item_wont_do_needs_reason",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=ActionStatus.DONE, completed_at__isnull=False)
                    | (~Q(status=ActionStatus.DONE) & Q(completed_at__isnull=True))
                ),
                name="action_item_completed_at_iff_done",
            ),
            models.CheckConstraint(
                condition=date_in_range_q("due_date", nullable=True),
                name="action_item_due_date_in_range",
            ),
            models.CheckConstraint(
                condition=date_in_range_q("verify_by", nullable=True)
                & date_in_range_q("verified_on", nullable=True),
                name="action_item_verification_dates_in_range",
            ),
            models.CheckConstraint(
                condition=Q(verified_on__isnull=True) | Q(status=ActionStatus.DONE),
                name="action_item_verified_only_when_done",
            ),
        ]
        indexes = [
            # A postmortem's action items (its page and the review gate), grouped by kind.
            models.Index(fields=["postmortem", "kind"], name="action_item_postmortem_idx"),
            # "My action items" and each owner's reminder digest: one owner's items by status,
            # soonest due first.
            models.Index(fields=["owner", "status", "due_date"], name="action_item_owner_idx"),
            # The dashboard's overdue / due-soon ranges and the reminder run's scan.
            models.Index(fields=["status", "due_date"], name="action_item_status_due_idx"),
            # The list's default order (overdue first, then by due date): see to_do_first().
            models.Index(
                to_do_first(),
                models.F("due_date").asc(nulls_last=True),
                models.F("priority"),
                models.F("id"),
                name="action_item_due_order_idx",
            ),
            # The list sorted by priority, newest and recently updated.
            models.Index(
                models.F("priority"),
                models.F("due_date").asc(nulls_last=True),
                models.F("id"),
                name="action_item_priority_idx",
            ),
            models.Index(fields=["-created_at", "id"], name="action_item_newest_idx"),
            models.Index(fields=["-updated_at", "id"], name="action_item_updated_idx"),
            # The dashboard's overdue and due-soon lists: items to do, soonest due first.
            models.Index(
                fields=["due_date", "priority", "id"],
                condition=Q(status__in=TO_DO),
                name="action_item_to_do_due_idx",
            ),
            # "My action items": one owner's items to do, overdue (soonest due) first, and the
            # ones they closed, most recently first.
            models.Index(
                fields=["owner", "due_date", "priority", "id"],
                condition=Q(status__in=TO_DO),
                name="action_item_owner_to_do_idx",
            ),
            models.Index(
                fields=["owner", "-updated_at", "-id"],
                condition=Q(status__in=[ActionStatus.DONE, ActionStatus.WONT_DO]),
                name="action_item_owner_closed_idx",
            ),
            # Full-text search, and typo-tolerant title search (trigram word similarity).
            GinIndex(fields=["search_vector"], name="action_item_search_idx"),
            GinIndex(
                fields=["search_vector_fr"],
                condition=Q(search_vector_fr__isnull=False),
                name="action_item_search_fr_idx",
            ),
            GinIndex(
                fields=["title"], opclasses=["gin_trgm_ops"], name="action_item_title_trgm_idx"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("actions:detail", args=[self.pk])

    # A row's links: made once for a whole page by with_links(), else reversed here.
    @property
    def link(self) -> str:
        return self.__dict__.get("_links", {}).get("item") or self.get_absolute_url()

    @property
    def status_link(self) -> str:
        return self.__dict__.get("_links", {}).get("status") or reverse(
            "actions:status", args=[self.pk]
        )

    @property
    def postmortem_link(self) -> str:
        return self.__dict__.get("_links", {}).get("postmortem") or (
            self.postmortem.get_absolute_url()
        )

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_values = instance.tracked_values()
        return instance

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self._loaded_values = self.tracked_values()

    def tracked_values(self) -> dict:
        return {name: self.__dict__.get(name) for name in self.TRACKED_FIELDS}

    def tracked_changes(self) -> list[tuple[str, object, object]]:
        """(field, value as loaded, value now) for each tracked field changed since loading."""
        loaded = getattr(self, "_loaded_values", None)
        if loaded is None:
            return []
        now = self.tracked_values()
        return [
            (name, loaded[name], now[name])
            for name in self.TRACKED_FIELDS
            if loaded[name] != now[name]
        ]

    @property
    def is_to_do(self) -> bool:
        return self.status in TO_DO

    # What get_priority_display() and the others show, for list rows (core.models.choice_label).
    @property
    def priority_label(self) -> str:
        return choice_label(Priority, self.priority)

    @property
    def kind_label(self) -> str:
        return choice_label(ActionKind, self.kind)

    @property
    def status_label(self) -> str:
        return choice_label(ActionStatus, self.status)

    def days_overdue(self, today: date | None = None) -> int:
        """Whole days past the due date on ``today`` (default: the active zone's today); 0 when
        it is not overdue. Due today is not overdue; due yesterday is one day overdue."""
        if not self.is_to_do or self.due_date is None:
            return 0
        today = today or local_today()
        return max((today - self.due_date).days, 0)

    @property
    def is_overdue(self) -> bool:
        return self.days_overdue() > 0

    def days_until_due(self, today: date | None = None) -> int | None:
        if self.due_date is None:
            return None
        return (self.due_date - (today or local_today())).days

    @property
    def tracker_key(self) -> str:
        return ticket_key_from_url(self.tracker_url)

    @property
    def is_verified(self) -> bool:
        return self.verified_on is not None

    @property
    def needs_evidence(self) -> bool:
        return self.kind in EVIDENCE_KINDS

    @property
    def kind_meaning(self) -> str:
        return KIND_MEANINGS[ActionKind(self.kind)]

    def clean(self):
        super().clean()
        if self.status == ActionStatus.WONT_DO and not self.resolution_note.strip():
            raise ValidationError(
                {"resolution_note": _("Say why this will not be done: the reason is kept.")}
            )

    def can_edit(self, user) -> bool:
        """The owner, the postmortem's writers, managers and staff may change an item (of
        those who may read it: see ``ActionItemQuerySet.visible_to``)."""
        return user.is_authenticated and (
            user.is_staff
            or user.pk == self.owner_id
            or self.postmortem.is_writer(user)
            or user.has_role(Role.MANAGER)
        )


def with_links(items) -> list[ActionItem]:
    """``items`` as a list, each with the links its row shows (``link``, ``status_link``,
    ``postmortem_link``) made once for them all (core/links.py): reverse() costs about 25 µs,
    four times a row. Their postmortem and incident must be fetched with them."""
    item_link, status_link = link_maker("actions:detail"), link_maker("actions:status")
    postmortem_link = link_maker("postmortems:detail")
    items = list(items)
    for item in items:
        item._links = {
            "item": item_link(item.pk),
            "status": status_link(item.pk),
            "postmortem": postmortem_link(item.postmortem.incident.reference),
        }
    return items


def can_add_action_items(postmortem: Postmortem, user) -> bool:
    """The postmortem's writers, managers and staff may add action items to it."""
    return user.is_authenticated and (
        user.is_staff or postmortem.is_writer(user) or user.has_role(Role.MANAGER)
    )


class ChangedField(models.TextChoices):
    OWNER = "owner", _("Owner")
    DUE_DATE = "due_date", _("Due date")
    STATUS = "status", _("Status")
    VERIFIED = "verified", _("Verified")


class ActionItemChange(FieldChangeRecord):
    """One change to an item's owner, due date or status: who, when, old → new, and why."""

    item = models.ForeignKey(
        ActionItem,
        on_delete=models.CASCADE,
        related_name="changes",
        verbose_name=_("action item"),
        db_index=False,  # covered by action_change_item_idx
    )
    field = models.CharField(_("changed"), max_length=10, choices=ChangedField.choices)
    # As people saw them at the time: the owner's name, the date, the status code.
    old_value = models.CharField(_("from"), max_length=200, blank=True)
    new_value = models.CharField(_("to"), max_length=200, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta(FieldChangeRecord.Meta):
        verbose_name = _("action item change")
        verbose_name_plural = _("action item changes")
        constraints = [
            models.CheckConstraint(
                condition=~Q(field=ChangedField.DUE_DATE) | Q(old_value="") | ~Q(reason=""),
                name="action_change_due_date_move_needs_reason",
            ),
        ]
        indexes = [
            # An item's history, newest first.
            models.Index(fields=["item", "-changed_at"], name="action_change_item_idx"),
        ]

    def __str__(self):
        return f"{self.item_id} {self.field}: {self.old_value} → {self.new_value}"

    def _display(self, value: str) -> str:
        if not value:
            return "—"
        if self.field == ChangedField.STATUS and value in ActionStatus.values:
            return str(ActionStatus(value).label)
        return value


class ReminderKind(models.TextChoices):
    OWNER_DIGEST = "owner_digest", _("Owner's digest")
    MANAGER_SUMMARY = "manager_summary", _("Manager's overdue summary")


class SentReminder(models.Model):
    """The record that makes reminders idempotent: one email per person, kind and local day."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ReminderKind.choices)
    sent_on = models.DateField(_("day (recipient's time zone)"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    subject = models.CharField(_("subject"), max_length=300)
    item_ids = ArrayField(
        models.BigIntegerField(), default=list, blank=True, verbose_name=_("action items")
    )

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("sent reminder")
        verbose_name_plural = _("sent reminders")
        constraints = [
            # Its index also serves the run's "already sent today?" lookup.
            models.UniqueConstraint(
                fields=["recipient", "kind", "sent_on"], name="sent_reminder_once_a_day"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient_id} on {self.sent_on}"


def all_done_before(incident_ref, moment_ref) -> Q:
    """The incident (``incident_ref``, e.g. an OuterRef to its id) had action items and every
    one was done before ``moment_ref``. Won't-do items are not done: a fix decided against did
    not fail. Used for "recurred despite completed actions"."""
    items = ActionItem.objects.filter(postmortem__incident=incident_ref)
    not_done_in_time = items.filter(~Q(status=ActionStatus.DONE) | Q(completed_at__gte=moment_ref))
    return Q(models.Exists(items)) & ~Q(models.Exists(not_done_in_time))
