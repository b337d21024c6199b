from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from core.models import Team, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Preferences"), {"fields": ("time_zone", "language")}),
        (_("Single sign-on"), {"fields": ("sso_subject",)}),
    )
    list_display = ("username", "email", "first_name", "last_name", "is_staff")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "manager")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)


class ReadOnlyAdminMixin:
    """For records that change only through the app's own workflow (states, approvals, history,
    the audit trail): staff may look, but not add, change or delete, superusers included."""

    def get_readonly_fields(self, request, obj=None):
        # All of them, which also lets non-editable ones (auto_now_add) be listed in `fields`.
        return self.fields or [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
