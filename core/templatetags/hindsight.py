from datetime import timedelta

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.markdown import render_markdown
from core.search import safe_snippet

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    """For Markdown that is not stored pre-rendered (previews, short notes)."""
    return render_markdown(text)


@register.filter
def duration(value: timedelta | None) -> str:
    """A timedelta as people say it: "2 d 3 h", "1 h 5 min", "45 s"."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    if seconds < 0:
        return "—"
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    if minutes:
        return _("%(minutes)s min") % {"minutes": minutes}
    return ngettext("%(seconds)s s", "%(seconds)s s", seconds) % {"seconds": seconds}


@register.filter
def search_snippet(headline: str):
    """A search result's highlighted snippet, escaped except for the highlight marks."""
    return safe_snippet(headline)
