from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from incidents.models import Incident
from postmortems.audit import record_audit
from postmortems.models import (
    AuditAction,
    Postmortem,
    PostmortemStatus,
    PostmortemTemplate,
    Revision,
)
from postmortems.sections import SECTION_FIELDS


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


def _record_revision(*, postmortem, editor, changed, note="") -> Revision:
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
    prompts = template.prompts if template else {}
    postmortem = Postmortem(incident=incident, author=author, template=template)
    for field in SECTION_FIELDS:
        setattr(postmortem, field, prompts.get(field, ""))
    try:
        with transaction.atomic():
            postmortem.save()
    except IntegrityError:
        # Started concurrently: the other request's insert committed first.
        if existing := Postmortem.objects.filter(incident=incident).first():
            raise AlreadyStarted(postmortem=existing) from None
        raise
    note = _("Started from “%(template)s”") % {"template": template} if template else ""
    _record_revision(postmortem=postmortem, editor=author, changed=[], note=note)
    return postmortem


@transaction.atomic
def postmortem_save_sections(
    *,
    postmortem_id: int,
    editor,
    texts: dict[str, str],
    loaded_version: int,
    note: str = "",
    amendment_reason: str = "",
) -> tuple[Postmortem, Revision | None]:
    """Save the given sections as a new revision; refuse if someone saved since ``loaded_version``.

    A published postmortem can still change, but only as an amendment with a reason, which is
    recorded in its activity. Returns the postmortem and the new revision (None when nothing
    changed).
    """
    postmortem = Postmortem.objects.select_for_update().get(pk=postmortem_id)
    if not postmortem.is_editable_state:
        raise PostmortemError(
            _(
                "It was approved as it stands, so its text is frozen. Publish it first; then "
                "you can amend it with a reason."
            )
        )
    if postmortem.version != loaded_version:
        raise StaleEdit(postmortem=postmortem, loaded_version=loaded_version)
    changed = [f for f in SECTION_FIELDS if f in texts and texts[f] != getattr(postmortem, f)]
    if not changed:
        return postmortem, None
    if postmortem.status == PostmortemStatus.PUBLISHED:
        if not amendment_reason.strip():
            raise PostmortemError(_("It is published: say why you are amending it."))
        note = amendment_reason.strip()
        record_audit(
            postmortem,
            actor=editor,
            action=AuditAction.AMENDED,
            from_status=postmortem.status,
            reason=note,
        )
    for field in changed:
        setattr(postmortem, field, texts[field])
    postmortem.version += 1
    postmortem.save()
    return postmortem, _record_revision(
        postmortem=postmortem, editor=editor, changed=changed, note=note
    )


@transaction.atomic
def revision_restore(*, postmortem_id: int, revision_number: int, editor) -> Revision:
    """Bring back an earlier revision's text; the restore is itself a new revision."""
    postmortem = Postmortem.objects.select_for_update().get(pk=postmortem_id)
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
