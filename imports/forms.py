from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import TIME_ZONE_CHOICES
from imports.uploads import MAX_FILES
from incidents.models import Severity


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; each is checked as a FileField would check one."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".md,.markdown,.txt,.zip"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        files = [file for file in files if file]
        if not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                _("At most %(max)s files at once; a zip counts as one.") % {"max": MAX_FILES}
            )
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class MarkdownUploadForm(forms.Form):
    files = MultipleFileField(
        label=_("Markdown files"),
        help_text=_("One or more .md files, or a zip of them (as kept in a Git repository)."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone of times that do not say theirs"),
        choices=TIME_ZONE_CHOICES,
        help_text=_("Times in a file that names its zone (“All times in UTC”) keep that zone."),
    )
    severity = forms.ChoiceField(
        label=_("Severity of incidents whose file does not say"),
        choices=Severity.choices,
        initial=Severity.SEV3,
    )
