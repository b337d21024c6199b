from django.db.models import Prefetch, Q, QuerySet, TextField, Value
from django.db.models.functions import Concat
from django.shortcuts import get_object_or_404

from core.search import headline, prefix_query, ranked
from incidents.models import Incident
from incidents.selectors import incident_facts_q
from postmortems.models import (
    AuditEntry,
    Comment,
    Postmortem,
    PostmortemStatus,
    Revision,
    WithoutPrompts,
)
from postmortems.sections import SECTION_FIELDS


def postmortem_for_reference(reference: str, *, for_update: bool = False) -> Postmortem:
    number = Incident.number_from_reference(reference) or -1
    postmortems = Postmortem.objects.with_page_relations()
    if for_update:
        postmortems = postmortems.select_for_update(of=("self",))
    return get_object_or_404(postmortems, incident__number=number)


def postmortem_list(*, user, filters: dict) -> QuerySet[Postmortem]:
    postmortems = (
        Postmortem.objects.visible_to(user)
        .select_related("incident", "author")
        .order_by("-updated_at")
    )
    if query := filters.get("q"):
        postmortems = postmortems.filter(incident__title__icontains=query)
    if status := filters.get("status"):
        postmortems = postmortems.filter(status=status)
    return postmortems


def revision_list(postmortem: Postmortem) -> QuerySet[Revision]:
    return postmortem.revisions.select_related("author")


def review_threads(postmortem: Postmortem) -> list[Comment]:
    """Top-level comments with their replies, open threads first."""
    replies = Prefetch("replies", queryset=Comment.objects.select_related("author"))
    threads = (
        postmortem.comments.filter(parent__isnull=True)
        .select_related("author", "resolved_by")
        .prefetch_related(replies)
    )
    return sorted(threads, key=lambda thread: (thread.resolved_at is not None, thread.created_at))


def activity_feed(postmortem: Postmortem, limit: int = 50) -> QuerySet[AuditEntry]:
    return postmortem.audit.select_related("actor")[:limit]


def review_queue(user) -> dict[str, QuerySet[Postmortem]]:
    """What waits for a reviewer, and what came back to a writer."""
    mine = Q(author=user) | Q(co_authors=user)
    base = Postmortem.objects.select_related("incident", "author").order_by("-updated_at")
    return {
        "to_review": base.filter(
            status=PostmortemStatus.IN_REVIEW,
            review_requests__reviewer=user,
            review_requests__approved_at__isnull=True,
        ),
        "changes_requested": base.filter(
            mine, status=PostmortemStatus.CHANGES_REQUESTED
        ).distinct(),
        "ready_to_publish": base.filter(mine, status=PostmortemStatus.APPROVED).distinct(),
        "in_review": base.filter(mine, status=PostmortemStatus.IN_REVIEW).distinct(),
    }


def library(*, filters: dict) -> QuerySet[Postmortem]:
    postmortems = (
        Postmortem.objects.filter(status=PostmortemStatus.PUBLISHED)
        .select_related("incident", "author")
        .prefetch_related("incident__services")
        .order_by("-published_at")
    )
    if query := filters.get("q"):
        postmortems = postmortems.filter(incident__title__icontains=query)
    if severities := filters.get("severity"):
        postmortems = postmortems.filter(incident__severity__in=severities)
    if service := filters.get("service"):
        postmortems = postmortems.filter(incident__services=service)
    return postmortems


def public_summaries() -> QuerySet[Postmortem]:
    """Only what customers may see; callers must show nothing but the public fields."""
    return (
        Postmortem.objects.filter(status=PostmortemStatus.PUBLISHED, is_public=True)
        .only("public_id", "public_title", "public_summary_html", "published_at")
        .order_by("-published_at")
    )


def search_postmortems(*, user, text: str, filters: dict) -> QuerySet[Postmortem]:
    """Postmortems the user may read whose text matches; ranked, with a highlighted snippet."""
    postmortems = (
        Postmortem.objects.visible_to(user)
        .select_related("incident")
        .filter(incident_facts_q(filters, via="incident__"))
    )
    if statuses := filters.get("postmortem_status"):
        postmortems = postmortems.filter(status__in=statuses)
    body = Concat(
        *(part for field in SECTION_FIELDS for part in (WithoutPrompts(field), Value(" "))),
        output_field=TextField(),
    )
    return ranked(postmortems, text=text, title_field="incident__title").annotate(
        snippet=headline(body, prefix_query(text))
    )
