from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Concat
from django.shortcuts import get_object_or_404

from core.models import User
from core.search import FRENCH_CONFIG, RankedSearch, ranked, title_query
from incidents.models import Incident, Service, TimelineEntry
from incidents.selectors import incident_facts_q, incident_timeline, search_visibility_q, team_q
from postmortems.anchors import Anchor, highlight
from postmortems.diff import diff_sections
from postmortems.models import (
    Amendment,
    AuditEntry,
    Comment,
    ContributingFactor,
    DocumentChange,
    Postmortem,
    PostmortemRequirement,
    PostmortemStatus,
    ReviewRequest,
    Revision,
    WithoutPrompts,
    draft_readable_by_q,
)
from postmortems.sections import AMENDABLE_SECTIONS, SECTION_FIELDS


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
    if team := filters.get("team"):
        postmortems = postmortems.filter(team_q(team, via="incident__"))
    return postmortems


def revision_list(postmortem: Postmortem) -> QuerySet[Revision]:
    return postmortem.revisions.select_related("author")


def review_threads(postmortem: Postmortem) -> list[Comment]:
    """Top-level comments, open threads first, each with its replies in ``reply_list`` (oldest
    first; replies stay one level deep). One query."""
    # Who resolved a thread is not shown (its audit entry says): not joined.
    comments = list(postmortem.comments.select_related("author", "suggestion_decided_by"))
    threads = {comment.pk: comment for comment in comments if comment.parent_id is None}
    for thread in threads.values():
        thread.reply_list = []
    for comment in comments:  # in Comment.Meta.ordering: oldest first
        if comment.parent_id is not None and comment.parent_id in threads:
            threads[comment.parent_id].reply_list.append(comment)
    return sorted(
        threads.values(), key=lambda thread: (thread.resolved_at is not None, thread.created_at)
    )


@dataclass
class ReviewSection:
    """One section of the document on the review page: its HTML with the quotes of its
    comments highlighted, and its threads (each marked ``outdated`` when its quote is gone)."""

    section: object
    text: str
    html: str
    threads: list
    comment_failed: bool = False  # the page shows a refused comment on it, as typed


def review_document(postmortem: Postmortem, threads: list[Comment]) -> list[ReviewSection]:
    """Every section in document order with its threads; a thread's quote is looked for in
    the section as it reads now (see postmortems/anchors.py)."""
    by_section: dict[str, list[Comment]] = {}
    for thread in threads:
        thread.outdated = False
        if thread.section:
            by_section.setdefault(thread.section, []).append(thread)
    document = []
    for section, text, html in postmortem.sections():
        section_threads = by_section.get(section.field, [])
        quoted = [
            Anchor(t.pk, t.quote, t.quote_prefix, t.quote_suffix)
            for t in section_threads
            if t.quote
        ]
        marked, found = highlight(html, quoted)
        for thread in section_threads:
            thread.outdated = bool(thread.quote) and thread.pk not in found
        document.append(ReviewSection(section, text, marked, section_threads))
    return document


@dataclass
class ChangesSinceReview:
    from_version: int
    to_version: int
    changes: list
    missing: bool = False  # the revision they reviewed is not in the history


def changes_since_review(postmortem: Postmortem, user) -> ChangesSinceReview | None:
    """What changed in the sections since the revision ``user`` last approved, asked changes
    of or commented on; None when they never reviewed it. One query, two when it changed."""
    requests = ReviewRequest.objects.filter(
        postmortem=OuterRef("pk"), reviewer=user.pk, reviewed_version__isnull=False
    )
    comments = Comment.objects.filter(
        postmortem=OuterRef("pk"), author=user.pk, revision_number__isnull=False
    )
    reviewed = [
        version
        for version in Postmortem.objects.filter(pk=postmortem.pk)
        .values_list(
            Subquery(
                requests.order_by("-reviewed_version").values("reviewed_version")[:1],
                output_field=IntegerField(),
            ),
            Subquery(
                comments.order_by("-revision_number").values("revision_number")[:1],
                output_field=IntegerField(),
            ),
        )
        .get()
        if version is not None
    ]
    if not reviewed:
        return None
    last = max(reviewed)
    if last >= postmortem.version:
        return ChangesSinceReview(last, postmortem.version, [])
    old = postmortem.revisions.filter(number=last).first()
    if old is None:
        return ChangesSinceReview(last, postmortem.version, [], missing=True)
    return ChangesSinceReview(
        last, postmortem.version, diff_sections(old.content, postmortem.section_texts())
    )


