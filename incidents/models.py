import hashlib
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Greatest, Least
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext_lazy as _

from core.dates import moment_in_range_q, validate_moment_in_range
from core.markdown import MarkdownRenderedModel
from core.models import (
    ChangeRecord,
    FieldChangeRecord,
    Role,
    Team,
    TimeStampedModel,
    choice_label,
)
from core.search import stored_french_vector, stored_search_vector

REFERENCE_PREFIX = "INC-"
# At most nine digits: every such number fits the integer column it is looked up in.
REFERENCE_PATTERN = re.compile(r"^INC-(\d{1,9})$", re.IGNORECASE)


class NextIncidentNumber(models.Func):
    """The next value of a PostgreSQL sequence: references are sequential and never reused,
    even after an incident is deleted or a transaction rolls back."""

    function = "nextval"
    template = "nextval('incident_number_seq')"
    output_field = models.PositiveIntegerField()
    arity = 0


class Severity(models.TextChoices):
    SEV1 = "SEV1", _("SEV1 — critical")
    SEV2 = "SEV2", _("SEV2 — major")
    SEV3 = "SEV3", _("SEV3 — minor")
    SEV4 = "SEV4", _("SEV4 — low")


SEVERITY_MEANINGS = {
    Severity.SEV1: _("the service is down or data is at risk, for many customers."),
    Severity.SEV2: _("a core feature is broken or badly degraded for many customers."),
    Severity.SEV3: _("a feature is degraded with a workaround, or few customers are affected."),
    Severity.SEV4: _("no customer impact: a near miss or an internal-only problem."),
}


class Status(models.TextChoices):
    INVESTIGATING = "investigating", _("Investigating")
    MITIGATED = "mitigated", _("Mitigated")
    RESOLVED = "resolved", _("Resolved")


