from django import forms
from django.contrib import admin
from django.db.models import Count, F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin
from postmortems.models import (
    Amendment,
    AuditEntry,
    BlamelessPhrase,
    DocumentChange,
    FactorCategory,
    Postmortem,
    PostmortemPolicy,
    PostmortemRequirement,
    PostmortemTemplate,
    ReviewRequest,
    Revision,
)
from postmortems.sections import SECTIONS


def _prompt_field(section):
    return forms.CharField(
        label=section.title,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
    )


class _PromptsForm(forms.ModelForm):
    """One text box per section instead of raw JSON."""

    class Meta:
        model = PostmortemTemplate
        fields = ["name", "description", "position", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for section in SECTIONS:
            self.fields[f"prompt_{section.field}"].initial = self.instance.prompt_for(section.field)

    def save(self, commit=True):
        self.instance.prompts = {
            section.field: self.cleaned_data[f"prompt_{section.field}"]
            for section in SECTIONS
            if self.cleaned_data[f"prompt_{section.field}"]
        }
        return super().save(commit)


# The prompt fields must be declared on the class for the admin to accept them.
PostmortemTemplateForm = type(
    "PostmortemTemplateForm",
    (_PromptsForm,),
    {f"prompt_{section.field}": _prompt_field(section) for section in SECTIONS},
)


@admin.register(PostmortemTemplate)
class PostmortemTemplateAdmin(admin.ModelAdmin):
    form = PostmortemTemplateForm
    list_display = ("name", "description", "position", "is_active")
    list_editable = ("position", "is_active")

    def get_fields(self, request, obj=None):
        return ["name", "description", "position", "is_active"] + [
            f"prompt_{section.field}" for section in SECTIONS
        ]


class FactorSubCategoryInline(admin.TabularInline):
    model = FactorCategory
    fk_name = "parent"
    fields = ("name", "description", "position", "is_active")
    extra = 0
    verbose_name = _("sub-category")
    verbose_name_plural = _("sub-categories")


@admin.register(FactorCategory)
class FactorCategoryAdmin(admin.ModelAdmin):
    """The taxonomy of contributing factors. Retire a category (untick “offered to writers”)
    rather than delete it: postmortems that used it keep it, and it cannot be deleted while
    they do."""

    list_display = ("__str__", "position", "is_active", "factor_count")
    list_filter = ("is_active", ("parent", admin.RelatedOnlyFieldListFilter))
    list_editable = ("position", "is_active")
    search_fields = ("name", "description")
    inlines = [FactorSubCategoryInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("parent")
            .annotate(factor_count=Count("factors"))
        )

    def get_ordering(self, request):
        # Each top-level category followed by its sub-categories.
        return [
            Coalesce("parent__position", "position").asc(),
            Coalesce("parent_id", "id").asc(),
            F("parent_id").asc(nulls_first=True),
            F("position").asc(),
            F("name").asc(),
        ]

    @admin.display(description=_("factors"), ordering="factor_count")
    def factor_count(self, category):
        return category.factor_count

    def get_inlines(self, request, obj):
        # Sub-categories have no sub-categories of their own.
        return [] if obj is not None and obj.parent_id else self.inlines


@admin.register(BlamelessPhrase)
class BlamelessPhraseAdmin(admin.ModelAdmin):
    list_display = ("pattern", "example", "suggestion", "is_active")
    list_editable = ("is_active",)
    search_fields = ("pattern", "example", "suggestion")


class RevisionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Revision
    extra = 0
    fields = ("number", "author", "created_at", "changed_sections", "note")


class ReviewRequestInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ReviewRequest
    extra = 0
    fields = (
        "reviewer",
        "requested_by",
        "requested_at",
        "approved_at",
        "approved_version",
        "voided_at",
        "changes_requested_at",
    )


class AmendmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Amendment
    extra = 0
    fields = ("opened_at", "opened_by", "reason", "status", "closed_at", "closed_by")


class DocumentChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DocumentChange
    extra = 0
    fields = ("created_at", "actor", "round", "content_version", "amendment", "description")


class AuditEntryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AuditEntry
    extra = 0
    fields = ("created_at", "actor", "action", "from_status", "to_status", "reason")


@admin.register(Postmortem)
class PostmortemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: a postmortem's text, writers, state, approvals and publication change only
    through its pages (postmortems/review.py), where every change is checked, versioned and
    audited, for staff as for everyone."""

    list_display = ("incident", "author", "status", "version", "updated_at")
    list_filter = ("status",)
    search_fields = ("incident__title",)
    inlines = [
        ReviewRequestInline,
        AmendmentInline,
        RevisionInline,
        DocumentChangeInline,
        AuditEntryInline,
    ]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "postmortem", "actor", "action", "from_status", "to_status")
    list_filter = ("action",)
    fields = (
        "id",
        "created_at",
        "postmortem",
        "actor",
        "action",
        "from_status",
        "to_status",
        "reason",
        "prev_hash",
        "hash",
    )


@admin.register(PostmortemPolicy)
class PostmortemPolicyAdmin(admin.ModelAdmin):
    list_display = ["severity", "required", "due_business_days"]
    list_editable = ["required", "due_business_days"]


@admin.register(PostmortemRequirement)
class PostmortemRequirementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Owners and exemptions change through the incident page (postmortems/requirements.py)."""

    list_display = ["incident", "owner", "due_on", "exempted_by", "exempted_at"]
    list_select_related = ["incident", "owner", "exempted_by"]
    fields = [
        "incident",
        "owner",
        "due_on",
        "assigned_at",
        "exempted_by",
        "exempted_at",
        "exemption_reason",
    ]
