from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from outbox.admin import DeliveryAdminMixin
from outbox.models import DeliveryStatus
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookEvent.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every event."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("name", "url", "format", "events", "is_active")

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError(_("Give an http:// or https:// address."))
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Staff register endpoints here. The signing secret is shown once, on creation or when
    rotated; each endpoint links to its delivery log."""

    form = WebhookEndpointForm
    list_display = ("name", "url", "format", "is_active", "failing", "delivery_log")
    list_filter = ("is_active", "format")
    search_fields = ("name", "url")
    readonly_fields = ("delivery_log", "created_by", "created_at")
    actions = ["rotate_secret"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                failing_count=Count(
                    "deliveries",
                    filter=Q(deliveries__status=DeliveryStatus.FAILED)
                    | Q(deliveries__status=DeliveryStatus.PENDING, deliveries__attempts__gt=0),
                )
            )
        )

    def get_fields(self, request, obj=None):
        fields = ["name", "url", "format", "events", "is_active"]
        return fields + (["delivery_log", "created_by", "created_at"] if obj else [])

    @admin.display(description=_("failing"), ordering="failing_count")
    def failing(self, endpoint):
        return getattr(endpoint, "failing_count", 0)

    @admin.display(description=_("delivery log"))
    def delivery_log(self, endpoint):
        url = reverse("admin:webhooks_webhookdelivery_changelist")
        return format_html(
            '<a href="{}?endpoint__id__exact={}">{}</a>', url, endpoint.pk, _("Deliveries")
        )

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        endpoint, secret = services.endpoint_create(
            name=obj.name,
            url=obj.url,
            format=obj.format,
            events=form.cleaned_data["events"],
            created_by=request.user,
        )
        obj.pk = endpoint.pk
        obj._state.adding = False
        request._webhook_secret = secret

    def response_add(self, request, obj, post_url_continue=None):
        return self._show_secret(request, obj, request._webhook_secret)

    def _show_secret(self, request, endpoint, secret):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Signing secret of %(name)s") % {"name": endpoint.name},
            "endpoint": endpoint,
            "secret": secret,
            "opts": self.model._meta,
        }
        # The admin marks every response never_cache, so the secret is not kept by a browser.
        return TemplateResponse(request, "webhooks/secret_shown_once.html", context)

    @admin.action(description=_("Rotate the signing secret (shows the new one once)"))
    def rotate_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(
                request, _("Choose one endpoint to rotate its secret."), messages.ERROR
            )
            return None
        endpoint = queryset.get()
        return self._show_secret(
            request, endpoint, services.endpoint_rotate_secret(endpoint=endpoint)
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(DeliveryAdminMixin, admin.ModelAdmin):
    """Every endpoint's delivery log: what was sent, each attempt's answer, what will be tried
    again. Read-only; staff may "Retry now"."""

    list_display = (
        "created_at",
        "endpoint",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "event", "endpoint")
    list_select_related = ("endpoint",)
    date_hierarchy = "created_at"
    fields = (
        "endpoint",
        "event",
        "payload",
        "last_status_code",
        *DeliveryAdminMixin.state_fields,
    )

    def retried_message(self, count: int) -> str:
        return ngettext(
            "%(count)d delivery will be attempted again now.",
            "%(count)d deliveries will be attempted again now.",
            count,
        ) % {"count": count}
