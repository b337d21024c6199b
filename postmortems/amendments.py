"""Amendments of published postmortems: every state change in one place — lock, check, change,
record, notify.

Readers keep seeing the published text (page, export, search, library, public page and feed)
while an amendment is open: its proposed text lives on the amendment. A reviewer who never wrote
the postmortem and did not change the amendment approves it; only then is the text applied, as a
new revision, with the incident's facts and timeline recorded again for readers.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import events
from core.models import Role, User
from postmortems.audit import record_audit
from postmortems.models import Amendment, AmendmentStatus, AuditAction, Postmortem
from postmortems.models import PostmortemStatus as S
from postmortems.notifications import notify
from postmortems.review import TransitionRefused
from postmortems.sections import AMENDABLE_FIELDS, AMENDABLE_SECTIONS, SECTION_FIELDS
from postmortems.selectors import published_record
from postmortems.services import (
    lock_postmortem,
    open_amendment,
    record_document_change,
    record_revision,
)

_TITLES = {section.field: section.title for section in AMENDABLE_SECTIONS}


def _lock_amendment(amendment: Amendment) -> tuple[Postmortem, Amendment]:
    postmortem = lock_postmortem(amendment.postmortem_id)
    amendment = Amendment.objects.select_for_update().get(pk=amendment.pk)
    if not amendment.is_open:
        raise TransitionRefused(
            _("This amendment is already %(status)s.")
            % {"status": amendment.get_status_display().lower()}
        )
    return postmortem, amendment


def _published_text(postmortem: Postmortem) -> dict[str, str]:
    return {field: getattr(postmortem, field) for field in AMENDABLE_FIELDS}


def _reviewers(postmortem) -> list[User]:
    return [r.reviewer for r in postmortem.review_requests.select_related("reviewer")]


def _writers(postmortem) -> list[User]:
    return [postmortem.author, *postmortem.co_authors.all()]


def may_amend(postmortem: Postmortem, user) -> bool:
    return user.is_staff or postmortem.is_writer(user)


def may_approve_amendment(amendment: Amendment, user) -> bool:
    """A Reviewer who never wrote the postmortem, and neither started nor changed the amendment."""
    postmortem = amendment.postmortem
    return (
        user.has_role(Role.REVIEWER)
        and not postmortem.ever_wrote(user)
        and user.pk != amendment.opened_by_id
        and not amendment.changes.filter(actor=user).exists()
    )


@transaction.atomic
def start_amendment(*, postmortem: Postmortem, actor: User, reason: str) -> Amendment:
    postmortem = lock_postmortem(postmortem.pk)
    if not may_amend(postmortem, actor):
        raise TransitionRefused(_("Only the author, co-authors or staff may amend it."))
    if postmortem.status != S.PUBLISHED:
        raise TransitionRefused(
            _("Only a published postmortem is amended; edit this one directly.")
        )
    if open_amendment(postmortem) is not None:
        raise TransitionRefused(
            _("An amendment is already open: change that one, or withdraw it first.")
        )
    if not reason.strip():
        raise TransitionRefused(_("Say why you are amending it: readers see the reason."))
    text = _published_text(postmortem)
    amendment = Amendment.objects.create(
        postmortem=postmortem,
        opened_by=actor,
        reason=reason.strip(),
        published_text=text,
        proposed_text=dict(text),
    )
    record_audit(
        postmortem,
        actor=actor,
        action=AuditAction.AMENDMENT_STARTED,
        from_status=postmortem.status,
        reason=amendment.reason,
    )
    notify(
        event="amendment_started",
        postmortem=postmortem,
        actor=actor,
        recipients=_reviewers(postmortem),
        amendment=amendment,
    )
    return amendment


@transaction.atomic
def save_amendment_text(
    *, amendment: Amendment, actor: User, texts: dict[str, str], loaded_version: int
) -> Amendment:
    """Change the proposed text; ``loaded_version`` is the content version the editor saw."""
    postmortem, amendment = _lock_amendment(amendment)
    if not postmortem.can_edit(actor):
        raise TransitionRefused(_("Only its writers, reviewers and staff may change the text."))
    if postmortem.content_version != loaded_version:
        raise TransitionRefused(
            _(
                "Someone changed the amendment while you were editing. Your text is kept below: "
                "reload the page in another tab, merge, and save again."
            )
        )
    changed = [
        field
        for field in AMENDABLE_FIELDS
        if field in texts and texts[field] != amendment.proposed_text.get(field, "")
    ]
    if not changed:
        return amendment
    amendment.proposed_text = {**amendment.proposed_text, **{f: texts[f] for f in changed}}
    amendment.save(update_fields=["proposed_text"])
    record_document_change(
        postmortem=postmortem,
        actor=actor,
        amendment=amendment,
        description=_("Proposed a change to %(sections)s")
        % {"sections": ", ".join(str(_TITLES[f]) for f in changed)},
    )
    return amendment


@transaction.atomic
def approve_amendment(*, amendment: Amendment, actor: User, seen_version: int) -> Postmortem:
    """Apply the proposed text: a new revision, the facts and timeline recorded again for
    readers, an audit entry, and the people concerned told."""
    postmortem, amendment = _lock_amendment(amendment)
    if postmortem.ever_wrote(actor):
        raise TransitionRefused(_("You cannot approve an amendment of a postmortem you wrote."))
    if actor.pk == amendment.opened_by_id or amendment.changes.filter(actor=actor).exists():
        raise TransitionRefused(
            _("You started or changed this amendment, so another reviewer must approve it.")
        )
    if not actor.has_role(Role.REVIEWER):
        raise TransitionRefused(_("Only reviewers may approve an amendment."))
    if postmortem.content_version != seen_version:
        raise TransitionRefused(
            _("The amendment changed since you loaded it: read it again before approving.")
        )
    proposed = amendment.proposed_text
    changed_sections = [f for f in SECTION_FIELDS if proposed[f] != getattr(postmortem, f)]
    for field in AMENDABLE_FIELDS:
        setattr(postmortem, field, proposed[field])
    postmortem.public_title = postmortem.public_title.strip()
    postmortem.version += 1
    postmortem.published_record = published_record(postmortem)
    postmortem.save()
    record_revision(
        postmortem=postmortem, editor=actor, changed=changed_sections, note=amendment.reason
    )
    amendment.status = AmendmentStatus.APPLIED
    amendment.closed_at = timezone.now()
    amendment.closed_by = actor
    amendment.save(update_fields=["status", "closed_at", "closed_by"])
    record_audit(
        postmortem,
        actor=actor,
        action=AuditAction.AMENDED,
        from_status=postmortem.status,
        reason=amendment.reason,
    )
    editors = [change.actor for change in amendment.changes.select_related("actor")]
    notify(
        event="amendment_approved",
        postmortem=postmortem,
        actor=actor,
        recipients=[*_writers(postmortem), amendment.opened_by, *editors],
        amendment=amendment,
    )
    events.publish(events.POSTMORTEM_AMENDED, actor=actor, postmortem=postmortem)
    return postmortem


@transaction.atomic
def withdraw_amendment(*, amendment: Amendment, actor: User, reason: str) -> Amendment:
    postmortem, amendment = _lock_amendment(amendment)
    if not (may_amend(postmortem, actor) or actor.pk == amendment.opened_by_id):
        raise TransitionRefused(
            _("Only the author, co-authors, staff or whoever started it may withdraw it.")
        )
    if not reason.strip():
        raise TransitionRefused(
            _("Say why the amendment is withdrawn: it is kept in the activity.")
        )
    amendment.status = AmendmentStatus.WITHDRAWN
    amendment.closed_at = timezone.now()
    amendment.closed_by = actor
    amendment.withdraw_reason = reason.strip()
    amendment.save(update_fields=["status", "closed_at", "closed_by", "withdraw_reason"])
    record_audit(
        postmortem,
        actor=actor,
        action=AuditAction.AMENDMENT_WITHDRAWN,
        from_status=postmortem.status,
        reason=amendment.withdraw_reason,
    )
    notify(
        event="amendment_withdrawn",
        postmortem=postmortem,
        actor=actor,
        recipients=[*_reviewers(postmortem), *_writers(postmortem)],
        amendment=amendment,
    )
    return amendment
