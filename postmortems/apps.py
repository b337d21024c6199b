from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostmortemsConfig(AppConfig):
    name = "postmortems"
    verbose_name = _("Postmortems")

    def ready(self):
        from core import events
        from incidents import changes
        from postmortems.requirements import on_incident_resolved
        from postmortems.services import guard_incident_change, record_incident_change

        changes.register_guard(guard_incident_change)
        changes.register_listener(record_incident_change)
        events.subscribe(on_incident_resolved)
