"""The review workflow: every state change of a postmortem, with its rules, audit entry and
emails in one place. Views call these and show the refusal's message as it is.

    draft → in review → changes requested ↔ in review → approved → published (→ amended)
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from actions.selectors import approval_gate
from core import events
from core.forms import SECTION_MAX_LENGTH
from core.models import Role, User
from incidents.models import Status as IncidentStatus
from postmortems import survey
from postmortems.anchors import (
    CONTEXT_MAX_LENGTH,
    QUOTE_MAX_LENGTH,
    collapse,
    normalise,
    plain_text,
)
from postmortems.anchors import source_span as quote_in_source
from postmortems.audit import record_audit
from postmortems.models import (
    AuditAction,
    Comment,
    Postmortem,
    PostmortemStatus,
    ReviewRequest,
    SuggestionStatus,
)
from postmortems.notifications import notify
from postmortems.sections import SECTIONS_BY_FIELD
from postmortems.selectors import published_record
from postmortems.services import (
    PostmortemError,
    changed_in_round,
    lock_postmortem,
    postmortem_save_sections,
    void_approvals,
)

S = PostmortemStatus


class TransitionRefused(PostmortemError):
    """The change is not allowed now; the message says exactly why and what to do."""


def _lock(postmortem: Postmortem) -> Postmortem:
    return (
        Postmortem.objects.select_for_update(of=("self",))
        .select_related("incident", "author")
        .get(pk=postmortem.pk)
    )


def _require_status(postmortem: Postmortem, allowed: set[str], doing: str) -> None:
    if postmortem.status not in allowed:
        raise TransitionRefused(
            _("You cannot %(doing)s a postmortem that is %(status)s.")
            % {"doing": doing, "status": postmortem.get_status_display().lower()}
        )


def _writers(postmortem) -> list[User]:
    return [postmortem.author, *postmortem.co_authors.all()]


def _reviewers(postmortem) -> list[User]:
    return [r.reviewer for r in postmortem.review_requests.select_related("reviewer")]


def _is_writer_or_staff(postmortem, user) -> bool:
    return user.is_staff or postmortem.is_writer(user)


def may_review(postmortem, user) -> bool:
    """Reviewers review; nobody reviews (or approves) a postmortem they ever helped write."""
    return user.has_role(Role.REVIEWER) and not postmortem.ever_wrote(user)


def approvals(postmortem) -> int:
    """Approvals of the current text: an approval voided by a later change does not count."""
    return postmortem.review_requests.filter(
        approved_at__isnull=False, voided_at__isnull=True
    ).count()


def open_threads(postmortem):
    return postmortem.comments.filter(parent__isnull=True, resolved_at__isnull=True)


@transaction.atomic
def request_review(*, postmortem: Postmortem, actor: User, reviewers) -> Postmortem:
    postmortem = _lock(postmortem)
    if not _is_writer_or_staff(postmortem, actor):
        raise TransitionRefused(_("Only the author, co-authors or staff may request a review."))
    _require_status(postmortem, {S.DRAFT, S.CHANGES_REQUESTED}, _("send for review"))
    empty = postmortem.empty_required_sections()
    if empty:
        raise TransitionRefused(
            _("Write these sections before asking for review: %(sections)s.")
            % {"sections": ", ".join(str(section.title) for section in empty)}
        )
    reviewers = list(reviewers)
    if not reviewers:
        raise TransitionRefused(_("Choose at least one reviewer."))
    unfit = [r.display_name for r in reviewers if not may_review(postmortem, r)]
    if unfit:
        raise TransitionRefused(
            _(
                "These people cannot review it (they need the Reviewer role and must not be "
                "among its writers): %(names)s."
            )
            % {"names": ", ".join(unfit)}
        )
    seeing = {person.pk for person in postmortem.incident.viewers_among(reviewers)}
    unseeing = [r for r in reviewers if r.pk not in seeing]
    if unseeing:
        raise TransitionRefused(
            _(
                "The incident is restricted and these people may not see it: %(names)s. Name "
                "them participants of the incident first, or choose other reviewers."
            )
            % {"names": ", ".join(r.display_name for r in unseeing)}
        )
    from_status = postmortem.status
    # A new round: earlier approvals and requests were of an earlier text (the audit trail
    # keeps them).
    postmortem.review_requests.update(
        requested_at=timezone.now(),
        approved_at=None,
        approved_version=None,
        voided_at=None,
        changes_requested_at=None,
    )
    for reviewer in reviewers:
        ReviewRequest.objects.get_or_create(
            postmortem=postmortem, reviewer=reviewer, defaults={"requested_by": actor}
        )
    postmortem.status = S.IN_REVIEW
    postmortem.review_round += 1
    postmortem.save(update_fields=["status", "review_round", "updated_at"])
    record_audit(
        postmortem, actor=actor, action=AuditAction.REVIEW_REQUESTED, from_status=from_status
    )
    notify(
        event="review_requested",
        postmortem=postmortem,
        actor=actor,
        recipients=_reviewers(postmortem),
    )
    events.publish(events.REVIEW_REQUESTED, actor=actor, postmortem=postmortem)
    return postmortem


@transaction.atomic
def request_changes(*, postmortem: Postmortem, actor: User, comment: str) -> Postmortem:
    postmortem = _lock(postmortem)
    if not may_review(postmortem, actor):
        raise TransitionRefused(
            _("Only a reviewer who is not one of its writers may request changes.")
        )
    _require_status(postmortem, {S.IN_REVIEW}, _("request changes to"))
    if not comment.strip():
        raise TransitionRefused(_("Say what needs to change: the comment is required."))
    Comment.objects.create(
        postmortem=postmortem, author=actor, body=comment, revision_number=postmortem.version
    )
    request, _created = ReviewRequest.objects.get_or_create(
        postmortem=postmortem, reviewer=actor, defaults={"requested_by": actor}
    )
    request.changes_requested_at = timezone.now()
    request.reviewed_version = postmortem.version
    request.save(update_fields=["changes_requested_at", "reviewed_version"])
    from_status = postmortem.status
    postmortem.status = S.CHANGES_REQUESTED
    postmortem.save(update_fields=["status", "updated_at"])
    record_audit(
        postmortem,
        actor=actor,
        action=AuditAction.CHANGES_REQUESTED,
        from_status=from_status,
        reason=comment,
    )
    notify(
        event="changes_requested",
        postmortem=postmortem,
        actor=actor,
        recipients=_writers(postmortem),
        comment=comment,
    )
    return postmortem


@transaction.atomic
def approve(
    *,
    postmortem: Postmortem,
    actor: User,
    override_reason: str = "",
    no_actions_needed: bool = False,
) -> Postmortem:
    postmortem = _lock(postmortem)
    if postmortem.ever_wrote(actor):
        raise TransitionRefused(
            _("You cannot approve a postmortem you wrote (or once co-wrote); ask another reviewer.")
        )
    if not may_review(postmortem, actor):
        raise TransitionRefused(_("Only reviewers may approve."))
    _require_status(postmortem, {S.IN_REVIEW}, _("approve"))
    if changed_in_round(postmortem, actor):
        raise TransitionRefused(
            _(
                "You changed this postmortem during this review round, so you cannot approve "
                "it: ask a reviewer who did not change it."
            )
        )
    problems, no_action_items = approval_gate(postmortem)
    if no_action_items and not no_actions_needed:
        problems.append(_("It has no action items: confirm that none are needed, or ask for some."))
    open_count = open_threads(postmortem).count()
    if open_count and not override_reason.strip():
        problems.append(
            ngettext(
                "%(count)s comment thread is still open: resolve it, or give a reason to "
                "approve anyway.",
                "%(count)s comment threads are still open: resolve them, or give a reason to "
                "approve anyway.",
                open_count,
            )
            % {"count": open_count}
        )
    if problems:
        raise TransitionRefused(" ".join(str(problem) for problem in problems))

    request, _created = ReviewRequest.objects.get_or_create(
        postmortem=postmortem, reviewer=actor, defaults={"requested_by": actor}
    )
    request.approved_at = timezone.now()
    request.approved_version = postmortem.content_version
    request.voided_at = None
    request.reviewed_version = postmortem.version
    request.save(update_fields=["approved_at", "approved_version", "voided_at", "reviewed_version"])
    from_status = postmortem.status
    if approvals(postmortem) >= settings.POSTMORTEM_REQUIRED_APPROVALS:
        postmortem.status = S.APPROVED
        postmortem.save(update_fields=["status", "updated_at"])
    action = AuditAction.APPROVED_WITH_OVERRIDE if open_count else AuditAction.APPROVED
    record_audit(
        postmortem, actor=actor, action=action, from_status=from_status, reason=override_reason
    )
    notify(
        event="approved",
        postmortem=postmortem,
        actor=actor,
        recipients=_writers(postmortem),
        fully_approved=postmortem.status == S.APPROVED,
        required=settings.POSTMORTEM_REQUIRED_APPROVALS,
        count=approvals(postmortem),
    )
    if postmortem.status == S.APPROVED:
        events.publish(events.POSTMORTEM_APPROVED, actor=actor, postmortem=postmortem)
    return postmortem


@transaction.atomic
def publish(
    *,
    postmortem: Postmortem,
    actor: User,
    make_public: bool = False,
    public_title: str = "",
    public_summary: str = "",
) -> Postmortem:
    postmortem = _lock(postmortem)
    if not _is_writer_or_staff(postmortem, actor):
        raise TransitionRefused(_("Only the author, co-authors or staff may publish."))
    _require_status(postmortem, {S.APPROVED}, _("publish"))
    if postmortem.incident.status == IncidentStatus.INVESTIGATING:
        raise TransitionRefused(
            _(
                "The incident is still being investigated. Mark it mitigated or resolved, then "
                "publish its postmortem."
            )
        )
    if make_public and not (public_title.strip() and public_summary.strip()):
        raise TransitionRefused(
            _("To publish a public summary, give it both a public title and the summary text.")
        )
    from_status = postmortem.status
    postmortem.status = S.PUBLISHED
    postmortem.published_at = timezone.now()
    postmortem.public_title = public_title.strip()
    postmortem.public_summary = public_summary
    postmortem.is_public = make_public
    # Readers of the published postmortem see the facts and timeline as they were approved.
    postmortem.published_record = published_record(postmortem)
    postmortem.save()
    record_audit(postmortem, actor=actor, action=AuditAction.PUBLISHED, from_status=from_status)
    managers = User.objects.filter(groups__name=Role.MANAGER, is_active=True)
    notify(
        event="published",
        postmortem=postmortem,
        actor=actor,
        recipients=[*_writers(postmortem), *_reviewers(postmortem), *managers],
    )
    # The postmortem on postmortems: its writers, reviewers and participants are asked how
    # the review went, anonymously.
    survey.invite(postmortem=postmortem)
    events.publish(events.POSTMORTEM_PUBLISHED, actor=actor, postmortem=postmortem)
    return postmortem


@transaction.atomic
def withdraw_approval(*, postmortem: Postmortem, actor: User, reason: str) -> Postmortem:
    """Unfreeze approved text so its writers can change it: the approvals no longer count, and
    the reviewers are told. The writers then resubmit it for review."""
    postmortem = _lock(postmortem)
    if not _is_writer_or_staff(postmortem, actor):
        raise TransitionRefused(
            _("Only the author, co-authors or staff may withdraw the approval.")
        )
    _require_status(postmortem, {S.APPROVED}, _("withdraw the approval of"))
    if not reason.strip():
        raise TransitionRefused(
            _("Say why the approval is withdrawn: the reviewers and the activity feed show it.")
        )
    from_status = postmortem.status
    # Every reviewer is told below, approvers included.
    void_approvals(postmortem=postmortem, actor=actor, because=reason.strip(), tell_approvers=False)
    postmortem.status = S.CHANGES_REQUESTED
    postmortem.save(update_fields=["status", "updated_at"])
    record_audit(
        postmortem,
        actor=actor,
        action=AuditAction.APPROVAL_WITHDRAWN,
        from_status=from_status,
        reason=reason.strip(),
    )
    notify(
        event="approval_withdrawn",
        postmortem=postmortem,
        actor=actor,
        recipients=_reviewers(postmortem),
        reason=reason.strip(),
    )
    return postmortem


@transaction.atomic
def add_comment(
    *,
    postmortem: Postmortem,
    actor: User,
    body: str,
    section: str = "",
    parent=None,
    quote: str = "",
    prefix: str = "",
    suffix: str = "",
    suggestion: str = "",
) -> Comment:
    """Post a comment or a reply. A comment on a section may quote the text it is about (as the
    reader sees it) and suggest replacement text for the quote."""
    if not body.strip():
        raise PostmortemError(_("Write something before posting the comment."))
    if parent is not None and parent.parent_id is not None:
        parent = parent.parent  # replies stay one level deep
    quote = "" if parent else normalise(quote)
    suggestion = "" if parent or not quote else suggestion
    if parent is None and section and section not in SECTIONS_BY_FIELD:
        raise PostmortemError(_("This postmortem has no such section: choose one from the list."))
    if quote:
        _check_quote(postmortem, section, quote)
    if suggestion.strip() and not _document_open(postmortem):
        raise PostmortemError(
            _(
                "It is %(status)s, so its text cannot take a suggestion now: say what to "
                "change in the comment instead."
            )
            % {"status": postmortem.get_status_display().lower()}
        )
    comment = Comment.objects.create(
        postmortem=postmortem,
        author=actor,
        body=body,
        section="" if parent else section,
        parent=parent,
        quote=quote,
        # Some of the text either side tells repeats of the quote apart.
        quote_prefix=collapse(prefix).lstrip()[-CONTEXT_MAX_LENGTH:] if quote else "",
        quote_suffix=collapse(suffix).rstrip()[:CONTEXT_MAX_LENGTH] if quote else "",
        revision_number=postmortem.version,
        suggestion=suggestion if suggestion.strip() else "",
        suggestion_status=SuggestionStatus.OPEN if suggestion.strip() else SuggestionStatus.NONE,
    )
    postmortem.review_requests.filter(reviewer=actor).update(reviewed_version=postmortem.version)
    thread = (
        [parent.author, *(r.author for r in parent.replies.select_related("author"))]
        if parent
        else []
    )
    notify(
        event="comment",
        postmortem=postmortem,
        actor=actor,
        recipients=[*_writers(postmortem), *_reviewers(postmortem), *thread],
        thread=thread,
        comment=comment,
    )
    return comment


def _document_open(postmortem) -> bool:
    return postmortem.status in (S.DRAFT, S.IN_REVIEW, S.CHANGES_REQUESTED)


def _check_quote(postmortem, section: str, quote: str) -> None:
    if not section:
        raise PostmortemError(_("Choose the section the quoted text is in."))
    if len(quote) > QUOTE_MAX_LENGTH:
        raise PostmortemError(
            _("Quote at most %(limit)s characters (this has %(length)s): select less text.")
            % {"limit": QUOTE_MAX_LENGTH, "length": len(quote)}
        )
    if quote not in plain_text(getattr(postmortem, f"{section}_html")):
        raise PostmortemError(
            _(
                "The quoted text is not in %(section)s as it reads now (it may have changed "
                "since you opened the page). Your comment is kept below: check the quote, or "
                "clear it to comment on the whole section."
            )
            % {"section": SECTIONS_BY_FIELD[section].title}
        )


def _lock_suggestion(comment: Comment, actor: User) -> Comment:
    comment = Comment.objects.select_for_update().select_related("postmortem").get(pk=comment.pk)
    postmortem = comment.postmortem
    if not (actor.is_staff or postmortem.is_writer(actor)):
        raise PostmortemError(_("Only its writers and staff may accept or dismiss a suggestion."))
    if comment.suggestion_status != SuggestionStatus.OPEN:
        raise PostmortemError(
            _("This suggestion was already %(decision)s.")
            % {"decision": comment.get_suggestion_status_display()}
            if comment.suggestion_status
            else _("This comment suggests no text.")
        )
    return comment


@transaction.atomic
def accept_suggestion(*, comment: Comment, actor: User) -> Comment:
    """Put the suggested text in place of the quote, as a new revision made by ``actor`` through
    the ordinary editing path (so history, approvals and the round's changes follow)."""
    comment = _lock_suggestion(comment, actor)
    postmortem = lock_postmortem(comment.postmortem_id)
    text = getattr(postmortem, comment.section)
    spans = quote_in_source(text, comment.quote)
    if len(spans) != 1:
        if spans:
            refusal = _(
                "The quoted text appears more than once in %(section)s, so it is not clear "
                "which to replace: edit the section by hand, or dismiss the suggestion."
            )
        else:
            refusal = _(
                "The quoted text no longer appears in %(section)s exactly once as written, so "
                "the suggestion cannot be applied by itself: edit the section by hand, or "
                "dismiss the suggestion."
            )
        raise PostmortemError(refusal % {"section": SECTIONS_BY_FIELD[comment.section].title})
    start, end = spans[0]
    new_text = text[:start] + comment.suggestion + text[end:]
    if len(new_text) > SECTION_MAX_LENGTH:
        raise PostmortemError(
            _("With the suggestion, the section would be over %(limit)s characters.")
            % {"limit": SECTION_MAX_LENGTH}
        )
    postmortem_save_sections(
        postmortem_id=postmortem.pk,
        editor=actor,
        texts={comment.section: new_text},
        loaded_version=postmortem.version,
        note=_("Accepted a suggestion by %(name)s") % {"name": comment.author.display_name},
    )
    now = timezone.now()
    comment.suggestion_status = SuggestionStatus.ACCEPTED
    comment.suggestion_decided_by = actor
    comment.suggestion_decided_at = now
    comment.resolved_at = comment.resolved_at or now
    comment.resolved_by = comment.resolved_by or actor
    comment.save(
        update_fields=[
            "suggestion_status",
            "suggestion_decided_by",
            "suggestion_decided_at",
            "resolved_at",
            "resolved_by",
            "updated_at",
        ]
    )
    return comment


@transaction.atomic
def dismiss_suggestion(*, comment: Comment, actor: User) -> Comment:
    """Keep the text as it is; the thread stays open for the discussion."""
    comment = _lock_suggestion(comment, actor)
    comment.suggestion_status = SuggestionStatus.DISMISSED
    comment.suggestion_decided_by = actor
    comment.suggestion_decided_at = timezone.now()
    comment.save(
        update_fields=[
            "suggestion_status",
            "suggestion_decided_by",
            "suggestion_decided_at",
            "updated_at",
        ]
    )
    return comment


def set_comment_resolved(*, comment: Comment, actor: User, resolved: bool) -> Comment:
    postmortem = comment.postmortem
    if not (postmortem.can_edit(actor) or actor.pk == comment.author_id):
        raise PostmortemError(
            _("Only its writers, reviewers and the commenter may resolve a comment.")
        )
    if comment.parent_id is not None:
        raise PostmortemError(_("Resolve the whole thread, not a reply."))
    comment.resolved_at = timezone.now() if resolved else None
    comment.resolved_by = actor if resolved else None
    comment.save(update_fields=["resolved_at", "resolved_by", "updated_at"])
    return comment
