from django import forms
from django.contrib import admin

from postmortems.models import BlamelessPhrase, Postmortem, PostmortemTemplate, Revision
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


@admin.register(BlamelessPhrase)
class BlamelessPhraseAdmin(admin.ModelAdmin):
    list_display = ("pattern", "example", "suggestion", "is_active")
    list_editable = ("is_active",)
    search_fields = ("pattern", "example", "suggestion")


class RevisionInline(admin.TabularInline):
    model = Revision
    extra = 0
    can_delete = False
    fields = ("number", "author", "created_at", "changed_sections", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Postmortem)
class PostmortemAdmin(admin.ModelAdmin):
    list_display = ("incident", "author", "status", "version", "updated_at")
    list_filter = ("status",)
    search_fields = ("incident__title",)
    raw_id_fields = ("incident", "author")
    filter_horizontal = ("co_authors",)
    # The review workflow's own records: changed only through its services.
    readonly_fields = ("version", "content_version", "review_round", "published_record")
    exclude = ("past_writers",)
    inlines = [RevisionInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Whoever is made a writer here has written it, as through the postmortem's own page.
        postmortem = form.instance
        postmortem.past_writers.add(postmortem.author, *postmortem.co_authors.all())
