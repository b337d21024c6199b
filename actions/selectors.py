"""Reads for the action item pages. Each runs a fixed number of queries however many items
there are; every count is done by the database."""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import (
    Count,
    DateField,
    DateTimeField,
    F,
    Func,
    Q,
    QuerySet,
    TextField,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Cast, Coalesce, Concat, NullIf
from django.utils import timezone
from django.utils.translation import gettext as _

from actions.models import TO_DO, ActionItem, ActionKind, ActionStatus, to_do_first
from core.search import RankedSearch, ranked
from core.snapshots import snapshot
from incidents.models import Incident, Severity
from incidents.selectors import incident_facts_q, search_visibility_q
from postmortems.models import Postmortem, PostmortemStatus, drafts_hidden_from

DUE_SOON_DAYS = 14
RATE_WINDOW_DAYS = 90
RECENTLY_CLOSED_DAYS = 30
DASHBOARD_LIST_LIMIT = 25

# The due-date buckets the list can filter by; the dashboard counts with the same conditions,
# so a count and the list it links to always agree.
DUE_BUCKETS = ("to_do", "overdue", "age_0_7", "age_8_30", "age_31_plus", "next_14", "no_date")


def due_bucket_q(bucket: str, today: date) -> Q:
    to_do = Q(status__in=TO_DO)
    days = timedelta(days=1)
    return (
        to_do
        & {
            "to_do": Q(),
            "overdue": Q(due_date__lt=today),
            "age_0_7": Q(due_date__lt=today, due_date__gte=today - 7 * days),
            "age_8_30": Q(due_date__lte=today - 8 * days, due_date__gte=today - 30 * days),
            "age_31_plus": Q(due_date__lte=today - 31 * days),
            "next_14": Q(due_date__gte=today, due_date__lte=today + DUE_SOON_DAYS * days),
            "no_date": Q(due_date__isnull=True),
        }[bucket]
    )


def start_of_local_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def completed_on_owners_day():
    """The date an item was completed on in its owner's time zone (the site's if none chosen):
    finishing at 23:30 on the due day, where the owner is, is on time."""
    zone = Coalesce(NullIf(F("owner__time_zone"), Value("")), Value(settings.TIME_ZONE))
    local = Func(zone, F("completed_at"), function="timezone", output_field=DateTimeField())
    return Cast(local, DateField())


def on_time_q(on_time: bool) -> Q:
    if on_time:
        return Q(status=ActionStatus.DONE, due_date__gte=completed_on_owners_day())
    return Q(status=ActionStatus.DONE, due_date__lt=completed_on_owners_day())


# The postmortem page -------------------------------------------------------------------------


def postmortem_action_items(postmortem: Postmortem) -> list[ActionItem]:
    """The postmortem's items grouped by kind (prevent, mitigate, detect, process), those still
    to do first, soonest due first. Two queries at most: the items with their owners, and the
    co-authors (for who may edit) unless the caller fetched them already."""
    prefetch_related_objects([postmortem], "co_authors")
    # Sorted here rather than by SQL CASEs: a postmortem has a handful of items, and building
    # those expressions cost more than the rest of the read.
    kinds = {kind: position for position, kind in enumerate(ActionKind.values)}
    items = sorted(
        postmortem.action_items.select_related("owner"),
        key=lambda item: (
            kinds.get(item.kind, len(kinds)),
            0 if item.status in TO_DO else 1,
            item.due_date is not None,  # no due date first
            item.due_date or 0,
            item.pk,
        ),
    )
    return _as_published(postmortem, items)


def _as_published(postmortem: Postmortem, items: list[ActionItem]) -> list[ActionItem]:
    """On a published postmortem, each item's text as published (or as of the last approved
    amendment): items added or reworded in an open amendment wait for its approval. Their
    owner, due date and status are tracking, always live."""
    recorded = postmortem.published_record.get("action_items")
    if postmortem.status != PostmortemStatus.PUBLISHED or recorded is None:
        return items
    shown = []
    for item in items:
        text = recorded.get(str(item.pk))
        if text is None:
            continue
        item.title, item.kind, item.description_html = (
            text["title"],
            text["kind"],
            text["description_html"],
        )
        shown.append(item)
    # Grouped by the kind as published (a stable sort keeps the order within each kind).
    shown.sort(key=lambda item: ActionKind.values.index(item.kind))
    return shown


def approval_gate(postmortem: Postmortem) -> tuple[list[str], bool]:
    """What approving asks of the action items, from one read of them: why it cannot be
    approved yet (each item still to do that has no owner, an owner whose account is
    deactivated, or no due date; empty when nothing blocks), and whether it has no items at
    all (the reviewer must then confirm none are needed)."""
    items = list(postmortem.action_items.select_related("owner").order_by("pk"))
    blocking = [
        item
        for item in items
        if item.status in TO_DO
        and (item.owner is None or not item.owner.is_active or item.due_date is None)
    ]
    return _blocker_messages(blocking), not items


def _blocker_messages(items) -> list[str]:
    blockers = []
    for item in items:
        if item.owner is None:
            blockers.append(_("Action item “%(title)s” has no owner.") % {"title": item.title})
        elif not item.owner.is_active:
            blockers.append(
                _(
                    "Action item “%(title)s” is owned by %(owner)s, whose account is "
                    "deactivated: choose an active owner."
                )
                % {"title": item.title, "owner": item.owner.display_name}
            )
        if item.due_date is None:
            blockers.append(_("Action item “%(title)s” has no due date.") % {"title": item.title})
    return blockers


# My action items ------------------------------------------------------------------------------


def _items_of_incidents(incident_ids) -> Q:
    """Action items of these incidents, without joining every item to its postmortem."""
    return Q(postmortem__in=Postmortem.objects.filter(incident__in=incident_ids))


def my_action_items(user, *, today: date, page_number=None) -> dict:
    """One page of the user's items still to do (overdue first, then by due date), how many
    there are and how many are overdue, and on the first page the ones they closed recently
    (the newest ``PAGE_SIZE``; the list filtered by owner has them all). Three queries when
    the counts are kept (the data version, the page, the ones closed), four when not."""
    # No visible_to(): an owner always sees what they own, drafts' items included (see there),
    # but not a restricted incident's items unless they may see the incident.
    items = (
        ActionItem.objects.owned_by(user)
        .filter(Incident.visible_to_q(user, prefix="postmortem__incident__"))
        .with_list_relations()
    )
    # Among items to do, by due date is overdue first: action_item_owner_to_do_idx's order.
    to_do = items.filter(status__in=TO_DO).order_by(
        F("due_date").asc(nulls_last=True), "priority", "pk"
    )

    def count():
        # The visibility rule on the item's kept flag: joined with the incidents to ask each,
        # the count read every incident.
        counted = (
            ActionItem.objects.owned_by(user)
            .filter(status__in=TO_DO)
            .filter(Incident.visible_by_kept_flag_q(user, incident_in=_items_of_incidents))
        )
        return counted.aggregate(
            to_do=Count("pk"), overdue=Count("pk", filter=due_bucket_q("overdue", today))
        )

    # Kept until the data changes (core/snapshots.py): the count reads every item of theirs.
    counts = snapshot("my-action-item-counts", (user.pk, today), count).value
    paginator = Paginator(to_do, settings.PAGE_SIZE)
    paginator.count = counts["to_do"]  # counted above: spare the paginator its own query
    page = paginator.get_page(page_number)
    recently_closed = []
    if page.number == 1:
        recently_closed = list(
            items.filter(
                status__in=[ActionStatus.DONE, ActionStatus.WONT_DO],
                updated_at__gte=start_of_local_day(today - timedelta(days=RECENTLY_CLOSED_DAYS)),
            ).order_by("-updated_at", "-pk")[: settings.PAGE_SIZE + 1]
        )
    return {
        "page": page,
        "to_do_count": counts["to_do"],
        "overdue_count": counts["overdue"],
        "recently_closed": recently_closed[: settings.PAGE_SIZE],
        "more_recently_closed": len(recently_closed) > settings.PAGE_SIZE,
    }


# The list, its CSV export and the dashboard --------------------------------------------------


# Each order has an index (see ActionItem.Meta.indexes). "due" is overdue first, then by due
# date: to_do_first() and the due date give that order without naming today.
SORT_ORDERS = {
    "due": lambda today: (to_do_first(), F("due_date").asc(nulls_last=True), "priority"),
    "priority": lambda today: ("priority", F("due_date").asc(nulls_last=True)),
    "newest": lambda today: ("-created_at",),
    "updated": lambda today: ("-updated_at",),
}


def _apply_filters(items: QuerySet, filters: dict, today: date) -> QuerySet:
    if service := filters.get("service"):
        if service == "none":
            items = items.filter(postmortem__incident__services__isnull=True)
        else:
            items = items.filter(postmortem__incident__services__slug=service)
    if owner := filters.get("owner"):
        items = items.filter(owner__isnull=True) if owner == "none" else items.filter(owner=owner)
    if team := filters.get("team"):
        items = items.filter(owner__teams=team)  # one membership per person and team: no repeats
    if priorities := filters.get("priority"):
        items = items.filter(priority__in=priorities)
    if statuses := filters.get("status"):
        items = items.filter(status__in=statuses)
    if kinds := filters.get("kind"):
        items = items.filter(kind__in=kinds)
    if severities := filters.get("severity"):
        items = items.filter(postmortem__incident__severity__in=severities)
    if query := filters.get("q"):
        items = items.filter(title__icontains=query)
    if reference := filters.get("incident"):
        items = items.filter(postmortem__incident__number=Incident.number_from_reference(reference))
    if bucket := filters.get("due"):
        items = items.filter(due_bucket_q(bucket, today))
    if due_from := filters.get("due_from"):
        items = items.filter(due_date__gte=due_from)
    if due_to := filters.get("due_to"):
        items = items.filter(due_date__lte=due_to)
    if completed_from := filters.get("completed_from"):
        items = items.filter(completed_at__gte=start_of_local_day(completed_from))
    if completed_to := filters.get("completed_to"):
        items = items.filter(completed_at__lt=start_of_local_day(completed_to + timedelta(days=1)))
    if on_time := filters.get("on_time"):
        items = items.filter(on_time_q(on_time == "yes"))
    if verification := filters.get("verification"):
        if verification == "verified":
            items = items.filter(verified_on__isnull=False)
        else:
            items = items.verification_overdue(today)
    return items


def action_item_list(*, user, filters: dict, today: date) -> QuerySet[ActionItem]:
    """Items the user may read, for the list page and its CSV export: filtered and sorted
    (overdue first, then by due date, unless another order is asked for), with owner and
    incident fetched up front."""
    items = _apply_filters(
        ActionItem.objects.visible_to(user).with_list_relations(), filters, today
    )
    return items.order_by(*SORT_ORDERS[filters.get("sort") or "due"](today), "pk")


def page_rows(page) -> list[ActionItem]:
    """One page of the list, read in two short steps: the items' ids in the list's order
    (an index scan), then those rows with their relations. Read in one query, every page
    joined all the items before it with their postmortem and incident.

    A page nearer the end than the start is read backwards from the end (the same order
    reversed, on the same index): the last page costs what the first does, not a walk past
    every item before it."""
    items, count = page.paginator.object_list, page.paginator.count
    start = (page.number - 1) * page.paginator.per_page
    end = min(start + page.paginator.per_page, count)
    if start >= end:
        return []
    if start > count - end:
        backwards = items.reverse().values_list("pk", flat=True)[count - end : count - start]
        ids = list(backwards)[::-1]
    else:
        ids = list(items.values_list("pk", flat=True)[start:end])
    by_pk = ActionItem.objects.with_list_relations().in_bulk(ids)
    return [by_pk[pk] for pk in ids]


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def _owner_row(row: dict) -> dict:
    if row["owner"] is None:
        name = _("No owner")
    else:
        full = f"{row['owner__first_name']} {row['owner__last_name']}".strip()
        name = full or row["owner__username"]
    return {
        "key": row["owner"] or "none",
        "name": name,
        "is_active": row["owner__is_active"] is not False,
        "count": row["count"],
    }


def action_dashboard(*, user, filters: dict, today: date) -> dict:
    """Everything the managers' dashboard shows, for the items the user may read matching
    ``filters`` (service, owner, priority, status), as of ``today`` in the viewer's time zone.
    Six queries: the counts (``dashboard_counts``), then the two short lists of items."""
    items = _dashboard_items(user, filters, today)
    overdue = items.filter(due_bucket_q("overdue", today))
    return {
        **dashboard_counts(user=user, filters=filters, today=today),
        "today": today,
        "overdue_items": list(
            overdue.with_list_relations().order_by("due_date", "priority", "pk")[
                :DASHBOARD_LIST_LIMIT
            ]
        ),
        "due_soon_items": list(
            items.filter(due_bucket_q("next_14", today))
            .with_list_relations()
            .order_by("due_date", "priority", "pk")[:DASHBOARD_LIST_LIMIT]
        ),
        "list_limit": DASHBOARD_LIST_LIMIT,
        "due_soon_days": DUE_SOON_DAYS,
        "rate_statuses": [ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.DONE],
    }


def _dashboard_scope(user, filters: dict, today: date) -> QuerySet[ActionItem]:
    """The items the user may read matching every filter but the status."""
    return _apply_filters(
        ActionItem.objects.visible_to(user),
        {k: v for k, v in filters.items() if k != "status"},
        today,
    )


def _dashboard_items(user, filters: dict, today: date) -> QuerySet[ActionItem]:
    status_filter = {"status": filters["status"]} if filters.get("status") else {}
    return _apply_filters(_dashboard_scope(user, filters, today), status_filter, today)


def rate_window(today: date) -> tuple[date, date]:
    """The completion and on-time rates' window: the last ``RATE_WINDOW_DAYS`` days to
    yesterday, inclusive."""
    return today - timedelta(days=RATE_WINDOW_DAYS), today - timedelta(days=1)


def rate_counts(today: date) -> dict[str, Count]:
    """The counts behind the follow-through figures, for an ``aggregate()``: of the items that
    fell due in the window (won't-do aside), how many are done (``done_of_due`` of
    ``due_in_window``: the completion rate); of the items completed in the window, how many on
    time (``on_time`` of ``completed``: the on-time rate)."""
    window_start, yesterday = rate_window(today)
    due_in_window = Q(due_date__gte=window_start, due_date__lte=yesterday)
    completed_in_window = Q(
        status=ActionStatus.DONE, completed_at__gte=start_of_local_day(window_start)
    )
    return {
        "due_in_window": Count("pk", filter=due_in_window & ~Q(status=ActionStatus.WONT_DO)),
        "done_of_due": Count("pk", filter=due_in_window & Q(status=ActionStatus.DONE)),
        "completed": Count("pk", filter=completed_in_window),
        "on_time": Count("pk", filter=completed_in_window & on_time_q(True)),
    }


def rates(counts: dict) -> dict[str, int | None]:
    """The completion and on-time rates, in percent, from ``rate_counts``' counts; None when
    nothing fell due (or was completed) in the window."""
    return {
        "completion_rate": _percent(counts["done_of_due"], counts["due_in_window"]),
        "on_time_rate": _percent(counts["on_time"], counts["completed"]),
    }


def dashboard_counts(*, user, filters: dict, today: date) -> dict:
    """The dashboard's numbers: items per due-date bucket, the completion and on-time rates,
    and the overdue items by owner, service and severity. Four queries.

    The completion and on-time rates look at the last 90 days and ignore the status filter
    (they are about status).
    """
    scoped = _dashboard_scope(user, filters, today)
    items = _dashboard_items(user, filters, today)
    status_q = Q(status__in=filters["status"]) if filters.get("status") else Q()

    window_start, yesterday = rate_window(today)
    counts = scoped.aggregate(
        **{
            bucket: Count("pk", filter=status_q & due_bucket_q(bucket, today))
            for bucket in DUE_BUCKETS
        },
        unowned=Count("pk", filter=status_q & due_bucket_q("to_do", today) & Q(owner=None)),
        **rate_counts(today),
    )

    overdue = items.filter(due_bucket_q("overdue", today))
    by_owner = [
        _owner_row(row)
        for row in overdue.values(
            "owner",
            "owner__username",
            "owner__first_name",
            "owner__last_name",
            "owner__is_active",
        )
        .annotate(count=Count("pk"))
        .order_by("-count", "owner__first_name", "owner__last_name", "owner__username")
    ]
    by_service = [
        {
            "key": row["postmortem__incident__services__slug"] or "none",
            "name": row["postmortem__incident__services__name"] or _("No service"),
            "count": row["count"],
        }
        for row in overdue.values(
            "postmortem__incident__services__slug", "postmortem__incident__services__name"
        )
        .annotate(count=Count("pk", distinct=True))
        .order_by("-count", "postmortem__incident__services__name")
    ]
    severity_counts = dict(
        overdue.values_list("postmortem__incident__severity").annotate(count=Count("pk"))
    )
    by_severity = [
        {
            "key": severity.value,
            "name": str(severity.label),
            "count": severity_counts.get(severity, 0),
        }
        for severity in Severity
    ]
    return {
        "counts": counts,
        "ageing": [
            ("age_0_7", _("0–7 days"), counts["age_0_7"]),
            ("age_8_30", _("8–30 days"), counts["age_8_30"]),
            ("age_31_plus", _("31+ days"), counts["age_31_plus"]),
        ],
        "by_owner": by_owner,
        "by_service": by_service,
        "by_severity": by_severity,
        "rate_window": {
            "days": RATE_WINDOW_DAYS,
            "start": window_start,
            "end": yesterday,
        },
        **rates(counts),
    }


def search_action_items(*, user, text: str, filters: dict) -> RankedSearch:
    # ``ActionItemQuerySet.visible_to``'s rule without joining every match to its postmortem
    # and incident: the drafts the user may not read are few, and the incident's visibility
    # comes from the flag the item keeps.
    hidden_drafts = drafts_hidden_from(user)
    readable = Q() if hidden_drafts is None else Q(owner=user) | ~Q(postmortem__in=hidden_drafts)
    visible, filters = search_visibility_q(
        {**filters, "visible_to": user},
        incident_in=_items_of_incidents,
    )
    items = (
        ActionItem.objects.filter(readable, visible)
        .select_related("postmortem__incident", "owner")
        .filter(incident_facts_q(filters, via="postmortem__incident__"))
    )
    if statuses := filters.get("action_status"):
        items = items.filter(status__in=statuses)
    return ranked(
        items,
        text=text,
        title_field="title",
        snippet_of=Concat("title", Value(" — "), "description", output_field=TextField()),
    )
