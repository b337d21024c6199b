"""The API's JSON: what each resource shows, and the shape of what may be sent. The rules for
sent values are the pages' own forms (see views.py); these fields describe them in the schema."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from actions.models import ActionItem, ActionKind, ActionStatus, Priority
from api.models import AccessScope
from incidents.models import Incident, Service, Tag, TimelineEntry, TimelineKind
from postmortems.factors import postmortem_factors
from postmortems.models import Comment, ContributingFactor, Postmortem
from postmortems.sections import SECTIONS


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")


class ServiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["slug", "name", "description"]


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["slug", "name"]


@extend_schema_field(OpenApiTypes.URI)
class PageField(serializers.CharField):
    """Where a person sees it in Hindsight: an absolute link, as in emails."""

    def __init__(self, **kwargs):
        super().__init__(source="get_absolute_url", read_only=True, **kwargs)

    def to_representation(self, value):
        return f"{settings.SITE_URL}{value}"


class VersionField(serializers.CharField):
    """An edit's starting point: the ``updated_at`` the change checks against."""

    def __init__(self, **kwargs):
        super().__init__(source="updated_at", read_only=True, **kwargs)

    def to_representation(self, value):
        return value.isoformat()


class IncidentSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    services = ServiceSerializer(many=True, read_only=True)
    tags = TagSerializer(many=True, read_only=True)
    commander = PersonSerializer(read_only=True, allow_null=True)
    page = PageField()

    class Meta:
        model = Incident
        fields = [
            "reference",
            "title",
            "severity",
            "status",
            "services",
            "tags",
            "commander",
            "started_at",
            "detected_at",
            "mitigated_at",
            "resolved_at",
            "customer_impact",
            "customer_impact_html",
            # Only those who may see a restricted incident get it at all (IncidentViewSet).
            "restricted",
            "created_at",
            "updated_at",
            "page",
        ]


class TimelineEntrySerializer(serializers.ModelSerializer):
    incident = serializers.CharField(source="incident.reference", read_only=True)
    author = PersonSerializer(read_only=True)
    version = VersionField()

    class Meta:
        model = TimelineEntry
        fields = [
            "id",
            "incident",
            "occurred_at",
            "kind",
            "body",
            "body_html",
            "source_url",
            "author",
            "created_at",
            "updated_at",
            "version",
        ]


class TimelineEntryCreateSerializer(serializers.Serializer):
    occurred_at = serializers.DateTimeField(
        help_text=_("ISO 8601; without an offset, in your time zone.")
    )
    kind = serializers.ChoiceField(choices=TimelineKind.choices, required=False)
    body = serializers.CharField(help_text=_("What happened. Markdown."), trim_whitespace=False)
    source_url = serializers.CharField(required=False, allow_blank=True, max_length=500)


class PostmortemSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="incident.reference", read_only=True)
    title = serializers.CharField(read_only=True)
    author = PersonSerializer(read_only=True)
    page = PageField()

    class Meta:
        model = Postmortem
        fields = [
            "reference",
            "title",
            "status",
            "version",
            "author",
            "published_at",
            "created_at",
            "updated_at",
            "page",
        ]


def _section_fields(**options) -> dict:
    return {
        section.field: serializers.CharField(help_text=str(section.help_text), **options)
        for section in SECTIONS
    }


SectionTextsSerializer = type(
    "SectionTextsSerializer",
    (serializers.Serializer,),
    {
        **_section_fields(required=False, allow_blank=True, trim_whitespace=False),
        "__doc__": "Markdown text of each section, by name.",
    },
)


