from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import (
    ENTRY_MAX_LENGTH,
    LONG_TEXT_MAX_LENGTH,
    BoundedDateField,
    DateTimeLocalInput,
    FilterForm,
    OneSubmissionMixin,
    TeamFilterField,
    VersionedModelForm,
    cap_text_length,
    https_by_default,
)
from core.models import Team
from incidents.models import (
    SEVERITY_MEANINGS,
    Incident,
    LinkKind,
    Service,
    Severity,
    Status,
    Tag,
    TimelineEntry,
)

SORT_ORDERS = {
    "newest": ("-started_at", "-number"),
    "oldest": ("started_at", "number"),
    "severity": ("severity", "-started_at"),
    "updated": ("-updated_at",),
    "reference": ("-number",),
}


def _severity_choices_with_meanings():
    label = _("%(severity)s: %(meaning)s")
    return [
        (value, label % {"severity": name, "meaning": SEVERITY_MEANINGS[value]})
        for value, name in Severity.choices
    ]


def _time_zone_help() -> str:
    return _("In your time zone (%(zone)s).") % {"zone": timezone.get_current_timezone_name()}


class IncidentForm(OneSubmissionMixin, VersionedModelForm):
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Comma-separated, e.g. deploy, dns, capacity."),
    )
    restriction_reason = forms.CharField(
        label=_("Why the restriction is lifted"),
        required=False,
        max_length=500,
        help_text=_(
            "Needed to lift a restriction (staff, the Security role and the commander may); "
            "kept in the incident's history."
        ),
    )

    class Meta:
        model = Incident
        fields = [
            "title",
            "severity",
            "status",
            "services",
            "commander",
            "started_at",
            "detected_at",
            "mitigated_at",
            "resolved_at",
            "customer_impact",
            "near_miss",
            "restricted",
            "participants",
            "access_teams",
        ]
        widgets = {
            # A plain multiple select and checkboxes: both work from the keyboard alone.
            "participants": forms.SelectMultiple(attrs={"size": 6}),
            "access_teams": forms.CheckboxSelectMultiple,
            "severity": forms.RadioSelect,
            "services": forms.CheckboxSelectMultiple,
            "started_at": DateTimeLocalInput,
            "detected_at": DateTimeLocalInput,
            "mitigated_at": DateTimeLocalInput,
            "resolved_at": DateTimeLocalInput,
            "customer_impact": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].choices = _severity_choices_with_meanings()
        self.fields["commander"].queryset = get_user_model().objects.filter(is_active=True)
        self.fields["participants"].queryset = get_user_model().objects.filter(is_active=True)
        self.fields["participants"].help_text = _(
            "Who may see it while it is restricted, besides its commander and whoever declared "
            "it. Hold Ctrl (⌘ on a Mac) to choose several."
        )
        self.fields["access_teams"].queryset = Team.objects.all()
        zone_help = _time_zone_help()
        for name in ("started_at", "detected_at", "mitigated_at", "resolved_at"):
            self.fields[name].help_text = zone_help
        self.fields["title"].widget.attrs["autofocus"] = True
        cap_text_length(self.fields["customer_impact"], LONG_TEXT_MAX_LENGTH)
        if not self.instance.pk:
            self.fields["started_at"].initial = timezone.now().replace(second=0, microsecond=0)
        else:
            self.fields["tags"].initial = ", ".join(t.name for t in self.instance.tags.all())

    def clean_tags(self) -> list[str]:
        names = [name.strip() for name in self.cleaned_data["tags"].split(",") if name.strip()]
        too_long = [name for name in names if len(name) > 50]
        if too_long:
            raise forms.ValidationError(
                _("Keep each tag under 50 characters: %(tags)s") % {"tags": ", ".join(too_long)}
            )
        return names

    def _save_m2m(self):
        super()._save_m2m()
        self.instance.tags.set(Tag.from_names(self.cleaned_data["tags"]))


class TimelineEntryForm(OneSubmissionMixin, VersionedModelForm):
    class Meta:
        model = TimelineEntry
        fields = ["occurred_at", "kind", "body", "source_url"]
        formfield_callback = https_by_default
        widgets = {
            "occurred_at": DateTimeLocalInput,
            "body": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].help_text = _time_zone_help()
        if self.instance.pk is None:
            # Shown in the writer's zone: the time zone middleware has activated it.
            self.initial.setdefault("occurred_at", timezone.now())
        cap_text_length(self.fields["body"], ENTRY_MAX_LENGTH)


class IncidentLinkForm(forms.Form):
    """Link the incident whose page this is to another, by the other's reference."""

    # The page also holds the timeline entry form, whose fields have the same names.
    prefix = "link"

    kind = forms.ChoiceField(label=_("This incident is"), choices=LinkKind.choices)
    reference = forms.CharField(
        label=_("Incident"), max_length=20, help_text=_("Its reference, e.g. INC-42.")
    )

    def __init__(self, *args, incident: Incident, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.incident = incident
        self.user = user

    def clean_reference(self) -> Incident:
        reference = self.cleaned_data["reference"]
        number = Incident.number_from_reference(reference)
        # A restricted incident the linker may not see answers as if it did not exist.
        incidents = Incident.objects.visible_to(self.user) if self.user else Incident.objects
        other = incidents.filter(number=number).first() if number is not None else None
        if other is None:
            raise forms.ValidationError(
                _("No incident has the reference %(reference)s.") % {"reference": reference}
            )
        if other.pk == self.incident.pk:
            raise forms.ValidationError(_("An incident cannot be linked to itself."))
        return other


NEAR_MISS_FILTERS = {"only": True, "none": False}


class IncidentFilterForm(FilterForm):
    """The incident list's filters, read from the query string. Bad values are ignored, not fatal."""

    q = forms.CharField(label=_("Title or reference"), required=False)
    severity = forms.MultipleChoiceField(
        label=_("Severity"), choices=Severity.choices, required=False
    )
    status = forms.MultipleChoiceField(label=_("Status"), choices=Status.choices, required=False)
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.all(), required=False, to_field_name="slug"
    )
    tag = forms.ModelChoiceField(
        label=_("Tag"),
        queryset=Tag.objects.visible_to(AnonymousUser()),
        required=False,
        to_field_name="slug",
    )
    team = TeamFilterField()
    near_miss = forms.ChoiceField(
        label=_("Near misses"),
        required=False,
        choices=[
            ("", _("Near misses and incidents with impact")),
            ("only", _("Only near misses")),
            ("none", _("Only incidents with customer impact")),
        ],
    )
    started_from = BoundedDateField(label=_("From"), required=False)
    started_to = BoundedDateField(label=_("Until"), required=False)
    postmortem = forms.ChoiceField(
        label=_("Required postmortem"),
        required=False,
        choices=[
            ("", _("Any")),
            ("missing", _("Missing (not started)")),
            ("overdue", _("Past its due date")),
        ],
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("newest", _("Newest first")),
            ("oldest", _("Oldest first")),
            ("severity", _("Most severe first")),
            ("updated", _("Recently updated")),
            ("reference", _("Reference")),
        ],
    )
