"""Similar incidents: how they are ranked, kept ahead of time, and read.

Ranking one incident's similar incidents reads thousands of others (60 ms at 10,000 incidents,
220 ms at 50,000), so each incident's list is computed ahead and kept (``SimilarIncident``);
its page reads it in one query. A write that can move lists (a new incident, or a change to
what the score weighs) records a ``SimilarityChange`` in its own transaction and defers a job;
the worker works out whose lists that change can reach and ranks them again. Every minute it
also spends a while re-ranking the lists not ranked yet, then the oldest (``refresh_oldest``). Until a
change is processed the page says since when its list may lag; an incident without a list
(new, or one of its similar incidents was deleted) is ranked on the spot, as before.
"""

import time
from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramSimilarity
from django.db import connection, transaction
from django.db.models import Case, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _

from core import queue
from core.search import SEARCH_CONFIG, search_words
from incidents.models import Incident, IncidentField, SimilarIncident, SimilarityChange

# Words too common to explain a match on their own.
_COMMON_WORDS = {"the", "a", "an", "in", "on", "of", "for", "to", "and", "after", "during", "with"}
SIMILAR_LIMIT = 5
SIMILAR_TITLE = 0.3  # PostgreSQL's default pg_trgm.similarity_threshold, used by the % operator
# How many of the best by each signal alone are scored together.
SIMILAR_CANDIDATES = 200
# The most the text part of a score can add (see the score in ``_ranked``).
_TEXT_SCORE_MAX = 2.0
# What the score weighs, besides the set of incidents: a change to any other fact moves no list.
SIMILARITY_FIELDS = {
    IncidentField.TITLE,
    IncidentField.CUSTOMER_IMPACT,
    IncidentField.STARTED_AT,
    IncidentField.SERVICES,
}
REFRESH_TASK = "incidents.refresh_similar"
# How long each job spends ranking lists beyond those a change reaches: never ranked (or no
# longer trusted) first, then the oldest. The periodic job's repairs what the per-change work
# cannot see (a change that only moves which 200 candidates another incident scores). A list
# takes 0.1-0.8 s to rank at 10,000-50,000 incidents.
REFRESH_SECONDS = 20
_REFRESH_MOST = 1_000
# One process ranks lists at a time (PostgreSQL advisory lock): a list ranked from data read
# before a change committed can then never be written after the list ranked for that change.
_LOCK_KEY = 0x5117_1A12


def _incidents_of_service(service_id: int) -> QuerySet:
    return Incident.services.through.objects.filter(service=service_id).values("incident")


def _shared_services(service_ids: list[int]):
    # One membership test per service of this incident (PostgreSQL hashes each service's
    # incidents once), not a count subquery per candidate.
    return sum(
        (
            Case(When(pk__in=_incidents_of_service(service_id), then=1), default=0)
            for service_id in service_ids
        ),
        start=Value(0),
    )


def _ranked(incident: Incident, limit: int) -> tuple[list[int], QuerySet[Incident]]:
    """This incident's services, and its ``limit`` most similar other incidents, best first,
    each annotated with ``score``, ``title_similarity`` and ``text_rank``. Two queries."""
    service_ids = [service.pk for service in incident.services.all()]
    words = search_words(incident.title)
    text_query = (
        SearchQuery(" | ".join(words), search_type="raw", config=SEARCH_CONFIG) if words else None
    )
    # Scoring every incident that shares a service or any word (nearly all of them) scanned
    # the whole table. The candidates are the best few by the cheap part of the score (shared
    # services and text rank, through their indexes), and the best few by title similarity
    # (through the trigram index); only those get the full score.
    shared_services = _shared_services(service_ids)
    text_score = (
        Least(SearchRank(F("search_vector"), text_query) * 10, Value(_TEXT_SCORE_MAX))
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
        F("shared_services")
        + F("title_similarity") * 2
        + Least(F("text_rank") * 10, Value(_TEXT_SCORE_MAX))
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
    )
    return service_ids, matches


