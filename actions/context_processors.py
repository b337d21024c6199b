"""What the menu bar shows on every signed-in page: the counts of what needs the user (their
unread notifications, reviews waiting for them, their overdue action items), in one query."""

from django.db.models import Q
from django.utils.functional import SimpleLazyObject

from actions.models import ActionItem, local_today
from core.models import User
from core.queries import count_subquery
from incidents.models import Incident
from notifications.models import Notification
from postmortems.models import PostmortemStatus, ReviewRequest

# The bell shows "99+" beyond this: counting stops there, so the count stays cheap.
UNREAD_SHOWN_UP_TO = 99


def counts_for(user) -> dict:
    """Unread notifications (up to 99, then "99+"), reviews waiting for ``user`` (as the
    review queue lists them) and the action items they own that are overdue in their zone.
    One query whatever the data; each count reads an index (notification_unread_idx-like
    recipient index, review_request_queue_idx, action_item_owner_to_do_idx)."""
    unread = Notification.objects.for_recipient(user).unread()
    unread_first = unread.values("pk")[: UNREAD_SHOWN_UP_TO + 1]
    reviews_waiting = ReviewRequest.objects.filter(
        Q(approved_at__isnull=True) | Q(voided_at__isnull=False),
        Incident.visible_to_q(user, prefix="postmortem__incident__"),
        reviewer=user.pk,
        postmortem__status=PostmortemStatus.IN_REVIEW,
    )
    # An owner always sees what they own (ActionItemQuerySet.visible_to).
    overdue = ActionItem.objects.owned_by(user.pk).overdue(local_today())
    counts = (
        User.objects.filter(pk=user.pk)
        .values(
            unread=count_subquery(Notification.objects.filter(pk__in=unread_first)),
            reviews_waiting=count_subquery(reviews_waiting),
            overdue_items=count_subquery(overdue),
        )
        .get()
    )
    unread_count = counts.pop("unread")
    counts["unread_notifications"] = (
        f"{UNREAD_SHOWN_UP_TO}+" if unread_count > UNREAD_SHOWN_UP_TO else unread_count
    )
    return counts


def navigation_counts(request) -> dict:
    """``nav_counts``, counted only when a template reads it: htmx partials, signed-out and
    public pages never do."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_counts": SimpleLazyObject(lambda: counts_for(user))}
