from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The REST API and the personal access tokens that reach it."""

    name = "api"
    verbose_name = _("API")

    def ready(self):
        from api.forms import AccessTokensForm
        from core import settings_page

        settings_page.register_section(AccessTokensForm)
