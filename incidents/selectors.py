from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from incidents.forms import SORT_ORDERS
from incidents.models import Incident, TimelineEntry


def _start_of_local_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def incident_list(*, filters: dict) -> QuerySet[Incident]:
    """Incidents for the list page: filtered, sorted, with what each row shows fetched up front."""
    incidents = Incident.objects.with_list_relations()
    if query := filters.get("q"):
        number = Incident.number_from_reference(query)
        incidents = incidents.filter(Q(title__icontains=query) | Q(number=number or -1))
    if severities := filters.get("severity"):
        incidents = incidents.filter(severity__in=severities)
    if statuses := filters.get("status"):
        incidents = incidents.filter(status__in=statuses)
    if service := filters.get("service"):
        incidents = incidents.filter(services=service)
    if started_from := filters.get("started_from"):
        incidents = incidents.filter(started_at__gte=_start_of_local_day(started_from))
    if started_to := filters.get("started_to"):
        incidents = incidents.filter(
            started_at__lt=_start_of_local_day(started_to + timedelta(days=1))
        )
    return incidents.order_by(*SORT_ORDERS[filters.get("sort") or "newest"])


def incident_timeline(incident: Incident) -> tuple[list[TimelineEntry], bool]:
    """The incident's timeline in time order, and whether it spans more than one local day
    (then each entry shows its date, not just its time)."""
    entries = list(incident.timeline_entries.select_related("author"))
    moments = [incident.started_at, incident.resolved_at, *(e.occurred_at for e in entries)]
    days = {timezone.localtime(moment).date() for moment in moments if moment}
    return entries, len(days) > 1
