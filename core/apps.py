from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Hindsight core"

    def ready(self):
        from core import sso  # noqa: F401  (registers the check of OIDC_GROUP_ROLES)