class Service(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    public_name = models.CharField(
        _("public name"),
        max_length=100,
        blank=True,
        help_text=_("What customers call it, on the public status page; the name when empty."),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("owning team"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)
        super().save(*args, **kwargs)

    @property
    def name_for_customers(self) -> str:
        return self.public_name or self.name


class TagQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Tags on an incident the user may see, or on none: a tag that only restricted
        incidents carry ("payroll-fraud") is as absent as they are."""
        through = Incident.tags.through.objects.filter(tag=OuterRef("pk"))
        return self.filter(
            Exists(through.filter(Incident.visible_to_q(user, prefix="incident__")))
            | ~Exists(through)
        )


class Tag(models.Model):
    """A free-form label on incidents ("deploy", "dns", "capacity"), usable as a filter."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True, allow_unicode=True)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name

    @classmethod
    def from_names(cls, names) -> list["Tag"]:
        """The tags with these names, created as needed; names are lower-cased and trimmed."""
        tags = []
        for name in dict.fromkeys(n.strip().lower()[:50] for n in names if n.strip()):
            tag = cls.objects.filter(name=name).first()
            if tag is None:
                # Names that differ only in punctuation ("dns", "dns!") share a slug: one tag.
                tag, _created = cls.objects.get_or_create(
                    slug=tag_slug(name), defaults={"name": name}
                )
            tags.append(tag)
        return tags


def tag_slug(name: str) -> str:
    """A tag's slug: the letters and digits of its name in any script ("сеть", "中文"). A name
    with none (emoji, punctuation) gets a short hash of itself, so two such names never merge."""
    slug = slugify(name, allow_unicode=True)[:60].strip("-")
    return slug or f"tag-{hashlib.sha256(name.encode()).hexdigest()[:12]}"


class IncidentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The incidents this person may see: every unrestricted one, and restricted ones only for
        their commander, creator, named participants, members of teams given access, staff and
        the Security role. Every read path (lists, search, feeds, exports, API, emails) goes
        through here or through ``Incident.can_view``."""
        return self.filter(Incident.visible_to_q(user))

    def near_misses(self):
        return self.filter(near_miss=True)

    def with_impact(self):
        """Incidents that affected customers: the only ones impact figures count."""
        return self.filter(near_miss=False)

    def with_list_relations(self):
        return self.select_related("commander").prefetch_related("services", "tags")


class Incident(MarkdownRenderedModel, TimeStampedModel):
    number = models.PositiveIntegerField(
        _("number"), unique=True, editable=False, db_default=NextIncidentNumber()
    )
    title = models.CharField(_("title"), max_length=200)
    severity = models.CharField(_("severity"), max_length=4, choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.INVESTIGATING
    )
    services = models.ManyToManyField(
        Service, related_name="incidents", blank=True, verbose_name=_("affected services")
    )
    tags = models.ManyToManyField(Tag, related_name="incidents", blank=True, verbose_name=_("tags"))
    started_at = models.DateTimeField(_("started at"), validators=[validate_moment_in_range])
    detected_at = models.DateTimeField(
        _("detected at"), null=True, blank=True, validators=[validate_moment_in_range]
    )
    mitigated_at = models.DateTimeField(
        _("mitigated at"), null=True, blank=True, validators=[validate_moment_in_range]
    )
    resolved_at = models.DateTimeField(
        _("resolved at"), null=True, blank=True, validators=[validate_moment_in_range]
    )
    customer_impact = models.TextField(
        _("customer impact"),
        blank=True,
        help_text=_("Who was affected, how, and for how long. Markdown."),
    )
    customer_impact_html = models.TextField(editable=False, blank=True)
    near_miss = models.BooleanField(
        _("near miss"),
        default=False,
        help_text=_(
            "No customer impact: caught in time. Near misses are counted apart and left out of "
            "impact figures in insights."
        ),
    )
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commanded_incidents",
        verbose_name=_("incident commander"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="created_incidents",
        verbose_name=_("created by"),
    )

    restricted = models.BooleanField(
        _("restricted"),
        default=False,
        help_text=_(
            "Security, legal or HR: only participants, teams given access, staff and the "
            "Security role see it."
        ),
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="participated_incidents",
        blank=True,
        verbose_name=_("participants"),
    )
    access_teams = models.ManyToManyField(
        Team, related_name="accessible_incidents", blank=True, verbose_name=_("teams given access")
    )

    search_vector = stored_search_vector(("title", "A"), ("customer_impact", "B"))
    search_vector_fr = stored_french_vector(("title", "A"), ("customer_impact", "B"))
    # When its similar incidents (SimilarIncident) were last computed; none yet, or no longer
    # trusted (one of them was deleted), when null: the page then computes them itself.
    similar_computed_at = models.DateTimeField(null=True, blank=True, editable=False)

    markdown_fields = ("customer_impact",)
    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-number"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            models.CheckConstraint(
                condition=Q(detected_at__isnull=True) | Q(detected_at__gte=F("started_at")),
                name="incident_detected_after_start",
            ),
            models.CheckConstraint(
                condition=Q(mitigated_at__isnull=True) | Q(mitigated_at__gte=F("started_at")),
                name="incident_mitigated_after_start",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("started_at")),
                name="incident_resolved_after_start",
            ),
            # Dates Python can read back (core.dates): a year-10000 time broke every page.
            models.CheckConstraint(
                condition=moment_in_range_q("started_at"), name="incident_started_in_range"
            ),
            models.CheckConstraint(
                condition=moment_in_range_q("detected_at", nullable=True),
                name="incident_detected_in_range",
            ),
            models.CheckConstraint(
                condition=moment_in_range_q("mitigated_at", nullable=True),
                name="incident_mitigated_in_range",
            ),
            models.CheckConstraint(
                condition=moment_in_range_q("resolved_at", nullable=True),
                name="incident_resolved_in_range",
            ),
        ]
        indexes = [
            # The default list order, and date-range filters on the list.
            models.Index(fields=["-started_at", "-number"], name="incident_started_idx"),
            # List filtered by severity / status, newest first.
            models.Index(fields=["severity", "-started_at"], name="incident_severity_idx"),
            models.Index(fields=["status", "-started_at"], name="incident_status_idx"),
            # Full-text search.
            GinIndex(fields=["search_vector"], name="incident_search_idx"),
            GinIndex(
                fields=["search_vector_fr"],
                condition=Q(search_vector_fr__isnull=False),
                name="incident_search_fr_idx",
            ),
            # The list filtered to near misses, newest first (few rows, so a partial index).
            models.Index(
                fields=["-started_at"], condition=Q(near_miss=True), name="incident_near_miss_idx"
            ),
            # Typo-tolerant title search (trigram similarity) and title icontains filters.
            GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="incident_title_trgm_idx"),
            # The few restricted incidents, and who may see them without a participant or team
            # (``visible_by_kept_flag_q``), read from the index alone.
            models.Index(
                fields=["id"],
                include=["commander", "created_by"],
                condition=Q(restricted=True),
                name="incident_restricted_idx",
            ),
            # The similar-incidents lists to rank next: never ranked first, then the oldest.
            models.Index(
                F("similar_computed_at").asc(nulls_first=True),
                F("id"),
                name="incident_similar_computed_idx",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        return reverse("incidents:detail", args=[self.reference])

    @property
    def reference(self) -> str:
        return f"{REFERENCE_PREFIX}{self.number}" if self.number else ""

    @staticmethod
    def number_from_reference(reference: str) -> int | None:
        match = REFERENCE_PATTERN.match(reference.strip())
        return int(match.group(1)) if match else None

    @property
    def status_label(self) -> str:
        """What get_status_display() shows, for list rows (core.models.choice_label)."""
        return choice_label(Status, self.status)

    @property
    def severity_meaning(self) -> str:
        return SEVERITY_MEANINGS[Severity(self.severity)]

    # Durations are all measured from the start, as the industry's MTTD/MTTM/MTTR are.
    def _since_start(self, moment) -> timedelta | None:
        return moment - self.started_at if moment and self.started_at else None

    @property
    def time_to_detect(self) -> timedelta | None:
        return self._since_start(self.detected_at)

    @property
    def time_to_mitigate(self) -> timedelta | None:
        return self._since_start(self.mitigated_at)

    @property
    def time_to_resolve(self) -> timedelta | None:
        return self._since_start(self.resolved_at)

    def clean(self):
        super().clean()
        errors = {}
        previous_label, previous = _("started"), self.started_at
        for field, label in (
            ("detected_at", _("detected")),
            ("mitigated_at", _("mitigated")),
            ("resolved_at", _("resolved")),
        ):
            moment = getattr(self, field)
            if moment is None:
                continue
            if previous is not None and moment < previous:
                errors[field] = _("The time %(this)s cannot be before the time %(that)s.") % {
                    "this": label,
                    "that": previous_label,
                }
            else:
                previous_label, previous = label, moment
        if self.status == Status.RESOLVED and not self.resolved_at:
            errors.setdefault(
                "resolved_at", _("A resolved incident needs the time it was resolved.")
            )
        if self.status == Status.MITIGATED and not self.mitigated_at:
            errors.setdefault(
                "mitigated_at", _("A mitigated incident needs the time it was mitigated.")
            )
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def visible_to_q(user, prefix: str = "") -> Q:
        """The visibility rule as a condition, for querysets of incidents or, with ``prefix``
        (``"incident__"``, ``"postmortem__incident__"``), of what hangs off them. Subqueries, so
        no row is repeated. The Security role is asked in the same query unless the person's
        roles are already known, so a list costs no query more for it."""
        if not user.is_authenticated:
            return Q(**{f"{prefix}restricted": False})
        roles_known = "role_names" in user.__dict__
        if user.is_staff or (roles_known and user.sees_every_restricted_incident):
            return Q()
        unrestricted = Q(**{f"{prefix}restricted": False})
        if not roles_known:
            security = user.groups.through.objects.filter(
                user_id=user.pk, group__name=Role.SECURITY
            )
            unrestricted |= Q(models.Exists(security))
        incident_pk = OuterRef(f"{prefix}pk") if prefix else OuterRef("pk")
        participant = Incident.participants.through.objects.filter(
            incident_id=incident_pk, user_id=user.pk
        )
        team_access = Incident.access_teams.through.objects.filter(
            incident_id=incident_pk, team__members=user.pk
        )
        return (
            unrestricted
            | Q(**{f"{prefix}commander_id": user.pk})
            | Q(**{f"{prefix}created_by_id": user.pk})
            | Q(models.Exists(participant))
            | Q(models.Exists(team_access))
        )

    @staticmethod
    def visible_by_kept_flag_q(user, *, flag: str = "incident_restricted", incident_in=None) -> Q:
        """``visible_to_q`` for rows that keep their incident's ``restricted`` in ``flag``
        (timeline entries, postmortems, action items: the database keeps it on every write), with
        no join to the incident: a row of an unrestricted incident (98% of them) passes on its own
        flag; the others only when their incident is among the few restricted ones this person
        may see, a small set PostgreSQL hashes once per query. ``incident_in`` makes the
        condition "the row's incident is among these incident ids" (default: its ``incident``
        field)."""
        if not user.is_authenticated:
            return Q(**{flag: False})
        if user.is_staff or ("role_names" in user.__dict__ and user.sees_every_restricted_incident):
            return Q()
        if incident_in is None:

            def incident_in(ids):
                return Q(incident__in=ids)

        visible = Incident.objects.filter(restricted=True).filter(Incident.visible_to_q(user))
        return Q(**{flag: False}) | incident_in(visible.values("pk"))

    def can_view(self, user) -> bool:
        """The rule of ``visible_to_q`` for this incident; asked once per person and instance
        (a page asks again for every timeline entry it shows)."""
        if not self.restricted:
            return True
        if not user.is_authenticated:
            return False
        answers = self.__dict__.setdefault("_can_view", {})
        if user.pk not in answers:
            answers[user.pk] = (
                user.sees_every_restricted_incident
                or user.pk in (self.created_by_id, self.commander_id)
                or self.participants.filter(pk=user.pk).exists()
                or self.access_teams.filter(members=user.pk).exists()
            )
        return answers[user.pk]

    def viewers_among(self, people) -> list:
        """Those of ``people`` who may see this incident: everyone when it is not restricted
        (no query); else one query. Every notification and email about it goes through here."""
        people = [person for person in people if person is not None]
        if not self.restricted or not people:
            return people
        allowed = set(
            type(people[0])
            .objects.filter(pk__in=[person.pk for person in people])
            .filter(
                Q(is_staff=True)
                | Q(groups__name=Role.SECURITY)
                | Q(pk__in=[self.commander_id, self.created_by_id])
                | Q(participated_incidents=self)
                | Q(teams__accessible_incidents=self)
            )
            .values_list("pk", flat=True)
        )
        return [person for person in people if person.pk in allowed]

    def can_lift_restriction(self, user) -> bool:
        """Making a restricted incident readable by everyone: staff, the Security role and its
        commander only (anyone who may edit it may restrict it), always with a reason."""
        return user.is_authenticated and (
            user.sees_every_restricted_incident or user.pk == self.commander_id
        )

    def can_edit(self, user) -> bool:
        return (
            self.can_view(user)
            and user.is_authenticated
            and (
                user.is_staff
                or user.pk in (self.created_by_id, self.commander_id)
                or user.has_role(Role.MANAGER)
                or user.has_role(Role.AUTHOR)
            )
        )


class SimilarIncident(models.Model):
    """One of an incident's most similar incidents, as ``incidents.similarity`` ranks them,
    kept so its page reads them instead of scoring thousands of incidents on every view."""

    incident = models.ForeignKey(
        Incident,
        on_delete=models.CASCADE,
        related_name="similar_rows",
        db_index=False,  # covered by similar_incident_rank_uniq
    )
    # Indexed (Django's default for a foreign key): the lists an incident appears in.
    similar = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    title_similarity = models.FloatField()
    text_rank = models.FloatField()

    class Meta:
        ordering = ["incident", "rank"]
        constraints = [
            # Also the index of an incident's list, best first, read by its page.
            models.UniqueConstraint(fields=["incident", "rank"], name="similar_incident_rank_uniq"),
        ]

    def __str__(self):
        return f"{self.incident_id} #{self.rank}: {self.similar_id}"


class SimilarityChange(models.Model):
    """An incident was created or changed in what similarity weighs (title, customer impact,
    start, services): the worker works out whose lists that may change and recomputes them.
    Written in the change's own transaction, so none is lost; deleted once processed."""

    incident_id = models.BigIntegerField()
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The oldest unprocessed change, which the similar-incidents lists may not reflect.
            models.Index(fields=["changed_at"], name="similarity_change_time_idx"),
        ]

    def __str__(self):
        return f"{self.incident_id} changed at {self.changed_at:%Y-%m-%d %H:%M}"


class TimelineKind(models.TextChoices):
    DETECTION = "detection", _("Detection")
    ESCALATION = "escalation", _("Escalation")
    INVESTIGATION = "investigation", _("Investigation")
    BLIND_ALLEY = "blind_alley", _("Blind alley")
    GOLDEN_PATH = "golden_path", _("Golden path")
    MITIGATION = "mitigation", _("Mitigation")
    COMMUNICATION = "communication", _("Communication")
    RESOLUTION = "resolution", _("Resolution")
    NOTE = "note", _("Note")


# The incident time that a detection, mitigation or resolution entry marks, and the offer to
# set it from the entry.
INCIDENT_TIME_OF_KIND = {
    TimelineKind.DETECTION: ("detected_at", _("Make this the incident's detection time")),
    TimelineKind.MITIGATION: ("mitigated_at", _("Make this the incident's mitigation time")),
    TimelineKind.RESOLUTION: ("resolved_at", _("Make this the incident's resolution time")),
}


class TimelineEntryQuerySet(models.QuerySet):
    def deleted(self):
        return self.filter(deleted_at__isnull=False)


class LiveTimelineEntryManager(models.Manager.from_queryset(TimelineEntryQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class TimelineEntry(MarkdownRenderedModel, TimeStampedModel):
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="timeline_entries"
    )
    occurred_at = models.DateTimeField(_("when"), validators=[validate_moment_in_range])
    kind = models.CharField(
        _("kind"), max_length=16, choices=TimelineKind.choices, default=TimelineKind.NOTE
    )
    body = models.TextField(_("what happened"), help_text=_("Markdown."))
    body_html = models.TextField(editable=False, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="timeline_entries",
        verbose_name=_("written by"),
    )
    source_url = models.URLField(
        _("source link"),
        max_length=500,
        blank=True,
        help_text=_("Optional: a chat message, graph or ticket this comes from."),
    )
    # Entries are never removed: a deleted one is hidden everywhere and can be restored.
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("deleted by"),
    )

    search_vector = stored_search_vector(("body", "C"))
    search_vector_fr = stored_french_vector(("body", "C"))
    # Its incident's ``restricted``, kept by the database on every write (migration 0015):
    # search applies the visibility rule without joining every match to its incident.
    incident_restricted = models.BooleanField(default=False, editable=False)

    markdown_fields = ("body",)
    # The default manager (also behind incident.timeline_entries) leaves deleted entries out,
    # so every timeline, export and search does too; all_objects reaches them.
    objects = LiveTimelineEntryManager()
    all_objects = TimelineEntryQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        constraints = [
            models.CheckConstraint(
                condition=moment_in_range_q("occurred_at"), name="timeline_entry_occurred_in_range"
            ),
        ]
        indexes = [
            # An incident's timeline, in time order.
            models.Index(fields=["incident", "occurred_at"], name="timeline_incident_time_idx"),
            # Full-text search.
            GinIndex(fields=["search_vector"], name="timeline_search_idx"),
            GinIndex(
                fields=["search_vector_fr"],
                condition=Q(search_vector_fr__isnull=False),
                name="timeline_search_fr_idx",
            ),
            # An incident's deleted entries, listed on its page.
            models.Index(
                fields=["incident", "deleted_at"],
                condition=Q(deleted_at__isnull=False),
                name="timeline_deleted_idx",
            ),
        ]

    def __str__(self):
        return f"{self.incident.reference} {self.get_kind_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"

    def get_kind_display(self) -> str:
        """Django's at a dict lookup's cost (core.models.choice_label): the timelines of the
        incident, postmortem and review pages ask it for every entry."""
        return str(choice_label(TimelineKind, self.kind))

    def get_absolute_url(self):
        return f"{self.incident.get_absolute_url()}#entry-{self.pk}"

    def can_edit(self, user) -> bool:
        return user.is_authenticated and (user.pk == self.author_id or self.incident.can_edit(user))

    @property
    def incident_time_field(self) -> str | None:
        """The incident's time this entry marks (``detected_at``...), if its kind marks one."""
        field, _offer = INCIDENT_TIME_OF_KIND.get(self.kind, (None, None))
        return field

    def incident_time_offer(self, incident: "Incident"):
        """The button's wording when the incident's matching time differs from this entry's."""
        field, offer = INCIDENT_TIME_OF_KIND.get(self.kind, (None, None))
        if field is None or getattr(incident, field) == self.occurred_at:
            return None
        return offer

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def snapshot(self) -> dict:
        """What a reader sees of the entry, as kept in its history."""
        return {
            "occurred_at": self.occurred_at.isoformat(),
            "kind": self.kind,
            "body": self.body,
            "source_url": self.source_url,
        }


class EntryChangeAction(models.TextChoices):
    EDITED = "edited", _("edited")
    DELETED = "deleted", _("deleted")
    RESTORED = "restored", _("restored")


class TimelineEntryChange(ChangeRecord):
    """One edit, deletion or restore of a timeline entry: who, when, and the entry before and
    after (``before`` is empty for a restore, ``after`` for a deletion)."""

    entry = models.ForeignKey(
        TimelineEntry,
        on_delete=models.CASCADE,
        related_name="changes",
        verbose_name=_("timeline entry"),
        db_index=False,  # covered by timeline_change_entry_idx
    )
    action = models.CharField(_("action"), max_length=10, choices=EntryChangeAction.choices)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    class Meta(ChangeRecord.Meta):
        verbose_name = _("timeline entry change")
        verbose_name_plural = _("timeline entry changes")
        indexes = [
            # An entry's history, newest first.
            models.Index(fields=["entry", "-changed_at"], name="timeline_change_entry_idx"),
        ]

    def __str__(self):
        return f"{self.entry_id} {self.action} by {self.changed_by_id}"

    def versions(self) -> list[tuple[str, dict]]:
        """The entry as it was before and after, labelled, for the history page."""
        shown = []
        if self.before is not None:
            shown.append((_("Before"), _displayable_snapshot(self.before)))
        if self.after is not None:
            shown.append((_("After"), _displayable_snapshot(self.after)))
        return shown


def _displayable_snapshot(snapshot: dict) -> dict:
    kind = snapshot.get("kind", "")
    return {
        **snapshot,
        "occurred_at": _parse_moment(snapshot.get("occurred_at")),
        "kind_label": choice_label(TimelineKind, kind),
    }


def _parse_moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class IncidentField(models.TextChoices):
    TITLE = "title", _("Title")
    SEVERITY = "severity", _("Severity")
    STATUS = "status", _("Status")
    STARTED_AT = "started_at", _("Started")
    DETECTED_AT = "detected_at", _("Detected")
    MITIGATED_AT = "mitigated_at", _("Mitigated")
    RESOLVED_AT = "resolved_at", _("Resolved")
    CUSTOMER_IMPACT = "customer_impact", _("Customer impact")
    NEAR_MISS = "near_miss", _("Near miss")
    SERVICES = "services", _("Affected services")
    COMMANDER = "commander", _("Incident commander")
    TAGS = "tags", _("Tags")
    LINKS = "links", _("Links")
    RESTRICTED = "restricted", _("Restricted")
    PARTICIPANTS = "participants", _("Participants")
    ACCESS_TEAMS = "access_teams", _("Teams given access")


MOMENT_FIELDS = {
    IncidentField.STARTED_AT,
    IncidentField.DETECTED_AT,
    IncidentField.MITIGATED_AT,
    IncidentField.RESOLVED_AT,
}


class IncidentChange(FieldChangeRecord):
    """One change to an incident's facts: who, when, which fact, from what to what.

    Values are kept as people saw them at the time (names of services, tags and the commander),
    except codes (severity, status) and times (ISO 8601, UTC), which are shown as labels and in
    the viewer's time zone.
    """

    incident = models.ForeignKey(
        Incident,
        on_delete=models.CASCADE,
        related_name="changes",
        verbose_name=_("incident"),
        db_index=False,  # covered by incident_change_idx
    )
    field = models.CharField(_("changed"), max_length=20, choices=IncidentField.choices)
    old_value = models.TextField(_("from"), blank=True)
    new_value = models.TextField(_("to"), blank=True)
    # Why, where a change needs one (lifting a restriction).
    reason = models.TextField(_("reason"), blank=True)

    class Meta(FieldChangeRecord.Meta):
        verbose_name = _("incident change")
        verbose_name_plural = _("incident changes")
        indexes = [
            # An incident's changes, newest first.
            models.Index(fields=["incident", "-changed_at"], name="incident_change_idx"),
        ]

    def __str__(self):
        return f"{self.incident_id} {self.field}: {self.old_value} → {self.new_value}"

    def _display(self, value: str) -> str:
        if self.field in (IncidentField.NEAR_MISS, IncidentField.RESTRICTED):
            return _("Yes") if value else _("No")
        if not value:
            return "—"
        if self.field == IncidentField.SEVERITY and value in Severity.values:
            return str(Severity(value).label)
        if self.field == IncidentField.STATUS and value in Status.values:
            return str(Status(value).label)
        if self.field in MOMENT_FIELDS:
            return date_format(timezone.localtime(datetime.fromisoformat(value)), "Y-m-d H:i T")
        if self.field == IncidentField.CUSTOMER_IMPACT:
            return Truncator(value).chars(120)
        return value


class LinkKind(models.TextChoices):
    RELATED = "related", _("related to")
    DUPLICATE = "duplicate", _("duplicate of")
    RECURRENCE = "recurrence", _("recurrence of")


# How each kind reads from the other incident's page ("INC-7 recurred as INC-9").
LINK_KIND_INVERSE = {
    LinkKind.RELATED: _("related to"),
    LinkKind.DUPLICATE: _("duplicated by"),
    LinkKind.RECURRENCE: _("recurred as"),
}


class IncidentLinkQuerySet(models.QuerySet):
    def of_incident(self, incident):
        return self.filter(Q(from_incident=incident) | Q(to_incident=incident))

    def recurrences_despite_completed_actions(self):
        """Recurrences of an incident all of whose action items were done before the
        recurrence started (the actions app, above this one, registers the condition)."""
        return self.filter(kind=LinkKind.RECURRENCE).filter(
            _actions_done_before(OuterRef("to_incident"), OuterRef("from_incident__started_at"))
        )

    def with_recurred_despite_completed_actions(self):
        return self.annotate(
            recurred_despite_completed_actions=models.Case(
                models.When(
                    Q(kind=LinkKind.RECURRENCE)
                    & _actions_done_before(
                        OuterRef("to_incident"), OuterRef("from_incident__started_at")
                    ),
                    then=models.Value(True),
                ),
                default=models.Value(False),
            )
        )


def _no_actions_known(incident_ref, moment_ref) -> Q:
    return Q(pk__in=[])


# ``condition(incident_ref, moment_ref) -> Q``: the incident (an OuterRef to its id) had action
# items and all were done before the moment. Registered by actions.apps at start-up.
_actions_done_before = _no_actions_known


def register_actions_done_before(condition) -> None:
    global _actions_done_before
    _actions_done_before = condition


class IncidentLink(models.Model):
    """A link from one incident to another: related to, duplicate of, or recurrence of (the
    later incident links to the earlier one). Each page shows its links both ways."""

    kind = models.CharField(_("kind"), max_length=12, choices=LinkKind.choices)
    from_incident = models.ForeignKey(
        Incident,
        on_delete=models.CASCADE,
        related_name="links_out",
        verbose_name=_("incident"),
        db_index=False,  # covered by incident_link_direct_uniq
    )
    # Indexed (Django's default for a foreign key): the links to an incident, on its page.
    to_incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="links_in", verbose_name=_("linked to")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("linked by"),
    )
    created_at = models.DateTimeField(_("linked at"), default=timezone.now)

    objects = IncidentLinkQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("incident link")
        verbose_name_plural = _("incident links")
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_incident=F("to_incident")), name="incident_link_not_self"
            ),
            # One link of a kind between two incidents, whichever way it points.
            models.UniqueConstraint(
                Least("from_incident", "to_incident"),
                Greatest("from_incident", "to_incident"),
                "kind",
                name="incident_link_pair_uniq",
            ),
            # Also the index of an incident's links from it, on its page.
            models.UniqueConstraint(
                fields=["from_incident", "to_incident", "kind"], name="incident_link_direct_uniq"
            ),
        ]

    def __str__(self):
        return f"{self.from_incident_id} {self.kind} {self.to_incident_id}"

    def wording_from(self, incident) -> str:
        """How the link reads on ``incident``'s page."""
        if incident.pk == self.from_incident_id:
            return LinkKind(self.kind).label
        return LINK_KIND_INVERSE[LinkKind(self.kind)]

    def other(self, incident) -> Incident:
        return self.to_incident if incident.pk == self.from_incident_id else self.from_incident

    def description_on(self, incident) -> str:
        """The link as ``incident``'s history keeps it: "recurrence of INC-3"."""
        return f"{self.wording_from(incident)} {self.other(incident).reference}"