def _match_reasons(
    title: str, other: Incident, shared_services: list[str], title_similarity, text_rank
) -> list[str]:
    reasons = []
    if shared_services:
        reasons.append(_("same services: %(names)s") % {"names": ", ".join(shared_services)})
    if title_similarity > SIMILAR_TITLE:
        reasons.append(_("similar title"))
    common = sorted(set(search_words(title)) & set(search_words(other.title)) - _COMMON_WORDS)
    if text_rank > 0 and common:
        reasons.append(_("shares words: %(words)s") % {"words": ", ".join(common)})
    elif text_rank > 0:
        reasons.append(_("related text"))
    return reasons


def similar_incidents(incident: Incident, limit: int = SIMILAR_LIMIT) -> list[Incident]:
    """Up to ``limit`` other incidents that share services with this one or resemble it in
    text, ranked now, best first; each carries ``match_reasons`` saying why. Three queries."""
    service_ids, matches = _ranked(incident, limit)
    similar = list(matches.prefetch_related("services"))
    for other in similar:
        shared = [s.name for s in other.services.all() if s.pk in service_ids]
        other.match_reasons = _match_reasons(
            incident.title, other, shared, other.title_similarity, other.text_rank
        )
    return similar


@dataclass
class SimilarList:
    incidents: list[Incident]
    # Changes made since then may not show in the list yet (None: it is up to date).
    pending_since: datetime | None = None


def similar_for_page(incident: Incident, user=None) -> SimilarList:
    """The incident's similar incidents as its page shows them: its kept list, with the oldest
    change not yet processed (one query; two when the list is empty), or ranked now if it has
    none. With ``user``, only the incidents they may see (restricted ones are absent, not
    hidden: their titles never reach the page)."""
    if incident.similar_computed_at is None:
        ranked_now = similar_incidents(incident)
        if user is not None:
            # Restricted ones are rare: asked about one by one, only when there are any.
            ranked_now = [other for other in ranked_now if other.can_view(user)]
        return SimilarList(ranked_now)
    own_services = Incident.services.through.objects.filter(incident=incident).values("service")
    oldest_change = SimilarityChange.objects.order_by("changed_at").values("changed_at")[:1]
    kept = SimilarIncident.objects.filter(incident=incident)
    if user is not None:
        kept = kept.filter(Incident.visible_to_q(user, prefix="similar__"))
    rows = list(
        kept.select_related("similar")
        .annotate(
            shared_services=ArrayAgg(
                "similar__services__name",
                filter=Q(similar__services__in=own_services),
                order_by="similar__services__name",
            ),
            pending_since=Subquery(oldest_change),
        )
        .order_by("rank")
    )
    similar = []
    for row in rows:
        other = row.similar
        other.match_reasons = _match_reasons(
            incident.title, other, row.shared_services or [], row.title_similarity, row.text_rank
        )
        similar.append(other)
    if rows:
        pending_since = rows[0].pending_since
    else:
        pending_since = oldest_change.values_list("changed_at", flat=True).first()
    return SimilarList(similar, pending_since)


# Keeping the lists ----------------------------------------------------------------------------


def record_change(incident: Incident) -> None:
    """Call inside the transaction that created the incident or changed what its similarity
    weighs: the change and the job that processes it commit, or roll back, with it."""
    SimilarityChange.objects.create(incident_id=incident.pk, changed_at=timezone.now())
    _defer_refresh()


def forget_incident(incident: Incident) -> None:
    """Call before deleting the incident: the lists it is in lose it, and are no longer
    trusted (their pages rank afresh until the worker has ranked them again). Waits for a
    list being ranked now, which may name it."""
    _lock()
    Incident.objects.filter(
        pk__in=SimilarIncident.objects.filter(similar=incident).values("incident")
    ).update(similar_computed_at=None)
    _defer_refresh()


def _defer_refresh() -> None:
    # Part of the caller's transaction with PostgreSQL's queue; with Redis, enqueued after it
    # commits (the periodic refresh finds a change whose job was lost).
    queue.defer(REFRESH_TASK)