class ContributingFactorSerializer(serializers.ModelSerializer):
    """A way the incident came about, as its postmortem found it."""

    category = serializers.CharField(
        source="category.name", help_text=_("The category, e.g. “Configuration change”.")
    )
    top_category = serializers.CharField(
        source="category.top.name", help_text=_("Its top-level category, e.g. “Technical”.")
    )
    timeline_entries = serializers.SerializerMethodField(
        help_text=_("The ids of the incident's timeline entries that show it.")
    )

    class Meta:
        model = ContributingFactor
        fields = ["id", "category", "top_category", "description", "timeline_entries"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_timeline_entries(self, factor) -> list[int]:
        return [entry.pk for entry in factor.entries]  # prefetched by factor_list


class PostmortemDetailSerializer(PostmortemSerializer):
    co_authors = PersonSerializer(many=True, read_only=True)
    sections = serializers.SerializerMethodField()
    contributing_factors = serializers.SerializerMethodField()

    class Meta(PostmortemSerializer.Meta):
        fields = [
            *PostmortemSerializer.Meta.fields,
            "co_authors",
            "sections",
            "contributing_factors",
        ]

    def get_sections(self, postmortem) -> SectionTextsSerializer:
        return postmortem.section_texts()

    @extend_schema_field(ContributingFactorSerializer(many=True))
    def get_contributing_factors(self, postmortem):
        return ContributingFactorSerializer(postmortem_factors(postmortem), many=True).data


class SectionsUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,  # the column's range
        help_text=_("The postmortem's version the text was edited from (from GET)."),
    )
    sections = SectionTextsSerializer(help_text=_("Only the sections to change."))


class CommentSerializer(serializers.ModelSerializer):
    author = PersonSerializer(read_only=True)
    resolved_by = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Comment
        fields = [
            "id",
            "parent",
            "section",
            "body",
            "body_html",
            "author",
            "created_at",
            "resolved_at",
            "resolved_by",
        ]


class ActionItemSerializer(serializers.ModelSerializer):
    postmortem = serializers.CharField(source="postmortem.incident.reference", read_only=True)
    owner = PersonSerializer(read_only=True, allow_null=True)
    page = PageField()
    version = VersionField()

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "postmortem",
            "title",
            "kind",
            "priority",
            "status",
            "owner",
            "due_date",
            "description",
            "description_html",
            "resolution_note",
            "tracker_url",
            "completed_at",
            "evidence_url",
            "evidence_note",
            "verify_by",
            "verified_on",
            "created_at",
            "updated_at",
            "version",
            "page",
        ]


class ActionItemFieldsSerializer(serializers.Serializer):
    """What the add and edit forms share."""

    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=ActionKind.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    owner = serializers.IntegerField(
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,  # the id column's range
        help_text=_("A person's id; null for nobody yet."),
    )
    due_date = serializers.DateField(allow_null=True)
    tracker_url = serializers.CharField(allow_blank=True, max_length=500)
    description = serializers.CharField(allow_blank=True, trim_whitespace=False)


class ActionItemCreateSerializer(ActionItemFieldsSerializer):
    postmortem = serializers.CharField(
        max_length=20, help_text=_("The incident reference of the postmortem, e.g. INC-12.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("kind", "priority", "owner", "due_date", "tracker_url", "description"):
            self.fields[name].required = False
        self.fields["due_date"].help_text = _("Default: the priority's usual time from today.")


class ActionItemUpdateSerializer(ActionItemFieldsSerializer):
    status = serializers.ChoiceField(choices=ActionStatus.choices)
    resolution_note = serializers.CharField(allow_blank=True, trim_whitespace=False)
    reason = serializers.CharField(
        allow_blank=True, help_text=_("Needed when the due date moves; kept in the history.")
    )
    version = serializers.CharField(
        help_text=_(
            "The item's version (from GET) the change was made from: refused with 409 when "
            "someone changed the item since. Leave out to change whatever it is now."
        )
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class ActionItemStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ActionStatus.choices)
    note = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Needed for wont_do: why.")
    )
    evidence_url = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("For done on a prevent or detect item: a link showing the fix (or a note)."),
    )
    evidence_note = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("For done on a prevent or detect item: what shows the fix (or a link)."),
    )


class AccessTokenSerializer(serializers.Serializer):
    name = serializers.CharField()
    scope = serializers.ChoiceField(choices=AccessScope.choices)
    expires_at = serializers.DateTimeField()


class MeSerializer(serializers.Serializer):
    user = PersonSerializer()
    token = AccessTokenSerializer(
        allow_null=True, help_text=_("The token used; null when signed in by session.")
    )