def activity_feed(postmortem: Postmortem, limit: int = 50) -> QuerySet[AuditEntry]:
    return postmortem.audit.select_related("actor")[:limit]


def review_queue(user, *, team=None) -> dict[str, QuerySet[Postmortem]]:
    """What waits for a reviewer, and what came back to a writer; only of ``team``'s incidents
    (through the services it owns) when given."""
    # Co-writing asked as a subquery: joined, every list would need a DISTINCT sorting whole
    # postmortems.
    co_written = Postmortem.co_authors.through.objects.filter(
        postmortem_id=OuterRef("pk"), user_id=user.pk
    )
    mine = Q(author=user) | Exists(co_written)
    base = (
        Postmortem.objects.visible_to(user)
        .select_related("incident", "author")
        .order_by("-updated_at")
    )
    if team is not None:
        base = base.filter(team_q(team, via="incident__"))
    return {
        # Not approved yet, or approved before a change that voided the approval.
        "to_review": base.filter(
            Q(review_requests__approved_at__isnull=True)
            | Q(review_requests__voided_at__isnull=False),
            status=PostmortemStatus.IN_REVIEW,
            review_requests__reviewer=user,
        ),
        "changes_requested": base.filter(mine, status=PostmortemStatus.CHANGES_REQUESTED),
        "ready_to_publish": base.filter(mine, status=PostmortemStatus.APPROVED),
        "in_review": base.filter(mine, status=PostmortemStatus.IN_REVIEW),
    }


# A writer's home lists what is theirs to move on: drafts, those sent back, approved ones.
WRITER_TO_FINISH = [
    PostmortemStatus.CHANGES_REQUESTED,
    PostmortemStatus.DRAFT,
    PostmortemStatus.APPROVED,
]
WRITER_TO_FINISH_SHOWN = 10


def postmortems_to_finish(user) -> list[Postmortem]:
    """The postmortems ``user`` writes (as author or co-author) that wait for them: sent back
    first, then drafts, then approved ones to publish; most recently changed first in each.
    One query; the newest ten, the postmortem list has the rest."""
    co_written = Postmortem.co_authors.through.objects.filter(
        postmortem_id=OuterRef("pk"), user_id=user.pk
    )
    order = Case(
        *(When(status=status, then=Value(rank)) for rank, status in enumerate(WRITER_TO_FINISH))
    )
    return list(
        Postmortem.objects.filter(
            Q(author=user) | Exists(co_written),
            Incident.visible_to_q(user, prefix="incident__"),
            status__in=WRITER_TO_FINISH,
        )
        .select_related("incident")
        .order_by(order, "-updated_at")[:WRITER_TO_FINISH_SHOWN]
    )


