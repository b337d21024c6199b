"""Reads for the team pages: a team's incidents (through the services it owns), its
postmortems in progress, and the action items its members own, with their follow-through.
Every read of incidents and what hangs off them keeps to what the viewer may see. Each runs a
fixed number of queries however many rows there are."""

from datetime import date

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, F, QuerySet

from actions.models import TO_DO, ActionItem, with_links
from actions.selectors import DASHBOARD_LIST_LIMIT, due_bucket_q, rate_counts, rate_window, rates
from core.models import Team
from core.snapshots import snapshot
from incidents.models import Incident
from incidents.selectors import team_q
from postmortems.models import IN_PROGRESS, Postmortem

# The team page's short lists (postmortems in progress, action items to do) show this many;
# each links to the full list filtered by the team.
SHORT_LIST_LIMIT = DASHBOARD_LIST_LIMIT


def team_list() -> QuerySet[Team]:
    """Every team with its manager and how many members and services it has."""
    return (
        Team.objects.select_related("manager")
        .annotate(
            member_count=Count("members", distinct=True),
            service_count=Count("services", distinct=True),
        )
        .order_by("name")
    )


def team_items(team: Team, user) -> QuerySet[ActionItem]:
    """The action items of a team: those owned by its members (whatever the incident), as
    the user may read them."""
    return (
        ActionItem.objects.visible_to(user)
        .filter(Incident.visible_to_q(user, prefix="postmortem__incident__"))
        .filter(owner__teams=team)
    )


def team_page(team: Team, *, user, today: date, page_number=None) -> dict:
    """Everything a team's page shows, as ``user`` may see it, on ``today`` (their calendar):

    - its incidents, newest first, one page at a time: those that touched a service it owns;
    - its postmortems in progress (not yet published) for those incidents;
    - the action items its members own that are still to do, overdue first, with how many are
      to do and overdue, and its follow-through: the dashboard's completion rate (of the items
      that fell due in the last 90 days, won't-do aside, the share done) and on-time rate.

    Nine queries: members, services, the incidents' count and page (with their services and
    tags), the postmortems, the items' counts and the items. The two counts read every
    incident and item of the team, so they are kept until the data changes
    (core/snapshots.py): one query in their place when kept."""
    members = list(team.members.order_by("first_name", "last_name", "username"))
    services = list(team.services.order_by("name"))
    incidents = (
        Incident.objects.visible_to(user)
        .with_list_relations()
        .filter(team_q(team))
        .order_by("-started_at", "-pk")
    )
    items = team_items(team, user)

    def compute_counts():
        return incidents.count(), items.aggregate(
            to_do=Count("pk", filter=due_bucket_q("to_do", today)),
            overdue=Count("pk", filter=due_bucket_q("overdue", today)),
            **rate_counts(today),
        )

    incident_count, counts = snapshot(
        "team-page-counts", (team.pk, user.pk, today), compute_counts
    ).value
    paginator = Paginator(incidents, settings.PAGE_SIZE)
    paginator.count = incident_count
    page = paginator.get_page(page_number)
    in_progress = (
        Postmortem.objects.visible_to(user)  # its incident's visibility included
        .filter(team_q(team, via="incident__"))
        # Listed, not excluded: "not published" can use postmortem_in_progress_idx, so the
        # page reads the postmortems in progress newest first until it has its 26.
        .filter(status__in=IN_PROGRESS)
        .select_related("incident", "author")
        .order_by("-updated_at", "-pk")
    )
    to_do = (
        items.filter(status__in=TO_DO)
        .with_list_relations()
        .order_by(F("due_date").asc(nulls_last=True), "priority", "pk")
    )
    window_start, window_end = rate_window(today)
    postmortems = list(in_progress[: SHORT_LIST_LIMIT + 1])
    return {
        "team": team,
        "members": members,
        "services": services,
        "page": page,
        "postmortems": postmortems[:SHORT_LIST_LIMIT],
        "more_postmortems": len(postmortems) > SHORT_LIST_LIMIT,
        "items": with_links(to_do[:SHORT_LIST_LIMIT]),
        "counts": counts,
        **rates(counts),
        "rate_window": {"start": window_start, "end": window_end},
        "today": today,
        "list_limit": SHORT_LIST_LIMIT,
    }
