from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import User


def https_by_default(db_field, **kwargs):
    """A ModelForm ``formfield_callback``: a typed link with no scheme is taken as https."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's own date-and-time picker; values are in the user's time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class VersionedModelForm(forms.ModelForm):
    """Refuses to save over a change someone else saved after this form was loaded.

    The form carries the version (``updated_at``) it was loaded from. The view must fetch the
    instance with ``select_for_update()`` inside a transaction, so the check and the write see
    the same row. On a conflict the typed values stay in the form and the version moves on, so
    the user can review what changed and save again deliberately.
    """

    version = forms.CharField(widget=forms.HiddenInput, required=False)
    conflict_message = _(
        "Someone else saved this while you were editing. Your text is kept below; "
        "check the current version and save again to keep your changes."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.current_version
        self.has_conflict = False

    @property
    def current_version(self) -> str:
        updated_at = getattr(self.instance, "updated_at", None)
        return updated_at.isoformat() if updated_at and self.instance.pk else ""

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and cleaned.get("version") != self.current_version:
            self.has_conflict = True
            # Let the next submission through: the user has now seen the conflict.
            self.data = self.data.copy()
            self.data[self.add_prefix("version")] = self.current_version
            raise forms.ValidationError(self.conflict_message, code="stale")
        return cleaned


class FilterForm(forms.Form):
    """A list page's filters, read from the query string."""

    def filters(self) -> dict:
        """The valid filters only: a mistyped value in the URL should not hide the whole list."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


class AccountSettingsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "time_zone"]
