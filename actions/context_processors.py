"""What the menu bar shows on every signed-in page: the counts of what needs the user (their
unread notifications, reviews waiting for them, their overdue action items), in one query."""

from django.db.models import Exists, F, Func, IntegerField, Q, Subquery
from django.utils.functional import SimpleLazyObject

from actions.models import ActionItem, local_today
from core.models import Role, User
from incidents.models import Incident
from notifications.models import Notification
from postmortems.models import PostmortemStatus, ReviewRequest

# The bell shows "99+" beyond this: counting stops there, so the count stays cheap.
UNREAD_SHOWN_UP_TO = 99


def _count(queryset) -> Subquery:
    """``SELECT COUNT(*)`` of ``queryset`` as a subquery, so several counts are one query."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Subquery(counted, output_field=IntegerField())


class _WithoutRoles:
    """The user as the visibility rule sees someone who does not see every restricted
    incident, so building the rule reads no roles; the database is asked about those."""

    is_authenticated = True
    sees_every_restricted_incident = False

    def __init__(self, user):
        self.pk = user.pk


def _visible(user, prefix: str) -> Q:
    """``Incident.visible_to_q`` with the roles asked in the same query rather than loaded
    first (a page that reads no roles otherwise would pay a query for them)."""
    if user.is_staff:
        return Incident.visible_to_q(user, prefix=prefix)
    security = User.groups.through.objects.filter(user_id=user.pk, group__name=Role.SECURITY)
    return Q(Exists(security)) | Incident.visible_to_q(_WithoutRoles(user), prefix=prefix)


def counts_for(user) -> dict:
    """Unread notifications (up to 99, then "99+"), reviews waiting for ``user`` (as the
    review queue lists them) and the action items they own that are overdue in their zone.
    One query whatever the data; each count reads an index (notification_unread_idx-like
    recipient index, review_request_queue_idx, action_item_owner_to_do_idx)."""
    unread = Notification.objects.for_recipient(user.pk).unread()
    unread_first = unread.values("pk")[: UNREAD_SHOWN_UP_TO + 1]
    reviews_waiting = ReviewRequest.objects.filter(
        Q(approved_at__isnull=True) | Q(voided_at__isnull=False),
        _visible(user, "postmortem__incident__"),
        reviewer=user.pk,
        postmortem__status=PostmortemStatus.IN_REVIEW,
    )
    # An owner always sees what they own (ActionItemQuerySet.visible_to).
    overdue = ActionItem.objects.owned_by(user.pk).overdue(local_today())
    counts = (
        User.objects.filter(pk=user.pk)
        .values(
            unread=_count(Notification.objects.filter(pk__in=unread_first)),
            reviews_waiting=_count(reviews_waiting),
            overdue_items=_count(overdue),
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
