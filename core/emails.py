"""Email text, rendered from templates, in the language of the person it goes to."""

from django.conf import settings
from django.template import Context
from django.template.loader import get_template
from django.utils import translation


def render_plain_text(template_name: str, context: dict) -> str:
    """Email subjects and bodies are plain text, not HTML: no autoescaping, so a title such as
    "Q&A <beta>" arrives as typed, not as "Q&amp;A &lt;beta&gt;"."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


def language_of(user) -> str:
    """The language of what Hindsight writes to ``user`` when no browser is asking (emails,
    reminders): the one they chose in their settings, else the site's (LANGUAGE_CODE)."""
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def in_language_of(user) -> translation.override:
    """``with in_language_of(person):`` renders and translates in ``person``'s language."""
    return translation.override(language_of(user))
