from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdminMixin
from outbox.models import OutgoingEmail
from outbox.services import retry_now


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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
    actions = ["retry_now_action"]
    fields = (
        "kind",
        "to",
        "reply_to",
        "subject",
        "body",
        "html",
        "message_id",
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

    @admin.display(description=_("to"))
    def recipients(self, email):
        return ", ".join(email.to)

    @admin.action(description=_("Retry now"))
    def retry_now_action(self, request, queryset):
        scheduled = retry_now(emails=queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d email will be delivered again now.",
                "%(count)d emails will be delivered again now.",
                scheduled,
            )
            % {"count": scheduled},
            messages.SUCCESS,
        )
