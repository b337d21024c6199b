from datetime import date, datetime, time, timedelta

from django.db.models import Exists, F, OuterRef, Q, QuerySet, TextField, Value
from django.db.models.functions import Concat
from django.utils import timezone

from core.dates import org_today
from core.search import RankedSearch, ranked
from incidents.forms import NEAR_MISS_FILTERS, SORT_ORDERS
from incidents.models import (
    Incident,
    IncidentChange,
    IncidentLink,
    TimelineEntry,
    TimelineEntryChange,
)


def _start_of_local_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def team_q(team, via: str = "") -> Q:
    """Incidents of ``team``: those that touched a service it owns. ``via`` as below. A
    subquery, so an incident touching two of its services is not repeated."""
    services = Incident.services.through.objects.filter(
        incident_id=OuterRef(f"{via}pk"), service__team=team
    )
    return Q(Exists(services))


def incident_facts_q(filters: dict, via: str = "") -> Q:
    """The filters about an incident's facts, as one Q. ``via`` is the path to the incident
    from the model being filtered, e.g. "incident__" for timeline entries."""
    q = Q()
    # Not a filter anyone types: who is looking, so restricted incidents they may not see drop
    # out of every read that goes through here (search passes it).
    if "visible_to" in filters:
        q &= Incident.visible_to_q(filters["visible_to"], prefix=via)
    if severities := filters.get("severity"):
        q &= Q(**{f"{via}severity__in": severities})
    if statuses := filters.get("status"):
        q &= Q(**{f"{via}status__in": statuses})
    if service := filters.get("service"):
        q &= Q(**{f"{via}services": service})
    if tag := filters.get("tag"):
        q &= Q(**{f"{via}tags": tag})
    if team := filters.get("team"):
        q &= team_q(team, via)
    if near_miss := filters.get("near_miss"):
        q &= Q(**{f"{via}near_miss": NEAR_MISS_FILTERS[near_miss]})
    if started_from := filters.get("started_from"):
        q &= Q(**{f"{via}started_at__gte": _start_of_local_day(started_from)})
    if started_to := filters.get("started_to"):
        q &= Q(**{f"{via}started_at__lt": _start_of_local_day(started_to + timedelta(days=1))})
    return q


# Required postmortems (postmortems/requirements.py) by the relations the postmortems app adds
# to an incident: not exempted, and no postmortem started / none published by the due date.
_OUTSTANDING_Q = Q(postmortem_requirement__isnull=False, postmortem_requirement__exempted_at=None)


def required_postmortem_q(which: str) -> Q:
    if which == "missing":
        return _OUTSTANDING_Q & Q(postmortem__isnull=True)
    return (
        _OUTSTANDING_Q
        & Q(postmortem_requirement__due_on__lt=org_today())
        & ~Q(postmortem__published_at__isnull=False)
    )


def incident_list(*, user, filters: dict) -> QuerySet[Incident]:
    """Incidents for the list page: those the user may see, filtered, sorted, with what each row
    shows fetched up front."""
    incidents = (
        Incident.objects.visible_to(user).with_list_relations().filter(incident_facts_q(filters))
    )
    if which := filters.get("postmortem"):
        incidents = incidents.filter(required_postmortem_q(which))
    if query := filters.get("q"):
        number = Incident.number_from_reference(query)
        incidents = incidents.filter(Q(title__icontains=query) | Q(number=number or -1))
    return incidents.order_by(*SORT_ORDERS[filters.get("sort") or "newest"])


def search_visibility_q(filters: dict, **flag_rule) -> tuple[Q, dict]:
    """The visibility rule of a search (``filters["visible_to"]``, who is looking) on rows
    that keep their incident's ``restricted`` (``Incident.visible_by_kept_flag_q``, with
    ``flag_rule``), and the other filters: a search's matches are many, and the kept flag
    spares joining each to its incident."""
    filters = dict(filters)
    if "visible_to" not in filters:
        return Q(), filters
    return Incident.visible_by_kept_flag_q(filters.pop("visible_to"), **flag_rule), filters


def search_incidents(*, text: str, filters: dict) -> RankedSearch:
    visible, filters = search_visibility_q(
        filters, flag="restricted", incident_in=lambda ids: Q(pk__in=ids)
    )
    return ranked(
        Incident.objects.filter(visible, incident_facts_q(filters)),
        text=text,
        title_field="title",
        snippet_of=Concat("title", Value(" — "), "customer_impact", output_field=TextField()),
    )


def search_timeline_entries(*, text: str, filters: dict) -> RankedSearch:
    visible, filters = search_visibility_q(filters)
    entries = TimelineEntry.objects.select_related("incident").filter(
        visible, incident_facts_q(filters, via="incident__")
    )
    return ranked(entries, text=text, title_field=None, snippet_of=F("body"))


def incident_timeline(incident: Incident) -> tuple[list[TimelineEntry], bool]:
    """The incident's timeline in time order, and whether it spans more than one local day
    (then each entry shows its date, not just its time)."""
    entries = list(
        incident.timeline_entries.select_related("author").annotate(
            has_history=Exists(TimelineEntryChange.objects.filter(entry=OuterRef("pk")))
        )
    )
    moments = [incident.started_at, incident.resolved_at, *(e.occurred_at for e in entries)]
    days = {timezone.localtime(moment).date() for moment in moments if moment}
    return entries, len(days) > 1


def deleted_timeline_entries(incident: Incident) -> list[TimelineEntry]:
    """The incident's deleted entries, most recently deleted first, with who deleted them."""
    return list(
        TimelineEntry.all_objects.deleted()
        .filter(incident=incident)
        .select_related("author", "deleted_by")
        .order_by("-deleted_at", "-pk")
    )


def incident_changes(incident: Incident) -> list[IncidentChange]:
    """Every change to the incident's facts, newest first."""
    return list(incident.changes.select_related("changed_by"))


def timeline_entry_history(entry: TimelineEntry) -> list[TimelineEntryChange]:
    return list(entry.changes.select_related("changed_by"))


def incident_links(incident: Incident, *, user=None) -> list[IncidentLink]:
    """The incident's links both ways, oldest first, each with the other incident and whether
    it is a recurrence despite completed action items. One query. With ``user``, a link to a
    restricted incident they may not see is left out."""
    links = IncidentLink.objects.of_incident(incident)
    if user is not None:
        links = links.filter(
            Incident.visible_to_q(user, prefix="from_incident__"),
            Incident.visible_to_q(user, prefix="to_incident__"),
        )
    return list(
        links.select_related(
            "from_incident", "to_incident", "created_by"
        ).with_recurred_despite_completed_actions()
    )
