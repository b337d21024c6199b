import json
from datetime import date

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from actions.models import (
    ActionItem,
    ActionKind,
    ActionStatus,
    Priority,
    default_due_date,
)
from actions.services import TEXT_FIELDS, action_item_set_status
from core.forms import (
    LONG_TEXT_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    BoundedDateField,
    DateInput,
    OneSubmissionMixin,
    Select,
    TeamFilterField,
    VersionedModelForm,
    cap_text_length,
    https_by_default,
)
from incidents.models import Incident, Service, Severity
from postmortems.services import document_change_refusal

NEW_ITEM_PREFIX = "new-action"


def _owner_choices(current_owner_id=None):
    users = get_user_model().objects.filter(Q(is_active=True) | Q(pk=current_owner_id or -1))
    return users.order_by("first_name", "last_name", "username")


def _default_weeks_help() -> str:
    weeks = settings.ACTION_ITEM_DEFAULT_DUE_WEEKS
    return _(
        "Suggested from the priority: P1 in %(p1)s weeks, P2 in %(p2)s, P3 in %(p3)s. "
        "Pick another date if you need to."
    ) % {"p1": weeks["P1"], "p2": weeks["P2"], "p3": weeks["P3"]}


class _ActionItemFieldsMixin:
    """What the add and edit forms share."""

    def _set_up_fields(self, today: date):
        self.today = today
        owner = self.fields["owner"]
        owner.queryset = _owner_choices(self.instance.owner_id)
        owner.empty_label = _("No owner yet")
        self.fields["title"].widget.attrs.setdefault(
            "placeholder", _("e.g. Validate config units at deploy time")
        )
        cap_text_length(self.fields["description"], LONG_TEXT_MAX_LENGTH)
        for name in ("resolution_note", "evidence_note"):
            if name in self.fields:
                cap_text_length(self.fields[name], NOTE_MAX_LENGTH)

    def clean_owner(self):
        owner = self.cleaned_data.get("owner")
        if owner is not None and not owner.is_active and "owner" in self.changed_data:
            raise forms.ValidationError(
                _("%(name)s's account is deactivated; choose an active owner.")
                % {"name": owner.display_name}
            )
        return owner

    def clean_due_date(self):
        due_date = self.cleaned_data.get("due_date")
        if due_date and due_date < self.today and "due_date" in self.changed_data:
            raise forms.ValidationError(_("That date has passed; pick today or a later date."))
        return due_date


class ActionItemForm(OneSubmissionMixin, _ActionItemFieldsMixin, forms.ModelForm):
    """A new action item. The due date starts at the default for the priority; browsers with
    JavaScript keep it in step with the priority until someone picks a date."""

    class Meta:
        model = ActionItem
        fields = ["title", "kind", "owner", "priority", "due_date", "tracker_url", "description"]
        formfield_callback = https_by_default
        widgets = {
            "due_date": DateInput,
            "description": forms.Textarea(attrs={"rows": 3}),
            # Rendered in Python: the owner select lists every person (core.forms.Select).
            **dict.fromkeys(("kind", "owner", "priority"), Select),
        }

    def __init__(self, *args, today: date, **kwargs):
        kwargs.setdefault("prefix", NEW_ITEM_PREFIX)
        super().__init__(*args, **kwargs)
        self._set_up_fields(today)
        suggested = {
            priority: default_due_date(priority, start=today).isoformat()
            for priority in Priority.values
        }
        self.fields["priority"].widget.attrs["data-due-defaults"] = json.dumps(suggested)
        due = self.fields["due_date"]
        due.widget.attrs["data-suggested-due"] = ""
        due.initial = suggested[Priority.P2]
        due.help_text = _default_weeks_help()


