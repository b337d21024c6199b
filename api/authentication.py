from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from api.models import TOKEN_PREFIX, AccessToken, token_digest


class AccessTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer hsat_...``: a personal access token, neither expired nor revoked,
    of an active account. ``request.auth`` is the AccessToken (its scope limits what it may do)."""

    keyword = "Bearer"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the token as “Authorization: Bearer <token>”, with nothing else.")
            )
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("That is not a Hindsight token.")) from None
        if not token.startswith(TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed(_("That is not a Hindsight token."))
        stored = (
            AccessToken.objects.select_related("user").filter(digest=token_digest(token)).first()
        )
        if stored is None or not stored.user.is_active:
            raise exceptions.AuthenticationFailed(_("Unknown token."))
        if stored.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                _("This token was revoked. Make a new one on your Settings page.")
            )
        if not stored.is_usable():
            raise exceptions.AuthenticationFailed(
                _("This token has expired. Make a new one on your Settings page.")
            )
        stored.note_use()
        return stored.user, stored

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class AccessTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI document describes the token."""

    target_class = AccessTokenAuthentication
    name = "accessToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": str(_("A personal access token from your Settings page, e.g. hsat_…")),
        }
