"""Single sign-on with OpenID Connect (mozilla-django-oidc does the protocol): who a signed-in
person is in Hindsight, and which roles their provider's groups give them."""

import logging
import re

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.core import checks
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from core.models import Role, Team, User

logger = logging.getLogger(__name__)
_NOT_IN_USERNAME = re.compile(r"[^\w.@+-]")


def is_single_sign_on(request, credentials) -> bool:
    """django-axes' whitelist (``AXES_WHITELIST_CALLABLE``): a single sign-on callback is not a
    password guess, so it neither counts towards nor is stopped by a password lockout."""
    return "nonce" in (credentials or {})


class PasswordBackend(ModelBackend):
    """Sign-in with a local password, unless ``HINDSIGHT_LOCAL_LOGIN`` turned them off (this
    also closes the admin's sign-in form)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.HINDSIGHT_LOCAL_LOGIN:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class SingleSignOnBackend(OIDCAuthenticationBackend):
    def authenticate(self, request, **credentials):
        # Only the callback view's call (request, nonce, code_verifier) is ours.
        if not settings.OIDC_ENABLED or "nonce" not in credentials:
            return None
        return super().authenticate(request, **credentials)

    def verify_token(self, token, **kwargs):
        """The library checks the signature, expiry and nonce; the issuer and audience too."""
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.OIDC_OP_ISSUER and payload.get("iss") != settings.OIDC_OP_ISSUER:
            raise SuspiciousOperation("The ID token comes from another issuer.")
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token was issued to another client.")
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if not payload.get("sub") or userinfo.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The user info does not describe the ID token's subject.")
        claims = {**payload, **userinfo}
        try:
            return user_from_single_sign_on(claims=claims)
        except IntegrityError:
            # The same person's first sign-in in another tab won the race (or the username);
            # now there is an account to find.
            return user_from_single_sign_on(claims=claims)


@transaction.atomic
def user_from_single_sign_on(*, claims: dict) -> User:
    """The user these claims describe, created on their first sign-in and brought up to date
    (name, email, roles) on every one."""
    subject = claims["sub"]
    if not isinstance(subject, str) or len(subject) > 255:
        raise SuspiciousOperation("The subject is not a string of at most 255 characters.")
    user = User.objects.select_for_update().filter(sso_subject=subject).first()
    if user is None:
        user = _unlinked_user_with_verified_email(claims) or User(
            username=_free_username(claims), sso_subject=subject
        )
        if user.pk is None:
            user.set_unusable_password()
        user.sso_subject = subject
    user.email = _email(claims) or user.email
    given, family = _text(claims, "given_name"), _text(claims, "family_name")
    if given or family:
        user.first_name, user.last_name = given, family
    elif _text(claims, "name"):
        user.first_name, user.last_name = _text(claims, "name"), ""
    user.save()
    groups = _claimed_groups(claims)
    _apply_group_roles(user, groups)
    _apply_group_teams(user, groups)
    return user


def _text(claims, name) -> str:
    """A name claim as our fields hold it; anything but text counts as absent."""
    value = claims.get(name)
    return value.strip()[:150] if isinstance(value, str) else ""


def _email(claims) -> str:
    email = claims.get("email")
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email if len(email) <= 254 else ""


def _unlinked_user_with_verified_email(claims) -> User | None:
    """An existing account with the same email, taken over only when the provider vouches for
    the address; otherwise anyone could name someone else's email at their provider."""
    email = _email(claims)
    if not email or claims.get("email_verified") not in (True, "true"):
        return None
    matches = list(User.objects.select_for_update().filter(email__iexact=email, sso_subject="")[:2])
    return matches[0] if len(matches) == 1 else None


def _free_username(claims) -> str:
    wanted = _text(claims, "preferred_username") or _email(claims).split("@")[0]
    base = _NOT_IN_USERNAME.sub("", wanted)[:140] or "user"
    taken = {
        name.lower()
        for name in User.objects.filter(username__istartswith=base).values_list(
            "username", flat=True
        )
    }
    candidate, number = base, 1
    while candidate.lower() in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _claimed_groups(claims) -> set[str]:
    groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(groups, str):
        groups = [groups]
    return {str(group) for group in groups} if isinstance(groups, list) else set()


def _apply_group_roles(user: User, groups: set[str]) -> None:
    """Replace the user's roles by those ``OIDC_GROUP_ROLES`` maps their groups to; other
    Django groups are left alone. Without a table, roles are managed in Hindsight."""
    table = settings.OIDC_GROUP_ROLES
    if not table:
        return
    granted = {role for group, role in table if group in groups}
    role_groups = Group.objects.filter(name__in=Role.values)
    user.groups.remove(*[group for group in role_groups if group.name not in granted])
    user.groups.add(*[group for group in role_groups if group.name in granted])
    user.__dict__.pop("role_names", None)


def _apply_group_teams(user: User, groups: set[str]) -> None:
    """Make the user a member of exactly those teams named in ``OIDC_GROUP_TEAMS`` that their
    groups map to; teams the table does not name are left alone (managed in the admin). A team
    slug in the table that no team has is skipped, and logged."""
    table = settings.OIDC_GROUP_TEAMS
    if not table:
        return
    granted = {slug for group, slug in table if group in groups}
    mapped = list(Team.objects.filter(slug__in={slug for _group, slug in table}))
    if missing := {slug for _group, slug in table} - {team.slug for team in mapped}:
        logger.warning("OIDC_GROUP_TEAMS names teams that do not exist: %s", sorted(missing))
    user.teams.remove(*[team for team in mapped if team.slug not in granted])
    user.teams.add(*[team for team in mapped if team.slug in granted])


@checks.register(checks.Tags.security)
def check_group_roles(app_configs, **kwargs):
    return [
        checks.Error(
            f"OIDC_GROUP_ROLES maps {group!r} to {role!r}, which is not a role.",
            hint=f"Roles are {', '.join(Role.values)}.",
            id="core.E001",
        )
        for group, role in settings.OIDC_GROUP_ROLES
        if role not in Role.values
    ]