def library(*, user, filters: dict) -> QuerySet[Postmortem]:
    postmortems = (
        Postmortem.objects.visible_to(user)
        .filter(status=PostmortemStatus.PUBLISHED)
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
    if team := filters.get("team"):
        postmortems = postmortems.filter(team_q(team, via="incident__"))
    return postmortems


def _published_time(name: str) -> Case:
    """An incident time as published (a later edit waits for an approved amendment), or the
    incident's own for a postmortem published before records were kept."""
    return Case(
        When(
            published_record__has_key="facts",
            then=Cast(KT(f"published_record__facts__{name}"), DateTimeField()),
        ),
        default=F(f"incident__{name}"),
    )


def public_summaries() -> QuerySet[Postmortem]:
    """Only what customers may see; callers must show nothing but the public fields, the
    incident's published times and its services' public names."""
    return (
        # A restricted (security, legal, HR) incident never has a public summary shown.
        Postmortem.objects.filter(
            status=PostmortemStatus.PUBLISHED, is_public=True, incident__restricted=False
        )
        .select_related("incident")
        .only("public_id", "public_title", "public_summary_html", "published_at", "incident__id")
        .annotate(
            incident_started_at=_published_time("started_at"),
            incident_resolved_at=_published_time("resolved_at"),
        )
        .annotate(
            incident_duration=ExpressionWrapper(
                F("incident_resolved_at") - F("incident_started_at"),
                output_field=DurationField(),
            )
        )
        .prefetch_related(
            Prefetch(
                "incident__services",
                queryset=Service.objects.only("name", "public_name"),
                to_attr="public_services",
            )
        )
        .order_by("-published_at")
    )


def search_postmortems(*, user, text: str, filters: dict) -> RankedSearch:
    """Postmortems the user may read whose text matches; ranked, with a highlighted snippet."""
    # Who may read it: the draft rule on the postmortem itself, and its incident's visibility
    # from the flag it keeps (``readable_by_q``'s rule without joining every match).
    filters = {**filters, "visible_to": user}
    visible, filters = search_visibility_q(filters)
    postmortems = (
        Postmortem.objects.filter(draft_readable_by_q(user), visible)
        .select_related("incident")
        .filter(incident_facts_q(filters, via="incident__"))
    )
    if statuses := filters.get("postmortem_status"):
        postmortems = postmortems.filter(status__in=statuses)
    # Sections apart as paragraphs: each one's headings and lists start a line of the snippet.
    body = Concat(
        *(part for field in SECTION_FIELDS for part in (WithoutPrompts(field), Value("\n\n"))),
        output_field=TextField(),
    )
    # A postmortem's title is its incident's, kept on the postmortem with its words
    # (``incident_title_vector``, weighted A as in the incident's vector); a title written in
    # French is found through the incident's French vector, where the title weighs A.
    titled_in_french = Incident.objects.filter(
        search_vector_fr=title_query(text, config=FRENCH_CONFIG)
    ).values("pk")
    return ranked(
        postmortems,
        text=text,
        title_field="incident_title",
        snippet_of=body,
        title_in=("incident", titled_in_french),
        title_match=Q(incident_title_vector=title_query(text)),
    )


# The facts of an incident its published postmortem shows, and their timeline.
RECORDED_FACTS = (
    "title",
    "severity",
    "started_at",
    "detected_at",
    "mitigated_at",
    "resolved_at",
    "customer_impact",
    "customer_impact_html",
)
_RECORDED_TIMES = ("started_at", "detected_at", "mitigated_at", "resolved_at")


def published_record(postmortem: Postmortem) -> dict:
    """Its incident's facts and rendered timeline, and its action items' text, as they stand:
    what readers of the published postmortem keep seeing until an amendment is approved."""
    incident = postmortem.incident
    facts = {name: getattr(incident, name) for name in RECORDED_FACTS}
    for name in _RECORDED_TIMES:
        facts[name] = facts[name].isoformat() if facts[name] else None
    facts["services"] = [service.name for service in incident.services.all()]
    entries, _show_dates = incident_timeline(incident)
    timeline = [
        {
            "id": entry.pk,
            "occurred_at": entry.occurred_at.isoformat(),
            "kind": entry.kind,
            "body_html": entry.body_html,
            "author": entry.author.display_name,
            "source_url": entry.source_url,
        }
        for entry in entries
    ]
    # Keyed by id as text (JSON keys are strings). Owners, due dates and status stay live.
    action_items = {
        str(item["pk"]): item
        for item in postmortem.action_items.values("pk", "title", "kind", "description_html")
    }
    factors = [
        {
            "id": factor.pk,
            "category": str(factor.category),
            "description": factor.description,
            "entries": [
                {"id": e.pk, "occurred_at": e.occurred_at.isoformat(), "kind": e.kind}
                for e in factor.entries
            ],
        }
        for factor in factor_list(postmortem)
    ]
    return {
        "facts": facts,
        "timeline": timeline,
        "action_items": action_items,
        "factors": factors,
    }


def factor_list(postmortem: Postmortem) -> QuerySet[ContributingFactor]:
    """Its contributing factors with their categories, and their live timeline entries in time
    order as ``entries``. Two queries whatever their number."""
    return postmortem.factors.select_related("category__parent").prefetch_related(
        Prefetch(
            "timeline_entries",
            queryset=TimelineEntry.objects.order_by("occurred_at", "id"),
            to_attr="entries",
        )
    )


@dataclass
class _RecordedFactor:
    pk: int
    category: str
    description: str
    entries: list


def factors_for_readers(postmortem: Postmortem):
    """The factors as published (or as of the last approved amendment) for a published
    postmortem that recorded them; otherwise as they stand."""
    record = postmortem.published_record
    if postmortem.status != PostmortemStatus.PUBLISHED or "factors" not in (record or {}):
        return factor_list(postmortem)
    return [
        _RecordedFactor(
            pk=row["id"],
            category=row["category"],
            description=row["description"],
            entries=[
                TimelineEntry(
                    pk=e["id"], occurred_at=datetime.fromisoformat(e["occurred_at"]), kind=e["kind"]
                )
                for e in row["entries"]
            ],
        )
        for row in record["factors"]
    ]


@dataclass
class _RecordedService:
    name: str


def published_incident(postmortem: Postmortem):
    """(incident, services, timeline entries) as recorded at publication or the last approved
    amendment; None when nothing was recorded (not published, or published before records)."""
    record = postmortem.published_record
    if postmortem.status != PostmortemStatus.PUBLISHED or not record:
        return None
    live = postmortem.incident
    facts = dict(record["facts"])
    services = [_RecordedService(name) for name in facts.pop("services")]
    for name in _RECORDED_TIMES:
        facts[name] = datetime.fromisoformat(facts[name]) if facts[name] else None
    # Unsaved copies, so the incident's own templates render them.
    incident = Incident(
        pk=live.pk,
        number=live.number,
        commander=live.commander,
        created_by=live.created_by,
        created_at=live.created_at,
        restricted=live.restricted,
        **facts,
    )
    authors = {}  # one stand-in per name, carrying only what the timeline shows
    entries = []
    for row in record["timeline"]:
        entry = TimelineEntry(
            pk=row["id"],
            incident=incident,
            occurred_at=datetime.fromisoformat(row["occurred_at"]),
            kind=row["kind"],
            body_html=row["body_html"],
            source_url=row["source_url"],
        )
        entry.author = authors.setdefault(row["author"], User(first_name=row["author"]))
        entry.editable = False
        entries.append(entry)
    return incident, services, entries


def reviewer_panel(postmortem: Postmortem) -> list[ReviewRequest]:
    """The round's reviewers, each with ``state`` (waiting, commented, changes requested,
    approved, approval voided). One query."""
    # Whether they commented on the postmortem since they were asked.
    commented = Comment.objects.filter(
        postmortem=OuterRef("postmortem"),
        author=OuterRef("reviewer"),
        created_at__gte=OuterRef("requested_at"),
    )
    requests = list(
        postmortem.review_requests.select_related("reviewer").annotate(commented=Exists(commented))
    )
    for request in requests:
        request.reviewer_state = request.state(commented=request.commented)
    return requests


def amendment_list(postmortem: Postmortem):
    """Every amendment, newest first, with its diff and the changes made within it. They are
    kept on the postmortem (prefetched), so the page's later asks for the open one (see
    ``postmortems.services.open_amendment``) run no query."""
    prefetch_related_objects(
        [postmortem],
        Prefetch(
            "amendments",
            queryset=Amendment.objects.select_related("opened_by", "closed_by").prefetch_related(
                Prefetch("changes", queryset=DocumentChange.objects.select_related("actor"))
            ),
        ),
    )
    amendments = list(postmortem.amendments.all())
    for amendment in amendments:
        amendment.diff = diff_sections(
            amendment.published_text, amendment.proposed_text, AMENDABLE_SECTIONS
        )
    return amendments


REQUIRED_PANEL_LIMIT = 10


def required_postmortems_panel(*, today, user) -> dict:
    """The dashboard's required postmortems: how many are missing (not started) and overdue
    (not published by the due date, ``today`` being the organisation's), and the outstanding
    ones due first. Two queries whatever their number."""
    outstanding = PostmortemRequirement.objects.outstanding().filter(
        Incident.visible_to_q(user, prefix="incident__")
    )
    counts = outstanding.aggregate(
        missing=Count("pk", filter=Q(incident__postmortem__isnull=True)),
        overdue=Count("pk", filter=Q(due_on__lt=today)),
    )
    return {
        "counts": counts,
        "today": today,
        "rows": list(
            outstanding.filter(Q(incident__postmortem__isnull=True) | Q(due_on__lt=today))
            .select_related("incident", "incident__postmortem", "owner")
            .order_by("due_on", "pk")[:REQUIRED_PANEL_LIMIT]
        ),
        "limit": REQUIRED_PANEL_LIMIT,
    }
