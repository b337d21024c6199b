from django import forms
from django.contrib.auth.models import AnonymousUser
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from actions.models import ActionStatus
from core.forms import BoundedDateField, FilterForm
from incidents.models import Service, Severity, Status, Tag
from postmortems.models import PostmortemStatus

SEARCH_TYPES = [
    ("incidents", _("Incidents")),
    ("postmortems", _("Postmortems")),
    ("timeline", _("Timeline entries")),
    ("actions", _("Action items")),
]


def _state_choices():
    return [
        ("", _("Any state")),
        (_("Incident"), [(f"incident:{v}", label) for v, label in Status.choices]),
        (_("Postmortem"), [(f"postmortem:{v}", label) for v, label in PostmortemStatus.choices]),
        (_("Action item"), [(f"action:{v}", label) for v, label in ActionStatus.choices]),
    ]


SEARCH_MAX_LENGTH = 200


class SearchForm(FilterForm):
    q = forms.CharField(
        label=_("Search"),
        max_length=SEARCH_MAX_LENGTH,
        required=False,
        error_messages={
            "max_length": _(
                "Search for at most %(limit_value)d characters (this has %(show_value)d): "
                "keep the few words that matter most."
            )
        },
    )
    type = forms.ChoiceField(
        label=_("Type"), choices=[("", _("Everything")), *SEARCH_TYPES], required=False
    )
    severity = forms.MultipleChoiceField(label=_("Severity"), required=False)
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=None, required=False, to_field_name="slug"
    )
    tag = forms.ModelChoiceField(
        label=_("Tag"), queryset=None, required=False, to_field_name="slug"
    )
    started_from = BoundedDateField(label=_("From"), required=False)
    started_to = BoundedDateField(label=_("Until"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].choices = Severity.choices
        self.fields["service"].queryset = Service.objects.all()
        self.fields["tag"].queryset = Tag.objects.visible_to(AnonymousUser())
        self.fields["state"].choices = _state_choices()

    @cached_property
    def select_options(self) -> dict:
        """Each select's options, grouped as its widget groups them, for the page to write out
        in one loop: the widget renders a template per option, most of this form's cost."""
        options = {}
        for name in ("type", "state", "service", "tag"):
            widget, value = self[name].field.widget, self[name].value()
            options[name] = widget.optgroups(name, widget.format_value(value))
        return options

    def search_plan(self) -> tuple[str, list[str], dict]:
        """The text, the result types to search, and the filters for them."""
        filters = self.filters()
        text = filters.pop("q", "")
        types = [filters.pop("type")] if filters.get("type") else [t for t, _label in SEARCH_TYPES]
        if state := filters.pop("state", ""):
            kind, value = state.split(":", 1)
            key = {
                "incident": "status",
                "postmortem": "postmortem_status",
                "action": "action_status",
            }
            filters[key[kind]] = [value]
            allowed = {
                "incident": {"incidents", "timeline"},
                "postmortem": {"postmortems"},
                "action": {"actions"},
            }[kind]
            types = [t for t in types if t in allowed]
        return text, types, filters
