from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from actions.models import ActionItem, ActionItemChange, SentReminder
from actions.services import action_item_update
from core.admin import ReadOnlyAdminMixin


class ActionItemChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ActionItemChange
    extra = 0
    fields = ("changed_at", "field", "old_value", "new_value", "reason", "changed_by")


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ("title", "postmortem", "owner", "priority", "kind", "status", "due_date")
    list_filter = ("status", "priority", "kind")
    search_fields = ("title", "owner__username", "owner__first_name", "owner__last_name")
    date_hierarchy = "due_date"
    raw_id_fields = ("postmortem", "owner", "created_by")
    readonly_fields = ("completed_at", "created_at", "updated_at")
    inlines = [ActionItemChangeInline]

    def has_delete_permission(self, request, obj=None):
        # Deleting an item would take its history with it; close it as Won't do instead.
        return False

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField):
            kwargs.setdefault("assume_scheme", "https")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        """Edits here are recorded in the item's history like any other."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        # The model's clean() has already refused Won't do without a reason.
        action_item_update(
            item=obj, changed_by=request.user, reason=str(_("Changed in the admin."))
        )


@admin.register(SentReminder)
class SentReminderAdmin(admin.ModelAdmin):
    list_display = ("sent_on", "kind", "recipient", "subject", "sent_at")
    list_filter = ("kind", "sent_on")
    search_fields = ("recipient__username", "recipient__email", "subject")
    raw_id_fields = ("recipient",)
    readonly_fields = ("recipient", "kind", "sent_on", "sent_at", "subject", "item_ids")

    def has_add_permission(self, request):
        return False
