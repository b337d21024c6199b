from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from core import settings_page
        from notifications.forms import EmailPreferencesForm

        settings_page.register_section(EmailPreferencesForm)
