from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import NotificationKind
from notifications.services import email_preferences, set_email_preferences


class EmailPreferencesForm(forms.Form):
    """A section of the Settings page (core.settings_page): one checkbox per kind."""

    legend = _("Email me about")
    help_text = _(
        "You always see these under Notifications (the bell in the menu bar); untick what "
        "you do not also want by email."
    )
    prefix = "email_preferences"

    # Unticked boxes are not sent at all: this marks a submission that showed the boxes, so a
    # form without them (an older page, a script) never turns every email off.
    shown = forms.BooleanField(widget=forms.HiddenInput, initial=True, required=False)

    def __init__(self, data=None, *, user):
        super().__init__(data)
        self.user = user
        current = email_preferences(user)
        for kind in NotificationKind:
            self.fields[kind.value] = forms.BooleanField(
                label=kind.label, required=False, initial=current[kind.value]
            )

    def save(self) -> None:
        if not self.cleaned_data.get("shown"):
            return
        set_email_preferences(
            user=self.user,
            enabled={kind: self.cleaned_data[kind] for kind in NotificationKind.values},
        )
