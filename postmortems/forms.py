from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.utils.translation import gettext_lazy as _

from core.forms import (
    ENTRY_MAX_LENGTH,
    LONG_TEXT_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    SECTION_MAX_LENGTH,
    FilterForm,
    OneSubmissionMixin,
    Select,
    TeamFilterField,
    cap_text_length,
)
from core.models import Role
from incidents.models import Service, Severity
from postmortems.anchors import CONTEXT_MAX_LENGTH, QUOTE_MAX_LENGTH
from postmortems.factors import category_choices, entry_label
from postmortems.models import (
    FACTOR_DESCRIPTION_MAX_LENGTH,
    FACTOR_DESCRIPTION_MIN_LENGTH,
    SURVEY_QUESTIONS,
    Comment,
    FactorCategory,
    PostmortemStatus,
    PostmortemTemplate,
    SurveyRating,
)
from postmortems.sections import AMENDABLE_SECTIONS, SECTIONS, SECTIONS_BY_FIELD


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

    def __init__(self, *args, sections=SECTIONS, guidance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.sections = list(sections)
        guidance = guidance or {}
        for section in self.sections:
            self.fields[section.field] = field = forms.CharField(
                label=section.title,
                help_text=section.help_text,
                required=False,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 8, "class": "section-input"}),
            )
            # The template's prompt for this section, shown under its box.
            field.guidance = guidance.get(section.field, "")
            cap_text_length(field, SECTION_MAX_LENGTH)

    @classmethod
    def for_section(cls, field: str, *args, **kwargs):
        return cls(*args, sections=[SECTIONS_BY_FIELD[field]], **kwargs)

    def texts(self) -> dict[str, str]:
        return {section.field: self.cleaned_data[section.field] for section in self.sections}

    def section_fields(self):
        return [self[section.field] for section in self.sections]


class AmendmentTextForm(SectionsForm):
    """The proposed text of an amendment: every section, and the public title and summary.
    ``version`` is the postmortem's content version the editor started from."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, sections=AMENDABLE_SECTIONS, **kwargs)
        self.fields["public_title"].widget = forms.TextInput()
        self.fields["public_title"].max_length = 200


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give a reason: it is kept in the activity.")},
    )


class ExemptionForm(forms.Form):
    reason = forms.CharField(
        label=_("Why does this incident need no postmortem?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why this incident needs no postmortem.")},
    )


class WithdrawApprovalForm(ReasonForm):
    pass


class StartAmendmentForm(ReasonForm):
    reason = forms.CharField(
        label=_("Why are you amending it?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Readers see this reason beside the change."),
        error_messages={"required": _("Say why you are amending it: readers see the reason.")},
    )


class ApproveAmendmentForm(forms.Form):
    seen_version = forms.IntegerField(widget=forms.HiddenInput)


class CoAuthorsForm(forms.Form):
    co_authors = forms.ModelMultipleChoiceField(
        label=_("Co-authors"),
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("People who may edit this postmortem with you."),
    )


class PostmortemFilterForm(FilterForm):
    q = forms.CharField(label=_("Incident title"), required=False)
    team = TeamFilterField()
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *PostmortemStatus.choices],
    )


class RequestReviewForm(forms.Form):
    reviewers = forms.ModelMultipleChoiceField(
        label=_("Reviewers"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one reviewer.")},
    )

    def __init__(self, *args, postmortem, **kwargs):
        super().__init__(*args, **kwargs)
        # Nothing is read until the form is shown or checked: the review page builds it for
        # every reader, and shows it only to a draft's writers.
        self.fields["reviewers"].queryset = (
            get_user_model()
            .objects.filter(groups__name=Role.REVIEWER, is_active=True)
            .exclude(pk__in=[postmortem.author_id, *(c.pk for c in postmortem.co_authors.all())])
            .exclude(pk__in=postmortem.past_writers.values("pk"))
            .order_by("first_name", "username")
        )
        if not self.is_bound:
            self.fields["reviewers"].initial = lambda: [
                r.reviewer_id for r in postmortem.review_requests.all()
            ]


class RequestChangesForm(forms.Form):
    comment = forms.CharField(
        label=_("What needs to change"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say what needs to change: the comment is required.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cap_text_length(self.fields["comment"], ENTRY_MAX_LENGTH)


class ApproveForm(forms.Form):
    no_actions_needed = forms.BooleanField(
        label=_("I confirm no action items are needed"), required=False
    )
    override_reason = forms.CharField(
        label=_("Reason to approve despite open comments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cap_text_length(self.fields["override_reason"], NOTE_MAX_LENGTH)


class PublishForm(forms.Form):
    make_public = forms.BooleanField(
        label=_("Also publish the public summary for customers"), required=False
    )
    public_title = forms.CharField(label=_("Public title"), max_length=200, required=False)
    public_summary = forms.CharField(
        label=_("Public summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Written for customers: what they saw, when, and what we are doing about it. No "
            "internal names, systems or people. Only this and the title are shown publicly."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cap_text_length(self.fields["public_summary"], LONG_TEXT_MAX_LENGTH)


class CommentForm(OneSubmissionMixin, forms.ModelForm):
    parent = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=2**63 - 1
    )
    quote = forms.CharField(
        label=_("Quoted text (optional)"),
        required=False,
        strip=True,
        help_text=_("Select text in the section and use “Comment on selection”, or type it."),
    )
    # The text either side of the quote: kept short, whatever the page sends.
    quote_prefix = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)
    quote_suffix = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)
    suggestion = forms.CharField(
        label=_("Suggested replacement for the quote (optional)"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("A writer can accept it in one click: it replaces the quoted text."),
    )

    class Meta:
        model = Comment
        fields = ["section", "body"]
        # The section select renders in Python (core.forms.Select): same HTML, less time.
        widgets = {"section": Select, "body": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cap_text_length(self.fields["body"], ENTRY_MAX_LENGTH)
        cap_text_length(self.fields["quote"], QUOTE_MAX_LENGTH)
        cap_text_length(self.fields["suggestion"], ENTRY_MAX_LENGTH)
        self.fields["section"].choices = [
            ("", _("The whole postmortem")),
            *(choice for choice in self.fields["section"].choices if choice[0]),
        ]

    def clean_quote_prefix(self):
        return self.cleaned_data["quote_prefix"][-CONTEXT_MAX_LENGTH * 4 :]

    def clean_quote_suffix(self):
        return self.cleaned_data["quote_suffix"][: CONTEXT_MAX_LENGTH * 4]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("suggestion", "").strip() and not cleaned.get("quote"):
            self.add_error("suggestion", _("Quote the text the suggestion replaces."))
        return cleaned


class LibraryFilterForm(FilterForm):
    q = forms.CharField(label=_("Title"), required=False)
    severity = forms.MultipleChoiceField(
        label=_("Severity"), choices=Severity.choices, required=False
    )
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.all(), required=False, to_field_name="slug"
    )
    team = TeamFilterField()


class ReviewQueueFilterForm(FilterForm):
    team = TeamFilterField()


SURVEY_COMMENT_MAX_LENGTH = 2000


class SurveyAnswerForm(forms.Form):
    """The questionnaire about a published postmortem: four questions, yes, partly or no, and
    an optional comment. Nothing in it names the person."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field, question, _short in SURVEY_QUESTIONS:
            self.fields[field] = forms.ChoiceField(
                label=question,
                choices=SurveyRating.choices,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                error_messages={"required": _("Answer this question: yes, partly or no.")},
            )
        self.fields["comment"] = forms.CharField(
            label=_("Anything else?"),
            required=False,
            max_length=SURVEY_COMMENT_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=_(
                "Optional. Readers see it once enough people answered, without your name, among "
                "the other comments in alphabetical order. Leave out what would tell it is you."
            ),
        )

    @property
    def questions(self):
        return [self[field] for field, _question, _short in SURVEY_QUESTIONS]

    @property
    def ratings(self) -> dict[str, str]:
        return {field: self.cleaned_data[field] for field, _question, _short in SURVEY_QUESTIONS}


