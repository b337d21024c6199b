from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """Outbound webhooks: signed workflow events delivered by the worker."""

    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from core import events
        from webhooks.services import record_event

        events.subscribe(record_event)