class ActionItemUpdateForm(_ActionItemFieldsMixin, VersionedModelForm):
    """Change an item. Moving its due date needs a reason; Won't do needs one too."""

    reason = forms.CharField(
        label=_("Reason for the new date"),
        required=False,
        max_length=1000,
        widget=forms.TextInput,
        help_text=_("Needed when the due date changes; kept in the item's history."),
    )

    class Meta:
        model = ActionItem
        fields = [
            "title",
            "kind",
            "owner",
            "priority",
            "status",
            "due_date",
            "tracker_url",
            "description",
            "resolution_note",
            "evidence_url",
            "evidence_note",
            "verify_by",
        ]
        formfield_callback = https_by_default
        widgets = {
            **dict.fromkeys(("kind", "owner", "priority", "status"), Select),
            "due_date": DateInput,
            "verify_by": DateInput,
            "description": forms.Textarea(attrs={"rows": 4}),
            "resolution_note": forms.Textarea(attrs={"rows": 2}),
            "evidence_note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, today: date, **kwargs):
        kwargs.setdefault("prefix", f"action-{kwargs['instance'].pk}")
        super().__init__(*args, **kwargs)
        self._set_up_fields(today)
        self.fields["due_date"].required = self.instance.due_date is not None
        # Its text belongs to the postmortem's document; tracking goes on when that is frozen.
        frozen = document_change_refusal(self.instance.postmortem)
        for name in TEXT_FIELDS if frozen else ():
            self.fields[name].disabled = True
            self.fields[name].help_text = frozen

    def clean(self):
        cleaned = super().clean()
        if (
            "due_date" in self.changed_data
            and self.initial.get("due_date") is not None
            and not (cleaned.get("reason") or "").strip()
        ):
            self.add_error(
                "reason", _("Say why the due date moves: it is kept in the item's history.")
            )
        if (
            cleaned.get("status") == ActionStatus.WONT_DO
            and not (cleaned.get("resolution_note") or "").strip()
        ):
            self.add_error("resolution_note", _("Say why this will not be done."))
        return cleaned


class StatusForm(forms.Form):
    """One-click status changes (Start, Done, Reopen) with an optional note."""

    status = forms.ChoiceField(choices=ActionStatus.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.TextInput)
    # Done on a prevent or detect item needs one of these (actions.services checks).
    evidence_url = forms.URLField(
        label=_("Evidence link"), required=False, assume_scheme="https", max_length=500
    )
    evidence_note = forms.CharField(label=_("Evidence note"), required=False, widget=forms.Textarea)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cap_text_length(self.fields["evidence_note"], NOTE_MAX_LENGTH)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == ActionStatus.WONT_DO and not cleaned.get("note", "").strip():
            self.add_error("note", _("Say why this will not be done."))
        return cleaned

    def apply(self, item, *, changed_by):
        """Change the valid form's status on ``item``; ``ActionItemError`` when a rule refuses."""
        return action_item_set_status(
            item=item,
            status=self.cleaned_data["status"],
            changed_by=changed_by,
            note=self.cleaned_data["note"],
            evidence_url=self.cleaned_data["evidence_url"],
            evidence_note=self.cleaned_data["evidence_note"],
        )


class VerifyForm(forms.Form):
    """ "The fix worked", checked on a day (actions.services.action_item_verify has the rules)."""

    verified_on = BoundedDateField(label=_("Checked on"))
    note = forms.CharField(label=_("How you checked (optional)"), required=False, max_length=2000)


class DashboardFilterForm(forms.Form):
    """The dashboard's filters, read from the query string. Bad values are ignored, not fatal."""

    service = forms.ChoiceField(label=_("Service"), required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    # Items whose owner is in the team (not the team's services: managers follow up people).
    team = TeamFilterField(help_text=_("Items owned by the team's members."))
    priority = forms.MultipleChoiceField(
        label=_("Priority"), choices=Priority.choices, required=False
    )
    status = forms.MultipleChoiceField(
        label=_("Status"), choices=ActionStatus.choices, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One query each; owners include deactivated people who still own items.
        self.fields["service"].choices = [
            ("", _("Any service")),
            ("none", _("No service")),
            *Service.objects.values_list("slug", "name"),
        ]
        users = (
            get_user_model()
            .objects.filter(
                Q(is_active=True) | Exists(ActionItem.objects.filter(owner=OuterRef("pk")))
            )
            .order_by("first_name", "last_name", "username")
        )
        self.fields["owner"].choices = [
            ("", _("Anyone")),
            ("none", _("No owner")),
            *((str(user.pk), user.display_name) for user in users),
        ]

    def filters(self) -> dict:
        """The valid filters only: a mistyped value in the URL should not hide the whole page."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


DUE_CHOICES = [
    ("", _("Any time")),
    ("to_do", _("Still to do, any date")),
    ("overdue", _("Overdue")),
    ("age_0_7", _("Overdue 0–7 days")),
    ("age_8_30", _("Overdue 8–30 days")),
    ("age_31_plus", _("Overdue 31+ days")),
    ("next_14", _("Due in the next 14 days")),
    ("no_date", _("No due date")),
]


class ActionItemFilterForm(DashboardFilterForm):
    q = forms.CharField(label=_("Title"), required=False)
    incident = forms.CharField(label=_("Incident"), required=False, max_length=20)
    kind = forms.MultipleChoiceField(label=_("Kind"), choices=ActionKind.choices, required=False)
    severity = forms.MultipleChoiceField(
        label=_("Incident severity"), choices=Severity.choices, required=False
    )
    due = forms.ChoiceField(label=_("Due"), choices=DUE_CHOICES, required=False)
    due_from = BoundedDateField(label=_("Due from"), required=False)
    due_to = BoundedDateField(label=_("Due until"), required=False)
    completed_from = BoundedDateField(label=_("Completed from"), required=False)
    completed_to = BoundedDateField(label=_("Completed until"), required=False)
    on_time = forms.ChoiceField(
        label=_("Completed on time"),
        required=False,
        choices=[("", _("Either")), ("yes", _("On time")), ("no", _("Late"))],
    )
    verification = forms.ChoiceField(
        label=_("Verification"),
        required=False,
        choices=[
            ("", _("Any")),
            ("verified", _("Verified")),
            ("overdue", _("Verification overdue")),
        ],
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("due", _("Overdue first, then due date")),
            ("priority", _("Priority")),
            ("newest", _("Newest first")),
            ("updated", _("Recently updated")),
        ],
    )

    def clean_incident(self):
        reference = self.cleaned_data["incident"].strip()
        if reference and Incident.number_from_reference(reference) is None:
            raise forms.ValidationError(_("Use an incident reference such as INC-12."))
        return reference.upper()
