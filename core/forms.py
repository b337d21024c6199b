import hashlib
import uuid
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.validators import MaxLengthValidator
from django.db import IntegrityError, models, transaction
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext_lazy as _
from django_htmx.http import HttpResponseClientRedirect

from core.dates import DATE_INPUT_BOUNDS, DATETIME_INPUT_BOUNDS, validate_date_in_range
from core.models import FormSubmission, Team, User


def https_by_default(db_field, **kwargs):
    """A ModelForm ``formfield_callback``: a typed link with no scheme is taken as https."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class DateInput(forms.DateInput):
    """The browser's own date picker; ISO dates, which is what it reads and sends."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs={**DATE_INPUT_BOUNDS, **(attrs or {})}, format="%Y-%m-%d")


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's own date-and-time picker; values are in the user's time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs={**DATETIME_INPUT_BOUNDS, **(attrs or {})}, format="%Y-%m-%dT%H:%M")


# How much text a person may put in one field. Generous for real writing (the longest section
# of a thorough postmortem runs to a few thousand words, 20-30,000 characters), small enough
# that rendering, search and diffs of any field stay fast.
SECTION_MAX_LENGTH = 50_000
LONG_TEXT_MAX_LENGTH = 20_000  # customer impact, public summary, action item descriptions
ENTRY_MAX_LENGTH = 10_000  # timeline entries and comments
NOTE_MAX_LENGTH = 5_000  # resolution notes and reasons


class Select(forms.Select):
    """Django's select, rendered in Python to the same HTML as its templates
    (django/forms/widgets/select.html, select_option.html, attrs.html) when it has no option
    groups: a template per option costs more than the rest of a form, and an owner select
    lists every person. Anything else renders through the templates."""

    def render(self, name, value, attrs=None, renderer=None):
        if self.template_name != "django/forms/widgets/select.html":
            return super().render(name, value, attrs, renderer)
        context = self.get_context(name, value, attrs)["widget"]
        options = []
        for group_name, group_choices, _index in context["optgroups"]:
            if group_name:
                return super().render(name, value, attrs, renderer)
            for option in group_choices:
                if (
                    not isinstance(option["label"], (str, Promise))
                    or option["template_name"] != "django/forms/widgets/select_option.html"
                ):
                    return super().render(name, value, attrs, renderer)
                options.append(
                    f'\n  <option value="{_text(option["value"])}"'
                    f"{_html_attrs(option['attrs'])}>{conditional_escape(option['label'])}"
                    "</option>\n"
                )
        return mark_safe(
            f'<select name="{conditional_escape(context["name"])}"'
            f"{_html_attrs(context['attrs'])}>{''.join(options)}\n</select>"
        )


def _text(value) -> str:
    """``{{ value|stringformat:'s' }}``: escaped unless already safe."""
    return str(value) if isinstance(value, SafeData) else escape(str(value))


def _html_attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html in Python."""
    return "".join(
        f" {conditional_escape(name)}" + ("" if value is True else f'="{_text(value)}"')
        for name, value in attrs.items()
        if value is not False
    )


def cap_text_length(field: forms.CharField, limit: int) -> None:
    """Refuse text longer than ``limit`` with a message saying how long it is; the typed text
    stays in the form. No maxlength attribute: a browser would cut a long paste short
    without a word."""
    field.max_length = limit
    field.widget.attrs.pop("maxlength", None)
    field.validators.append(
        MaxLengthValidator(
            limit,
            message=_(
                "Keep this under %(limit_value)s characters (it has %(show_value)s): split it "
                "up, or link to a longer document."
            ),
        )
    )


class BoundedDateField(forms.DateField):
    """A date in the range Hindsight accepts (core.dates), with the browser's date picker."""

    widget = DateInput
    default_validators = [validate_date_in_range]


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


class OneSubmissionMixin:
    """For forms that create something: submitting the same rendered form twice (a double
    click, a request the browser sends again) creates it once.

    Each rendering carries a new one-time token. The view, inside the transaction that creates,
    calls ``claim_submission(request)`` first: a repeat gets a response leading to what the first
    submission created (concurrent repeats wait for the first to commit); otherwise it creates
    and calls ``record_submission(result)``.
    """

    already_submitted_message = _("That was already sent once; here is what it created.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["submission_token"] = forms.CharField(
            widget=forms.HiddenInput, required=False, initial=uuid.uuid4
        )
        self._submission = None

    def clean(self):
        cleaned = super().clean()
        # Read from the data when needed; not part of what is created.
        self.cleaned_data.pop("submission_token", None)
        return cleaned

    def _token(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(str(self.data.get(self.add_prefix("submission_token"), "")))
        except ValueError:
            return None

    def _content_digest(self) -> str:
        content = sorted(
            (key, self.data.getlist(key) if hasattr(self.data, "getlist") else self.data[key])
            for key in self.data
            if key != "csrfmiddlewaretoken"
        )
        return hashlib.sha256(repr(content).encode()).hexdigest()

    def claim_submission(self, request):
        """None when this submission should create (the caller then does, in the same
        transaction); for a repeat, a redirect (htmx: a client redirect) to what the first
        created, with a message."""
        if not transaction.get_connection().in_atomic_block:
            # Claimed and recorded in separate commits, a concurrent repeat would find the
            # claim without its result and create again.
            raise RuntimeError("claim_submission() needs the view's creating transaction.")
        token = self._token()
        if token is None:
            return None
        digest = self._content_digest()
        # A day is long enough to catch any repeat; older claims are just kept from piling up.
        FormSubmission.objects.filter(
            user=request.user, created_at__lt=timezone.now() - timedelta(days=1)
        ).delete()
        try:
            with transaction.atomic():
                self._submission = FormSubmission.objects.create(
                    user=request.user, token=token, content_digest=digest
                )
        except IntegrityError:
            earlier = FormSubmission.objects.get(user=request.user, token=token)
            if earlier.content_digest != digest or not earlier.result_url:
                return None
            messages.info(request, self.already_submitted_message)
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(earlier.result_url)
            return redirect(earlier.result_url)
        return None

    def record_submission(self, result) -> None:
        """Remember where the created ``result`` (an object with a page, or a URL) is shown."""
        if self._submission is not None:
            url = result if isinstance(result, str) else result.get_absolute_url()
            self._submission.result_url = url[:500]
            self._submission.save(update_fields=["result_url"])


class FilterForm(forms.Form):
    """A list page's filters, read from the query string. Pages show its errors (the
    ``includes/_filter_errors.html`` include) beside the fields as typed."""

    def filters(self) -> dict:
        """The valid filters only: a mistyped value in the URL should not hide the whole list."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


class TeamFilterField(forms.ModelChoiceField):
    """Any list's or the insights' team filter, a team by its slug (``?team=payments``); the
    ``includes/_team_filter.html`` include shows it. What belongs to a team is each page's:
    incidents (and their postmortems) through the services the team owns, action items
    through their owner's membership."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Team"))
        kwargs.setdefault("required", False)
        super().__init__(
            queryset=Team.objects.all(), to_field_name="slug", empty_label=_("Any team"), **kwargs
        )


class AccountSettingsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "time_zone", "language"]
        labels = {"language": _("Language")}
