from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    """Bringing postmortems and timelines in from Markdown files and chat transcripts."""

    name = "imports"
    verbose_name = _("Imports")