def _lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _rank_and_keep(incident: Incident) -> None:
    _service_ids, matches = _ranked(incident, SIMILAR_LIMIT)
    rows = [
        SimilarIncident(
            incident=incident,
            similar_id=pk,
            rank=rank,
            score=score,
            title_similarity=title_similarity,
            text_rank=text_rank,
        )
        for rank, (pk, score, title_similarity, text_rank) in enumerate(
            matches.values_list("pk", "score", "title_similarity", "text_rank"), start=1
        )
    ]
    SimilarIncident.objects.filter(incident=incident).delete()
    SimilarIncident.objects.bulk_create(rows)
    Incident.objects.filter(pk=incident.pk).update(similar_computed_at=timezone.now())


def rank_and_keep(incident_ids) -> int:
    """Rank these incidents' similar incidents and keep them, each in a transaction of its own.
    Returns how many were ranked (deleted incidents are skipped)."""
    done = 0
    for pk in incident_ids:
        with transaction.atomic():
            _lock()
            incident = Incident.objects.filter(pk=pk).first()
            if incident is not None:
                _rank_and_keep(incident)
                done += 1
    return done


def lists_reached_by(incident: Incident) -> set[int]:
    """The incidents whose lists a change to this one may move: its own, those it is in, and
    those it could now enter, by the best score it could have against each (its shared
    services and title similarity, and the most the text part can add)."""
    service_ids = [service.pk for service in incident.services.all()]
    containing = SimilarIncident.objects.filter(similar=incident).values_list("incident", flat=True)
    last_score = SimilarIncident.objects.filter(incident=OuterRef("pk"), rank=SIMILAR_LIMIT).values(
        "score"
    )
    best_possible = (
        _shared_services(service_ids)
        + TrigramSimilarity("title", incident.title) * 2
        + Value(_TEXT_SCORE_MAX)
    )
    enterable = (
        Incident.objects.exclude(pk=incident.pk)
        .filter(similar_computed_at__isnull=False)
        .annotate(last_score=Subquery(last_score), best_possible=best_possible)
        # A tie may enter too (the more recent wins), and float sums may differ in the last bit.
        .filter(Q(last_score__isnull=True) | Q(best_possible__gte=F("last_score") - 1e-9))
        .values_list("pk", flat=True)
    )
    return {incident.pk, *containing, *enterable}


def process_changes() -> int:
    """Re-rank the lists every recorded change may move, one change per transaction, and drop
    the change once its lists are kept. Returns how many changes were processed."""
    processed = 0
    while True:
        with transaction.atomic():
            _lock()
            change = SimilarityChange.objects.order_by("changed_at", "pk").first()
            if change is None:
                return processed
            # Every change to this incident committed so far is covered by ranking from its
            # state now; one committed later keeps its row for the next round.
            covered = list(
                SimilarityChange.objects.filter(incident_id=change.incident_id).values_list(
                    "pk", flat=True
                )
            )
            incident = (
                Incident.objects.filter(pk=change.incident_id).prefetch_related("services").first()
            )
            if incident is not None:
                for pk in sorted(lists_reached_by(incident)):
                    other = Incident.objects.filter(pk=pk).first()
                    if other is not None:
                        _rank_and_keep(other)
            SimilarityChange.objects.filter(pk__in=covered).delete()
            processed += len(covered)


def refresh_oldest(*, seconds: float = REFRESH_SECONDS, unranked_only: bool = False) -> int:
    """For about ``seconds``, rank the lists not ranked yet (or no longer trusted), then the
    oldest. Returns how many were ranked."""
    lists = Incident.objects.order_by(F("similar_computed_at").asc(nulls_first=True), "pk")
    if unranked_only:
        lists = lists.filter(similar_computed_at__isnull=True)
    deadline = time.monotonic() + seconds
    ranked = 0
    for pk in lists.values_list("pk", flat=True)[:_REFRESH_MOST]:
        if time.monotonic() >= deadline:
            break
        ranked += rank_and_keep([pk])
    return ranked
