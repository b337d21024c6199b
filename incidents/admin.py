from django.contrib import admin

from incidents.models import Incident, Service, Tag, TimelineEntry


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


class TimelineEntryInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    fields = ("occurred_at", "kind", "body", "author", "source_url")
    raw_id_fields = ("author",)


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("reference", "title", "severity", "status", "started_at")
    list_filter = ("severity", "status", "services")
    search_fields = ("title",)
    date_hierarchy = "started_at"
    filter_horizontal = ("services", "tags")
    raw_id_fields = ("commander", "created_by")
    inlines = [TimelineEntryInline]
