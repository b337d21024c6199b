import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Every token starts with this, so a leaked one is recognisable (and secret scanners can find it).
TOKEN_PREFIX = "hsat_"
# How much of a token is kept in clear to tell tokens apart on the Settings page.
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 6
# A token's last use is written at most this often: not a write on every request.
LAST_USED_PRECISION_SECONDS = 60


class AccessScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


def new_token() -> str:
    """256 bits from the system's secure generator, after the recognisable prefix."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored instead of the token. The token is random and long, so a fast hash is as
    good as a slow one here: there is no guessable password to stretch."""
    return hashlib.sha256(token.encode()).hexdigest()


class AccessTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Neither revoked nor expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())


class AccessToken(models.Model):
    """A personal access token for the REST API. Only its SHA-256 digest is kept: the token
    itself is shown once, when it is made."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="access_tokens",
        verbose_name=_("user"),
        db_index=False,  # covered by access_token_user_idx
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What uses it, e.g. “deploy bot”.")
    )
    scope = models.CharField(
        _("scope"), max_length=5, choices=AccessScope.choices, default=AccessScope.READ
    )
    digest = models.CharField(_("SHA-256 digest"), max_length=64, unique=True, editable=False)
    shown_prefix = models.CharField(_("starts with"), max_length=20, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="access_token_expires_after_creation",
            ),
        ]
        indexes = [
            # A person's tokens on their Settings page, newest first.
            models.Index(fields=["user", "-created_at"], name="access_token_user_idx"),
        ]

    def __str__(self):
        return f"{self.name} ({self.shown_prefix}…)"

    @property
    def may_write(self) -> bool:
        return self.scope == AccessScope.WRITE

    def is_usable(self, now=None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())

    def note_use(self, now=None) -> None:
        """Keep when it was last used, to the minute."""
        now = now or timezone.now()
        if (
            self.last_used_at is None
            or (now - self.last_used_at).total_seconds() >= LAST_USED_PRECISION_SECONDS
        ):
            AccessToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
