from datetime import date, datetime, time, timedelta

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramSimilarity
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Concat, Least
from django.utils import timezone
from django.utils.translation import gettext as _

from core.search import SEARCH_CONFIG, RankedSearch, ranked, search_words
from incidents.forms import SORT_ORDERS
from incidents.models import Incident, IncidentChange, TimelineEntry, TimelineEntryChange


def _start_of_local_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def incident_facts_q(filters: dict, via: str = "") -> Q:
    """The filters about an incident's facts, as one Q. ``via`` is the path to the incident
    from the model being filtered, e.g. "incident__" for timeline entries."""
    q = Q()
    if severities := filters.get("severity"):
        q &= Q(**{f"{via}severity__in": severities})
    if statuses := filters.get("status"):
        q &= Q(**{f"{via}status__in": statuses})
    if service := filters.get("service"):
        q &= Q(**{f"{via}services": service})
    if tag := filters.get("tag"):
        q &= Q(**{f"{via}tags": tag})
    if started_from := filters.get("started_from"):
        q &= Q(**{f"{via}started_at__gte": _start_of_local_day(started_from)})
    if started_to := filters.get("started_to"):
        q &= Q(**{f"{via}started_at__lt": _start_of_local_day(started_to + timedelta(days=1))})
    return q


def incident_list(*, filters: dict) -> QuerySet[Incident]:
    """Incidents for the list page: filtered, sorted, with what each row shows fetched up front."""
    incidents = Incident.objects.with_list_relations().filter(incident_facts_q(filters))
    if query := filters.get("q"):
        number = Incident.number_from_reference(query)
        incidents = incidents.filter(Q(title__icontains=query) | Q(number=number or -1))
    return incidents.order_by(*SORT_ORDERS[filters.get("sort") or "newest"])


def search_incidents(*, text: str, filters: dict) -> RankedSearch:
    return ranked(
        Incident.objects.filter(incident_facts_q(filters)),
        text=text,
        title_field="title",
        snippet_of=Concat("title", Value(" — "), "customer_impact", output_field=TextField()),
    )


def search_timeline_entries(*, text: str, filters: dict) -> RankedSearch:
    entries = TimelineEntry.objects.select_related("incident").filter(
        incident_facts_q(filters, via="incident__")
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


# Words too common to explain a match on their own.
_COMMON_WORDS = {"the", "a", "an", "in", "on", "of", "for", "to", "and", "after", "during", "with"}
SIMILAR_LIMIT = 5
SIMILAR_TITLE = 0.3  # PostgreSQL's default pg_trgm.similarity_threshold, used by the % operator
# How many of the best by each signal alone are scored together.
SIMILAR_CANDIDATES = 200


def _incidents_of_service(service_id: int) -> QuerySet:
    return Incident.services.through.objects.filter(service=service_id).values("incident")


def similar_incidents(incident: Incident, limit: int = SIMILAR_LIMIT) -> list[Incident]:
    """Up to ``limit`` other incidents that share services with this one or resemble it in
    text, best first; each carries ``match_reasons`` saying why. Two queries."""
    service_ids = [service.pk for service in incident.services.all()]
    words = search_words(incident.title)
    text_query = (
        SearchQuery(" | ".join(words), search_type="raw", config=SEARCH_CONFIG) if words else None
    )
    # Scoring every incident that shares a service or any word (nearly all of them) scanned
    # the whole table on every incident page. The candidates now are the best few by the cheap
    # part of the score (shared services and text rank, through their indexes), and the best
    # few by title similarity (through the trigram index); only those get the full score.
    # One membership test per service of this incident (PostgreSQL hashes each service's
    # incidents once), not a count subquery per candidate.
    shared_services = sum(
        (
            Case(When(pk__in=_incidents_of_service(service_id), then=1), default=0)
            for service_id in service_ids
        ),
        start=Value(0),
    )
    text_score = (
        Least(SearchRank(F("search_vector"), text_query) * 10, Value(2.0))
        if text_query
        else Value(0.0)
    )
    related = Q(
        pk__in=Incident.services.through.objects.filter(service__in=service_ids).values("incident")
    )
    if text_query:
        related |= Q(search_vector=text_query)
    others = Incident.objects.exclude(pk=incident.pk)
    by_services_and_text = (
        others.filter(related)
        .annotate(partial=shared_services + text_score)
        .order_by("-partial", "-started_at")
        .values("pk")[:SIMILAR_CANDIDATES]
    )
    by_title = (
        others.filter(title__trigram_similar=incident.title)
        .annotate(similarity=TrigramSimilarity("title", incident.title))
        .order_by("-similarity", "-started_at")
        .values("pk")[:SIMILAR_CANDIDATES]
    )
    candidates = Q(pk__in=by_services_and_text) | Q(pk__in=by_title)
    scores = {
        "shared_services": shared_services,
        "title_similarity": TrigramSimilarity("title", incident.title),
        "text_rank": SearchRank(F("search_vector"), text_query) if text_query else Value(0.0),
    }
    score = (
        F("shared_services") + F("title_similarity") * 2 + Least(F("text_rank") * 10, Value(2.0))
    )
    best_ids = (
        others.filter(candidates)
        .annotate(**scores)
        .annotate(score=score)
        .order_by("-score", "-started_at")
        .values("pk")[:limit]
    )
    matches = (
        Incident.objects.filter(pk__in=best_ids)
        .annotate(**scores)
        .annotate(score=score)
        .order_by("-score", "-started_at")
        .prefetch_related("services")
    )
    own_words = set(words)
    similar = list(matches)
    for other in similar:
        reasons = []
        shared = [s.name for s in other.services.all() if s.pk in service_ids]
        if shared:
            reasons.append(_("same services: %(names)s") % {"names": ", ".join(shared)})
        if other.title_similarity > SIMILAR_TITLE:
            reasons.append(_("similar title"))
        common = sorted(own_words & set(search_words(other.title)) - _COMMON_WORDS)
        if other.text_rank > 0 and common:
            reasons.append(_("shares words: %(words)s") % {"words": ", ".join(common)})
        elif other.text_rank > 0:
            reasons.append(_("related text"))
        other.match_reasons = reasons
    return similar
