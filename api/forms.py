"""The Settings page's token section, and the bridge from JSON to the pages' own forms: the API
checks values, and reads list filters, with the forms the pages use."""

from django import forms
from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions

from api.models import AccessScope, AccessToken
from api.services import MAX_TOKENS_PER_PERSON, access_token_create, access_tokens_revoke

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

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("name", "").strip():
            revoking = len(cleaned.get("revoke", []))
            usable = AccessToken.objects.usable().filter(user=self.user).count() - revoking
            if usable >= MAX_TOKENS_PER_PERSON:
                self.add_error(
                    "name",
                    _("You have %(count)s tokens already: revoke some you no longer use first.")
                    % {"count": MAX_TOKENS_PER_PERSON},
                )
        return cleaned

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


# The pages' forms, for JSON ----------------------------------------------------------------------


def form_errors(form) -> dict:
    """A Django form's errors as the API reports them: by field, "non_field_errors" for the
    whole form."""
    return {
        ("non_field_errors" if field == "__all__" else field): [str(m) for m in messages]
        for field, messages in form.errors.items()
    }


def checked(form):
    """The form, valid, or a 400 listing what is wrong."""
    if not form.is_valid():
        raise exceptions.ValidationError(form_errors(form))
    return form


def list_filters(request, form_class) -> dict:
    """A list page's filters from the query string, read by the page's own filter form. Unlike
    the page, which ignores a mistyped value, a program is told (400). Lists come in one fixed
    order (the cursor's), so the page's ``sort`` is not read."""
    if not set(request.query_params) - {"cursor"}:
        return {}  # some filter forms read their choices from the database
    form = checked(form_class(request.query_params))
    return {name: value for name, value in form.cleaned_data.items() if value and name != "sort"}


def filter_parameters(form_class, **notes) -> list[OpenApiParameter]:
    """A list's query parameters for the schema, read from the list page's filter form (its
    declared fields: no database query), so the two cannot drift apart. ``notes`` add to the
    label of a field whose values the form only knows at run time."""
    parameters = []
    for name, field in form_class.base_fields.items():
        if name == "sort":
            continue
        choices = []
        if not isinstance(field, forms.ModelChoiceField):  # its choices are rows
            choices = [value for value, _label in getattr(field, "choices", []) if value != ""]
        parameters.append(
            OpenApiParameter(
                name,
                OpenApiTypes.DATE if isinstance(field, forms.DateField) else str,
                many=isinstance(field, forms.MultipleChoiceField),
                enum=choices or None,
                description=" ".join(filter(None, [str(field.label), notes.get(name)])),
            )
        )
    return parameters


def with_defaults(model, values: dict, names) -> dict:
    """``values`` as form data, with the model's default for each of ``names`` left out."""
    defaults = {name: model._meta.get_field(name).get_default() for name in names}
    return as_form_data({**defaults, **values})


def as_form_data(values: dict) -> dict:
    """JSON values as a form reads them from a page: text, with "" for nothing."""
    data = {}
    for name, value in values.items():
        if value is None:
            data[name] = ""
        elif hasattr(value, "isoformat"):
            data[name] = value.isoformat()
        else:
            data[name] = str(value)
    return data