class FactorForm(forms.Form):
    """A contributing factor: its category (grouped under top-level ones), a short
    description, and the timeline entries of the postmortem's incident that show it."""

    category = forms.TypedChoiceField(
        label=_("Category"),
        coerce=int,
        error_messages={
            "required": _("Choose the category that fits best."),
            "invalid_choice": _("Choose one of the categories offered."),
        },
    )
    # No maxlength attribute (a browser would cut a long paste short without a word): the
    # validators say how long it is.
    description = forms.CharField(
        label=_("Description"),
        help_text=_(
            "How it contributed, in a sentence, e.g. “The config change skipped the canary stage”."
        ),
        validators=[
            MinLengthValidator(
                FACTOR_DESCRIPTION_MIN_LENGTH,
                message=_(
                    "Describe the factor in a few words (at least %(limit_value)d characters)."
                ),
            ),
            MaxLengthValidator(
                FACTOR_DESCRIPTION_MAX_LENGTH,
                message=_(
                    "Keep the description under %(limit_value)d characters (it has "
                    "%(show_value)d): the sections are the place for the whole story."
                ),
            ),
        ],
        error_messages={"required": _("Describe the factor in a few words.")},
    )
    timeline_entries = forms.TypedMultipleChoiceField(
        label=_("Timeline entries that show it"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _(
                "Choose entries of this incident's timeline only (one chosen is not on it)."
            ),
        },
    )

    def __init__(self, *args, postmortem, factor=None, **kwargs):
        if factor is not None:
            kwargs["initial"] = {
                "category": factor.category_id,
                "description": factor.description,
                "timeline_entries": [entry.pk for entry in factor.timeline_entries.all()],
            }
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            ("", _("Choose a category")),
            *category_choices(keep=factor.category if factor else None),
        ]
        self.entries = {entry.pk: entry for entry in postmortem.incident.timeline_entries.all()}
        self.fields["timeline_entries"].choices = [
            (pk, entry_label(entry)) for pk, entry in self.entries.items()
        ]

    def clean_category(self):
        pk = self.cleaned_data["category"]
        category = FactorCategory.objects.select_related("parent").filter(pk=pk).first()
        if category is None:
            raise forms.ValidationError(_("Choose one of the categories offered."))
        return category

    def clean_description(self):
        return " ".join(self.cleaned_data["description"].split())

    def clean_timeline_entries(self):
        return [self.entries[pk] for pk in self.cleaned_data["timeline_entries"]]
