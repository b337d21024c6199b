from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertingConfig(AppConfig):
    """Alert webhooks (Alertmanager, Grafana) that open incidents and add timeline entries."""

    name = "alerting"
    verbose_name = _("Alerting")
