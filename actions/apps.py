from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActionsConfig(AppConfig):
    name = "actions"
    verbose_name = _("Action items")

    def ready(self):
        from actions.models import all_done_before
        from incidents.models import register_actions_done_before

        register_actions_done_before(all_done_before)
