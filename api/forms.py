from django import forms
from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from api.models import AccessScope, AccessToken
from api.services import access_token_create, access_tokens_revoke

LIFETIME_DAYS = (7, 30, 90, 365)


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


class AccessTokensForm(forms.Form):
    """A section of the Settings page (core.settings_page): make a personal access token for the
    REST API, and revoke those made before. A new token is shown once, after saving."""

    legend = gettext_lazy("API access tokens")
    help_text = gettext_lazy(
        "Programs use the REST API (see /api/docs/) with a token, as you and with your "
        "permissions. Name a new token to make one; it is shown once, so copy it then."
    )
    prefix = "access_tokens"

    name = forms.CharField(
        label=gettext_lazy("New token's name"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("What will use it, e.g. “deploy bot”. Leave empty to make none."),
    )
    # Not required: saving other settings (or only revoking) sends no new token's details.
    scope = forms.ChoiceField(
        label=gettext_lazy("It may"),
        choices=AccessScope.choices,
        initial=AccessScope.READ,
        required=False,
    )
    days = forms.TypedChoiceField(
        label=gettext_lazy("Expires in"), coerce=int, initial=30, required=False, empty_value=30
    )
    revoke = forms.MultipleChoiceField(
        label=gettext_lazy("Revoke"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Tick a token to stop it working, at once and for good."),
    )

    def __init__(self, data=None, *, user):
        super().__init__(data)
        self.user = user
        self.new_token = ""
        self.fields["days"].choices = [
            (days, _("%(days)s days") % {"days": days})
            for days in LIFETIME_DAYS
            if days <= settings.API_TOKEN_MAX_DAYS
        ] or [(settings.API_TOKEN_MAX_DAYS, str(settings.API_TOKEN_MAX_DAYS))]
        tokens = AccessToken.objects.usable().filter(user=user)
        self.fields["revoke"].choices = [(token.pk, self._describe(token)) for token in tokens]
        if not self.fields["revoke"].choices:
            del self.fields["revoke"]

    @staticmethod
    def _describe(token: AccessToken) -> str:
        return _("%(name)s (%(scope)s, %(prefix)s…): expires %(expires)s, last used %(used)s") % {
            "name": token.name,
            "scope": token.get_scope_display().lower(),
            "prefix": token.shown_prefix,
            "expires": _when(token.expires_at),
            "used": _when(token.last_used_at) if token.last_used_at else _("never"),
        }

    def save(self) -> str:
        """Revoke the ticked tokens and make the named one; returns what to show once: the
        new token, which is kept nowhere else."""
        revoked = self.cleaned_data.get("revoke", [])
        access_tokens_revoke(tokens=AccessToken.objects.filter(user=self.user, pk__in=revoked))
        if not self.cleaned_data["name"].strip():
            return ""
        _stored, token = access_token_create(
            user=self.user,
            name=self.cleaned_data["name"],
            scope=self.cleaned_data["scope"] or AccessScope.READ,
            days=self.cleaned_data["days"],
        )
        return _("Your new API token (copy it now: it is not shown again): %(token)s") % {
            "token": token
        }
