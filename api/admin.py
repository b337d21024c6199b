from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api.models import AccessToken
from api.services import access_tokens_revoke
from core.admin import ReadOnlyAdminMixin


@admin.register(AccessToken)
class AccessTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Everyone's API tokens, as digests. Read-only: the one change staff make is "Revoke", for
    a token that leaked or a person who left."""

    list_display = (
        "name",
        "user",
        "scope",
        "shown_prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("scope",)
    search_fields = ("name", "user__username", "shown_prefix")
    list_select_related = ("user",)
    actions = ["revoke_action"]

    @admin.action(description=_("Revoke"))
    def revoke_action(self, request, queryset):
        revoked = access_tokens_revoke(tokens=queryset)
        self.message_user(
            request,
            ngettext("%(count)d token was revoked.", "%(count)d tokens were revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )
