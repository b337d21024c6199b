from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from postmortems.models import PostmortemStatus, PostmortemTemplate
from postmortems.sections import SECTIONS, SECTIONS_BY_FIELD


class StartPostmortemForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("Start from"),
        queryset=PostmortemTemplate.objects.filter(is_active=True),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": _("Choose a template to start from.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        templates = list(self.fields["template"].queryset)
        if templates and not self.is_bound:
            self.fields["template"].initial = templates[0].pk


class SectionsForm(forms.Form):
    """The text of some or all sections, plus the version the editor started from."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, sections=SECTIONS, **kwargs):
        super().__init__(*args, **kwargs)
        self.sections = list(sections)
        for section in self.sections:
            self.fields[section.field] = forms.CharField(
                label=section.title,
                help_text=section.help_text,
                required=False,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 8, "class": "section-input"}),
            )

    @classmethod
    def for_section(cls, field: str, *args, **kwargs):
        return cls(*args, sections=[SECTIONS_BY_FIELD[field]], **kwargs)

    def texts(self) -> dict[str, str]:
        return {section.field: self.cleaned_data[section.field] for section in self.sections}

    def section_fields(self):
        return [self[section.field] for section in self.sections]


class CoAuthorsForm(forms.Form):
    co_authors = forms.ModelMultipleChoiceField(
        label=_("Co-authors"),
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("People who may edit this postmortem with you."),
    )


class PostmortemFilterForm(forms.Form):
    q = forms.CharField(label=_("Incident title"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *PostmortemStatus.choices],
    )

    def filters(self) -> dict:
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
