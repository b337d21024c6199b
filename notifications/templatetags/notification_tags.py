from django import template

from notifications.models import Notification

register = template.Library()

# The bell shows "99+" beyond this: counting stops there, so the query stays cheap.
UNREAD_SHOWN_UP_TO = 99


@register.simple_tag
def unread_notification_count(user) -> str:
    """The bell's number: the person's unread notifications, "" for none (one query)."""
    if not user.is_authenticated:
        return ""
    count = Notification.objects.for_recipient(user).unread()[: UNREAD_SHOWN_UP_TO + 1].count()
    if count > UNREAD_SHOWN_UP_TO:
        return f"{UNREAD_SHOWN_UP_TO}+"
    return str(count) if count else ""
