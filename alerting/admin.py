from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from alerting.models import AlertDelivery, AlertIntegration, SeverityRule
from core.admin import ReadOnlyAdminMixin


class SeverityTableFormSet(BaseInlineFormSet):
    """Two rows for one label value (in any case) would contradict each other: the database
    refuses them too, but only this says which."""

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            value = form.cleaned_data.get("label_value", "") if form.is_valid() else ""
            if not value or form.cleaned_data.get("DELETE"):
                continue
            if value.lower() in seen:
                form.add_error("label_value", _("This label value is in the table twice."))
            seen.add(value.lower())


class SeverityRuleInline(admin.TabularInline):
    model = SeverityRule
    formset = SeverityTableFormSet
    extra = 3


@admin.register(AlertIntegration)
class AlertIntegrationAdmin(admin.ModelAdmin):
    """Staff configure integrations here. A secret is issued when one is added (or its
    authentication changes) and by the "Issue a new secret" action, and shown that once."""

    list_display = ("name", "kind", "auth_method", "is_active", "reporter", "endpoint_path")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)
    readonly_fields = ("endpoint_path",)
    autocomplete_fields = ("reporter", "commander")
    inlines = [SeverityRuleInline]
    actions = ["issue_secret_action"]
    fieldsets = (
        (None, {"fields": ("name", "kind", "is_active", "endpoint_path", "auth_method")}),
        (_("Incidents"), {"fields": ("reporter", "commander", "mitigate_on_resolve")}),
        (_("Labels"), {"fields": ("severity_label", "default_severity", "service_label")}),
    )

    @admin.display(description=_("address"))
    def endpoint_path(self, integration):
        return integration.endpoint_path if integration.pk else "—"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change or "auth_method" in form.changed_data:
            request.issued_secrets = [(form.instance, form.instance.issue_secret())]

    def response_add(self, request, obj, post_url_continue=None):
        return self._show_secrets(request) or super().response_add(request, obj)

    def response_change(self, request, obj):
        return self._show_secrets(request) or super().response_change(request, obj)

    @admin.action(description=_("Issue a new secret"))
    def issue_secret_action(self, request, queryset):
        request.issued_secrets = [
            (integration, integration.issue_secret()) for integration in queryset
        ]
        return self._show_secrets(request)

    def _show_secrets(self, request):
        issued = getattr(request, "issued_secrets", None)
        if not issued:
            return None
        response = TemplateResponse(
            request,
            "admin/alerting/secret_issued.html",
            {
                **self.admin_site.each_context(request),
                "issued": [
                    (integration, request.build_absolute_uri(integration.endpoint_path), secret)
                    for integration, secret in issued
                ],
            },
        )
        response.headers["Cache-Control"] = "no-store"
        return response


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What each sender sent and what came of it. Read-only: it is a log."""

    list_display = (
        "received_at",
        "integration",
        "outcome",
        "status_code",
        "alert_count",
        "incident",
        "detail",
    )
    list_filter = ("outcome", "integration")
    list_select_related = ("integration", "incident")
    date_hierarchy = "received_at"
    fields = (
        "integration",
        "received_at",
        "outcome",
        "status_code",
        "detail",
        "incident",
        "group_key",
        "alert_count",
        "content_digest",
        "payload",
    )
