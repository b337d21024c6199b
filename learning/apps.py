from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    """Search and insights: they read every other app, so they live above them all."""

    name = "learning"
    verbose_name = _("Learning")
