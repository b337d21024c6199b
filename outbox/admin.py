from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdminMixin
from outbox.models import OutgoingEmail
from outbox.services import retry_now


class DeliveryAdminMixin(ReadOnlyAdminMixin):
    """Any kind of Delivery: read-only, with "Retry now"."""

    actions = ["retry_now_action"]
    # How the attempts went, after what the row delivers.
    state_fields = (
        "status",
        "attempts",
        "last_error",
        "last_attempt_at",
        "next_attempt_at",
        "sent_at",
        "job_id",
        "created_at",
        "updated_at",
    )

    def retried_message(self, count: int) -> str:
        raise NotImplementedError

    @admin.action(description=_("Retry now"))
    def retry_now_action(self, request, queryset):
        scheduled = retry_now(deliveries=queryset)
        self.message_user(request, self.retried_message(scheduled), messages.SUCCESS)


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(DeliveryAdminMixin, admin.ModelAdmin):
    """What the worker delivered, is delivering, or gave up on. Read-only: the only change
    staff make is "Retry now"."""

    list_display = (
        "created_at",
        "kind",
        "recipients",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("subject", "to")
    date_hierarchy = "created_at"
    fields = (
        "kind",
        "to",
        "reply_to",
        "subject",
        "body",
        "html",
        "message_id",
        *DeliveryAdminMixin.state_fields,
    )

    @admin.display(description=_("to"))
    def recipients(self, email):
        return ", ".join(email.to)

    def retried_message(self, count: int) -> str:
        return ngettext(
            "%(count)d email will be delivered again now.",
            "%(count)d emails will be delivered again now.",
            count,
        ) % {"count": count}
