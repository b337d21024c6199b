"""Email text, rendered from templates."""

from django.template import Context
from django.template.loader import get_template


def render_plain_text(template_name: str, context: dict) -> str:
    """Email subjects and bodies are plain text, not HTML: no autoescaping, so a title such as
    "Q&A <beta>" arrives as typed, not as "Q&amp;A &lt;beta&gt;"."""
    return get_template(template_name).template.render(Context(context, autoescape=False))
