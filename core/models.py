import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

TIME_ZONE_CHOICES = [
    (name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())
]


def choice_label(choices: type[models.Choices], value):
    """What ``get_FOO_display()`` shows for ``value``, at a dict lookup's cost: Django's rebuilds
    (translating and hashing) every choice on each call, which a page of rows pays for each row.
    A value no longer among the choices shows as itself."""
    try:
        return choices(value).label
    except ValueError:
        return value


class Role(models.TextChoices):
    """The three roles are Django groups (created by a migration); a user may hold several."""

    AUTHOR = "Author", _("Author")
    REVIEWER = "Reviewer", _("Reviewer")
    MANAGER = "Manager", _("Manager")
    # Sees every restricted incident (security, legal, HR), as staff do.
    SECURITY = "Security", _("Security")


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class ChangeRecord(models.Model):
    """One recorded change to something people rely on: who made it and when. The history
    models (of incidents, timeline entries, action items) add what changed."""

    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["-changed_at", "-pk"]


class FieldChangeRecord(ChangeRecord):
    """A change of one field, from ``old_value`` to ``new_value`` (fields of the subclass), shown
    as people read it: subclasses turn codes and times into labels in ``_display``."""

    class Meta(ChangeRecord.Meta):
        abstract = True

    def _display(self, value: str) -> str:
        return value or "—"

    @property
    def old_display(self) -> str:
        return self._display(self.old_value)

    @property
    def new_display(self) -> str:
        return self._display(self.new_value)


class User(AbstractUser):
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        choices=TIME_ZONE_CHOICES,
        help_text=_("Times are shown in this zone. Leave empty for the site default."),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_(
            "Pages and emails are in this language. Leave empty to follow your browser's "
            "language (emails then use the site's)."
        ),
    )
    # The single sign-on provider's stable identifier for this person (the "sub" claim); empty
    # for people who have never signed in that way.
    sso_subject = models.CharField(
        _("single sign-on subject"),
        max_length=255,
        blank=True,
        help_text=_(
            "Who this is at the single sign-on provider; set at their first sign-in there. "
            "Cleared, their next sign-in links an account again."
        ),
    )

    class Meta:
        ordering = ["username"]
        constraints = [
            # Its index also serves the sign-in's lookup by subject.
            models.UniqueConstraint(
                fields=["sso_subject"],
                condition=~models.Q(sso_subject=""),
                name="user_sso_subject_unique",
            )
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @cached_property
    def role_names(self) -> frozenset[str]:
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, role: Role) -> bool:
        return role in self.role_names

    @property
    def is_author(self) -> bool:
        return self.has_role(Role.AUTHOR)

    @property
    def is_reviewer(self) -> bool:
        return self.has_role(Role.REVIEWER)

    @property
    def is_manager(self) -> bool:
        return self.has_role(Role.MANAGER)

    @property
    def sees_every_restricted_incident(self) -> bool:
        return self.is_staff or self.has_role(Role.SECURITY)


class Team(TimeStampedModel):
    """People who work together and own services; their manager follows up on their work."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True, allow_unicode=True)
    manager = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_teams",
        verbose_name=_("manager"),
    )
    members = models.ManyToManyField(
        User, related_name="teams", blank=True, verbose_name=_("members")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name, allow_unicode=True)[:100]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("teams:detail", args=[self.slug])


class FormSubmission(models.Model):
    """The first submission of one rendered create form (see ``core.forms.OneSubmissionMixin``):
    a repeat of it (a double click, a resent request) leads to what it created instead of
    creating it again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    token = models.UUIDField()
    # What was sent (sha256): the same token with other content is a page brought back with the
    # browser's Back button and changed, which is a new submission.
    content_digest = models.CharField(max_length=64)
    result_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Its index also serves the "submitted before?" lookup.
            models.UniqueConstraint(fields=["user", "token"], name="form_submission_once"),
        ]

    def __str__(self):
        return f"{self.token} by {self.user_id}"


class KeptSummary(models.Model):
    """A page's summary as last computed (core/snapshots.py), shared by every web process and
    the workers: what a page serves while the worker counts the changes made since."""

    name = models.CharField(max_length=50)
    digest = models.CharField(max_length=64)  # sha256 of what it depends on besides the data
    data_version = models.BigIntegerField()  # the data version it was computed at
    computed_at = models.DateTimeField()
    # Pickled, as Django's database cache stores values: the HTML stays marked safe.
    value = models.BinaryField()
    # How to compute it again without the request (``snapshots.Recipe``), for the worker.
    recipe = models.JSONField()
    # The newest data version a refresh was queued for: one job per version, not per view.
    refresh_queued_for = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            # Its index also serves every lookup of a page's summary.
            models.UniqueConstraint(fields=["name", "digest"], name="kept_summary_once"),
        ]
        indexes = [
            # Throwing away the summaries too old to be served.
            models.Index(fields=["computed_at"], name="kept_summary_computed_idx"),
        ]

    def __str__(self):
        return f"{self.name} at version {self.data_version}"
