"""What the navigation shows on every signed-in page: the counts of work that needs the user."""

from django.db.models import F, Func, IntegerField, Q, Subquery
from django.utils.functional import SimpleLazyObject

from actions.models import ActionItem, local_today
from core.models import User
from incidents.models import Incident
from postmortems.models import PostmortemStatus, ReviewRequest


def _count(queryset) -> Subquery:
    """``SELECT COUNT(*)`` of ``queryset`` as a subquery, so several counts are one query."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Subquery(counted, output_field=IntegerField())


def counts_for(user) -> dict[str, int]:
    """Reviews waiting for ``user`` (as the review queue lists them) and the action items they
    own that are overdue in their zone. One query whatever the data (both counts use indexes:
    review_request_queue_idx, action_item_owner_to_do_idx), after the user's roles (the
    visibility rule reads them; kept on the user for the rest of the request)."""
    reviews_waiting = ReviewRequest.objects.filter(
        Q(approved_at__isnull=True) | Q(voided_at__isnull=False),
        Incident.visible_to_q(user, prefix="postmortem__incident__"),
        reviewer=user.pk,
        postmortem__status=PostmortemStatus.IN_REVIEW,
    )
    # An owner always sees what they own (ActionItemQuerySet.visible_to).
    overdue = ActionItem.objects.owned_by(user.pk).overdue(local_today())
    return (
        User.objects.filter(pk=user.pk)
        .values(reviews_waiting=_count(reviews_waiting), overdue_items=_count(overdue))
        .get()
    )


def navigation_counts(request) -> dict:
    """``nav_counts.reviews_waiting`` and ``nav_counts.overdue_items``, counted only when a
    template reads them (htmx partials and signed-out pages never do)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_counts": SimpleLazyObject(lambda: counts_for(user))}
