from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.changes import ChangeRefused
from incidents.models import Incident
from postmortems.models import (
    Amendment,
    AmendmentStatus,
    DocumentChange,
    Postmortem,
    PostmortemStatus,
    PostmortemTemplate,
    ReviewRequest,
    Revision,
)
from postmortems.notifications import notify
from postmortems.sections import SECTION_FIELDS, SECTIONS_BY_FIELD


class PostmortemError(Exception):
    """A refusal with a message a person can act on."""


class AlreadyStarted(PostmortemError):
    """The incident has its postmortem already (perhaps started a moment ago by a double click
    or by someone else)."""

    def __init__(self, *, postmortem: Postmortem):
        self.postmortem = postmortem
        super().__init__(
            _("%(ref)s already has a postmortem: here it is.")
            % {"ref": postmortem.incident.reference}
        )


class DocumentFrozen(PostmortemError):
    """The document may not change now; the message says what to do first."""


class StaleEdit(PostmortemError):
    """Someone else saved since this edit was loaded."""

    def __init__(self, *, postmortem: Postmortem, loaded_version: int):
        self.postmortem = postmortem
        self.loaded_version = loaded_version
        super().__init__(
            _(
                "Someone else saved this postmortem while you were editing (you started from "
                "version %(loaded)s; it is now version %(current)s). Your text is kept below. "
                "Check what changed meanwhile, merge it into your text, and save again."
            )
            % {"loaded": loaded_version, "current": postmortem.version}
        )


# The document ----------------------------------------------------------------------------------
# Every change to a postmortem's document, wherever it is made (its sections, its incident's
# facts and timeline, its action items' text), asks ``check_document_change`` first and calls
# ``record_document_change`` after, in the same transaction: approved text is frozen; published
# text changes only within an open amendment; every change is kept and bumps the content
# version, so an approval names the version it approved and any later change voids it.


def open_amendment(postmortem: Postmortem) -> Amendment | None:
    """The amendment in progress, if any. A page that read the postmortem's amendments already
    (``prefetch_related("amendments")``, as ``amendment_list`` does) asks no more: its edit
    controls, action items and factors all ask this once per page."""
    prefetched = getattr(postmortem, "_prefetched_objects_cache", {}).get("amendments")
    if prefetched is not None:
        return next((a for a in prefetched if a.status == AmendmentStatus.OPEN), None)
    return postmortem.amendments.filter(status=AmendmentStatus.OPEN).first()


def check_document_change(*, postmortem: Postmortem) -> Amendment | None:
    """Refuse a change to approved text, and to published text outside an amendment. Returns
    the open amendment a change to a published postmortem belongs to."""
    if postmortem.status == PostmortemStatus.APPROVED:
        raise DocumentFrozen(
            _(
                "The postmortem of %(ref)s is approved, so its text, timeline and facts are "
                "frozen. Publish it, or withdraw the approval (with a reason) to change it."
            )
            % {"ref": postmortem.incident.reference}
        )
    if postmortem.status == PostmortemStatus.PUBLISHED:
        amendment = open_amendment(postmortem)
        if amendment is None:
            raise DocumentFrozen(
                _(
                    "The postmortem of %(ref)s is published: start an amendment (with a reason) "
                    "on its page before changing its text, timeline or facts."
                )
                % {"ref": postmortem.incident.reference}
            )
        return amendment
    return None


def document_change_refusal(postmortem: Postmortem) -> str:
    """Why its document may not change now, for pages that hide edit controls; empty if it may."""
    try:
        check_document_change(postmortem=postmortem)
    except DocumentFrozen as refusal:
        return str(refusal)
    return ""


def record_document_change(
    *, postmortem: Postmortem, actor, description: str, amendment: Amendment | None = None
) -> DocumentChange:
    """Keep the change, bump the content version, and void approvals of the earlier text.

    ``postmortem`` must be locked (select_for_update) by the caller's transaction.
    """
    if amendment is None and postmortem.status == PostmortemStatus.PUBLISHED:
        amendment = open_amendment(postmortem)
    postmortem.content_version += 1
    Postmortem.objects.filter(pk=postmortem.pk).update(
        content_version=postmortem.content_version, updated_at=timezone.now()
    )
    change = DocumentChange.objects.create(
        postmortem=postmortem,
        actor=actor,
        round=postmortem.round_of_new_changes,
        amendment=amendment,
        content_version=postmortem.content_version,
        description=description[:300],
    )
    if amendment is None:
        # An amendment is approved on its own; the approvals of the published text stand.
        void_approvals(postmortem=postmortem, actor=actor, because=description)
    return change


def void_approvals(
    *, postmortem: Postmortem, actor, because: str, tell_approvers: bool = True
) -> list[ReviewRequest]:
    """Approvals are of one version: after a change they no longer count. The fact is kept and
    each approver is told."""
    voided = list(
        postmortem.review_requests.filter(
            approved_at__isnull=False, voided_at__isnull=True
        ).select_related("reviewer")
    )
    if not voided:
        return voided
    ReviewRequest.objects.filter(pk__in=[r.pk for r in voided]).update(voided_at=timezone.now())
    for request in voided if tell_approvers else []:
        notify(
            event="approval_voided",
            postmortem=postmortem,
            actor=actor,
            recipients=[request.reviewer],
            approved_version=request.approved_version,
            because=because,
        )
    return voided


