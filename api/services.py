"""Making and revoking personal access tokens."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import SHOWN_PREFIX_LENGTH, AccessScope, AccessToken, new_token, token_digest

# Usable tokens one person may hold: enough for every program they run, few enough to review.
MAX_TOKENS_PER_PERSON = 50


class AccessTokenError(Exception):
    """A refusal with a message a person can act on."""


@transaction.atomic
def access_token_create(*, user, name: str, scope: str, days: int) -> tuple[AccessToken, str]:
    """A new token for ``user``, valid for ``days`` days. Returns the stored token and the token
    itself, which is kept nowhere: show it once."""
    name = name.strip()
    if not name:
        raise AccessTokenError(_("Name the token after what will use it."))
    if scope not in AccessScope.values:
        raise AccessTokenError(_("Choose read only, or read and write."))
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise AccessTokenError(
            _("A token lasts from 1 to %(max)s days.") % {"max": settings.API_TOKEN_MAX_DAYS}
        )
    if AccessToken.objects.usable().filter(user=user).count() >= MAX_TOKENS_PER_PERSON:
        raise AccessTokenError(
            _("You have %(count)s tokens already: revoke some you no longer use first.")
            % {"count": MAX_TOKENS_PER_PERSON}
        )
    token = new_token()
    stored = AccessToken.objects.create(
        user=user,
        name=name[:100],
        scope=scope,
        digest=token_digest(token),
        shown_prefix=token[:SHOWN_PREFIX_LENGTH],
        expires_at=timezone.now() + timedelta(days=days),
    )
    return stored, token


def access_tokens_revoke(*, tokens) -> int:
    """Stop these tokens (a queryset) working, at once and for good; returns how many were
    still unrevoked."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
