from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from incidents import services
from incidents.models import (
    Incident,
    IncidentChange,
    Service,
    Tag,
    TimelineEntry,
    TimelineEntryChange,
)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "public_name", "team", "slug", "description")
    list_filter = ("team",)
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


class TimelineEntryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TimelineEntry
    extra = 0
    fields = ("occurred_at", "kind", "body", "author", "source_url")


class IncidentChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = IncidentChange
    extra = 0
    fields = ("changed_at", "changed_by", "field", "old_value", "new_value")


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Incidents are declared and changed on their pages, where every change is checked against
    their postmortem's state and recorded; here staff may look, and delete a duplicate that has
    no postmortem (one with a postmortem is protected)."""

    list_display = ("reference", "title", "severity", "status", "started_at")
    list_filter = ("severity", "status", "near_miss", "services")
    search_fields = ("title",)
    date_hierarchy = "started_at"
    inlines = [TimelineEntryInline, IncidentChangeInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.incident_delete(incident=obj)

    def delete_queryset(self, request, queryset):
        for incident in queryset:
            services.incident_delete(incident=incident)


@admin.register(TimelineEntryChange)
class TimelineEntryChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("entry", "action", "changed_by", "changed_at")
    list_filter = ("action",)


@admin.register(IncidentChange)
class IncidentChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("incident", "field", "old_value", "new_value", "changed_by", "changed_at")
    list_filter = ("field",)