def changed_in_round(postmortem: Postmortem, user) -> bool:
    return postmortem.changes.filter(
        round=postmortem.review_round, amendment__isnull=True, actor=user
    ).exists()


def lock_postmortem(postmortem_id: int) -> Postmortem:
    return (
        Postmortem.objects.select_for_update(of=("self",))
        .select_related("incident", "author")
        .get(pk=postmortem_id)
    )


def guard_incident_change(*, incident, actor) -> None:
    """Registered with incidents.changes: an incident's facts and timeline are part of its
    postmortem's document."""
    try:
        postmortem = incident.postmortem  # fetched with the incident by pages that show it
    except Postmortem.DoesNotExist:
        return
    try:
        check_document_change(postmortem=postmortem)
    except DocumentFrozen as refusal:
        raise ChangeRefused(str(refusal)) from refusal


def record_incident_change(*, incident, actor, description: str) -> None:
    """Registered with incidents.changes: keep the change with the postmortem's document."""
    postmortem_id = (
        Postmortem.objects.filter(incident=incident).values_list("pk", flat=True).first()
    )
    if postmortem_id is None:
        return
    record_document_change(
        postmortem=lock_postmortem(postmortem_id), actor=actor, description=description
    )


# Sections --------------------------------------------------------------------------------------


def record_revision(*, postmortem, editor, changed, note="") -> Revision:
    return Revision.objects.create(
        postmortem=postmortem,
        number=postmortem.version,
        author=editor,
        content=postmortem.section_texts(),
        changed_sections=list(changed),
        note=note,
    )


@transaction.atomic
def postmortem_create(
    *, incident: Incident, author, template: PostmortemTemplate | None
) -> Postmortem:
    if existing := Postmortem.objects.filter(incident=incident).first():
        raise AlreadyStarted(postmortem=existing)
    # Sections start empty: the template's prompts are shown as guidance under each box, so
    # nothing the writer types is mixed up with them.
    postmortem = Postmortem(incident=incident, author=author, template=template)
    try:
        with transaction.atomic():
            postmortem.save()
    except IntegrityError:
        # Started concurrently: the other request's insert committed first.
        if existing := Postmortem.objects.filter(incident=incident).first():
            raise AlreadyStarted(postmortem=existing) from None
        raise
    postmortem.past_writers.add(author)
    note = _("Started from “%(template)s”") % {"template": template} if template else ""
    record_revision(postmortem=postmortem, editor=author, changed=[], note=note)
    return postmortem


@transaction.atomic
def postmortem_set_co_authors(*, postmortem: Postmortem, actor, co_authors) -> Postmortem:
    """Co-authors may be removed, but whoever once wrote it stays among its past writers, who
    may never approve it."""
    postmortem = lock_postmortem(postmortem.pk)
    if not (actor.is_staff or actor.pk == postmortem.author_id):
        raise PostmortemError(_("Only the author and staff may change who writes this postmortem."))
    co_authors = [person for person in co_authors if person.pk != postmortem.author_id]
    postmortem.co_authors.set(co_authors)
    postmortem.past_writers.add(*co_authors)
    return postmortem


@transaction.atomic
def postmortem_save_sections(
    *,
    postmortem_id: int,
    editor,
    texts: dict[str, str],
    loaded_version: int,
    note: str = "",
) -> tuple[Postmortem, Revision | None]:
    """Save the given sections as a new revision; refuse if someone saved since ``loaded_version``.

    Approved text is frozen; published text changes only through an amendment
    (postmortems/amendments.py), which keeps the published text until the change is approved.
    Returns the postmortem and the new revision (None when nothing changed).
    """
    postmortem = lock_postmortem(postmortem_id)
    if postmortem.status == PostmortemStatus.PUBLISHED:
        raise DocumentFrozen(
            _(
                "It is published, so readers keep seeing the approved text: start an amendment "
                "with a reason on its page, and edit the amendment instead."
            )
        )
    check_document_change(postmortem=postmortem)
    if postmortem.version != loaded_version:
        raise StaleEdit(postmortem=postmortem, loaded_version=loaded_version)
    changed = [f for f in SECTION_FIELDS if f in texts and texts[f] != getattr(postmortem, f)]
    if not changed:
        return postmortem, None
    for field in changed:
        setattr(postmortem, field, texts[field])
    postmortem.version += 1
    postmortem.save()
    record_document_change(
        postmortem=postmortem,
        actor=editor,
        description=_("Edited %(sections)s")
        % {"sections": ", ".join(str(SECTIONS_BY_FIELD[f].title) for f in changed)},
    )
    return postmortem, record_revision(
        postmortem=postmortem, editor=editor, changed=changed, note=note
    )


@transaction.atomic
def revision_restore(*, postmortem_id: int, revision_number: int, editor) -> Revision:
    """Bring back an earlier revision's text; the restore is itself a new revision."""
    postmortem = lock_postmortem(postmortem_id)
    revision = postmortem.revisions.get(number=revision_number)
    _postmortem, new_revision = postmortem_save_sections(
        postmortem_id=postmortem.pk,
        editor=editor,
        texts=revision.content,
        loaded_version=postmortem.version,
        note=_("Restored revision %(number)s") % {"number": revision.number},
    )
    if new_revision is None:
        raise PostmortemError(
            _("Revision %(number)s is the same as the current text; nothing to restore.")
            % {"number": revision.number}
        )
    return new_revision
