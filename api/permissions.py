from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from api.models import AccessToken


class TokenScopeAllows(permissions.BasePermission):
    """Signed in (by token or session); a read-only token may only read. Who may see or change
    what is the apps' own rule, asked by each view."""

    message = _("This token may only read: make a read and write token to change things.")

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        token = request.auth
        return not isinstance(token, AccessToken) or token.may_write
