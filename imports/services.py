"""Bringing postmortems in. Every record is made through the apps' own services, so it is
checked, kept in the histories and announced exactly as if typed in.

Markdown: an upload is kept and previewed first (``markdown_import_plan``), then imported on
the worker (``markdown_import_queue`` defers ``markdown_import_run``): an upload of many files
takes longer than a request may. Files imported before are recognised by their content hash
and by the reference they give themselves, and skipped."""

import hashlib
import zoneinfo
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from actions.models import ActionStatus
from actions.services import ActionItemError, action_item_create, action_item_set_status
from core import queue
from core.forms import (
    ENTRY_MAX_LENGTH,
    LONG_TEXT_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    SECTION_MAX_LENGTH,
)
from imports.markdown import ParsedPostmortem, parse_markdown
from imports.models import MarkdownImport, MarkdownImportFile
from incidents.changes import ChangeRefused
from incidents.models import Service
from incidents.services import IncidentError, incident_create, timeline_entry_create
from postmortems.sections import SECTIONS_BY_FIELD
from postmortems.services import (
    PostmortemError,
    postmortem_create,
    postmortem_save_sections,
    postmortem_set_co_authors,
)

IMPORT_MARKDOWN_TASK = "imports.import_markdown"
# A run that crashed (the database went away) rolled back whole: it is simply run again.


class ImportRefused(Exception):
    """A refusal with a message a person can act on."""


def may_import(user) -> bool:
    """Importing writes a postmortem (the importer is its author): Authors and staff may."""
    return user.is_authenticated and (user.is_staff or user.is_author)


def content_hash(text: str) -> str:
    """The same postmortem saved with other line endings is the same file."""
    normalised = text.replace("\r\n", "\n").lstrip("\ufeff").strip()
    return hashlib.sha256(normalised.encode()).hexdigest()


# Markdown --------------------------------------------------------------------------------------


@transaction.atomic
def markdown_import_create(
    *, uploaded_by, files: list[tuple[str, str]], time_zone: str, severity: str
) -> MarkdownImport:
    """Keep an upload's files for the preview; nothing is imported yet."""
    if not may_import(uploaded_by):
        raise ImportRefused(_("Only Authors and staff may import postmortems."))
    if not files:
        raise ImportRefused(_("None of the files could be read: nothing to import."))
    markdown_import = MarkdownImport.objects.create(
        uploaded_by=uploaded_by, time_zone=time_zone, severity=severity
    )
    MarkdownImportFile.objects.bulk_create(
        MarkdownImportFile(
            markdown_import=markdown_import,
            name=name[:255],
            text=text,
            content_hash=content_hash(text),
        )
        for name, text in files
    )
    return markdown_import


@dataclass
class FilePlan:
    """What one file becomes: the parsed postmortem, or why it is skipped."""

    file: MarkdownImportFile
    parsed: ParsedPostmortem
    skip_reason: str = ""
    owners: dict = field(default_factory=dict)  # username → user, for its action items
    commander: object = None
    co_authors: list = field(default_factory=list)
    services: list = field(default_factory=list)


def markdown_import_plan(markdown_import: MarkdownImport) -> list[FilePlan]:
    """Each file read as it would be imported, with duplicates of earlier imports (and of
    another file of this upload) marked to skip. A fixed number of queries."""
    files = list(markdown_import.files.select_related("incident__postmortem"))
    zone = zoneinfo.ZoneInfo(markdown_import.time_zone)
    today = timezone.now()
    plans = [
        FilePlan(file, parse_markdown(file.text, name=file.name, default_zone=zone, today=today))
        for file in files
    ]
    for plan in plans:
        if plan.file.source_reference != plan.parsed.reference and not plan.file.incident_id:
            plan.file.source_reference = plan.parsed.reference
    _mark_duplicates(plans)
    _resolve_people(plans)
    _resolve_services(plans)
    return plans


def _mark_duplicates(plans: list[FilePlan]) -> None:
    hashes = {plan.file.content_hash for plan in plans}
    references = {plan.parsed.reference for plan in plans if plan.parsed.reference}
    earlier = (
        MarkdownImportFile.objects.filter(incident__isnull=False)
        .filter(Q(content_hash__in=hashes) | Q(source_reference__in=references))
        .select_related("incident")
        .order_by("pk")
    )
    by_hash, by_reference = {}, {}
    for file in earlier:
        by_hash.setdefault(file.content_hash, file)
        if file.source_reference:
            by_reference.setdefault(file.source_reference, file)
    seen, seen_references = {}, {}
    for plan in plans:
        if plan.file.incident_id:
            plan.skip_reason = _("Imported as %(ref)s.") % {"ref": plan.file.incident.reference}
            continue
        match = by_hash.get(plan.file.content_hash) or by_reference.get(plan.parsed.reference)
        if match is not None:
            plan.skip_reason = _(
                "Already imported as %(ref)s (from “%(name)s”): skipped. Change that incident "
                "instead."
            ) % {"ref": match.incident.reference, "name": match.name}
        elif plan.file.content_hash in seen:
            plan.skip_reason = _("The same text as “%(name)s” in this upload: skipped.") % {
                "name": seen[plan.file.content_hash]
            }
        elif plan.parsed.reference in seen_references:
            plan.skip_reason = _("The same reference as “%(name)s” in this upload: skipped.") % {
                "name": seen_references[plan.parsed.reference]
            }
        else:
            seen[plan.file.content_hash] = plan.file.name
            if plan.parsed.reference:
                seen_references[plan.parsed.reference] = plan.file.name


def _resolve_people(plans: list[FilePlan]) -> None:
    """Owners, commander and co-authors are named by username (Hindsight's export only);
    someone who has no active account here leaves the item needing an owner."""
    usernames = set()
    for plan in plans:
        usernames.update(item.owner for item in plan.parsed.action_items if item.owner)
        usernames.update(plan.parsed.authors)
        usernames.add(plan.parsed.commander)
    users = {
        user.username: user
        for user in get_user_model().objects.filter(username__in=usernames - {""}, is_active=True)
    }
    for plan in plans:
        plan.owners = {name: users[name] for name in usernames if name in users}
        plan.commander = users.get(plan.parsed.commander)
        plan.co_authors = [users[name] for name in plan.parsed.authors if name in users]
        for item in plan.parsed.action_items:
            if item.owner and item.owner not in users:
                plan.parsed.warnings.append(
                    _("Action item “%(title)s”: %(owner)s has no account here; it needs an owner.")
                    % {"title": item.title, "owner": item.owner}
                )


def _resolve_services(plans: list[FilePlan]) -> None:
    names = {name.lower() for plan in plans for name in plan.parsed.services}
    found = Service.objects.annotate(lower_name=Lower("name")).filter(lower_name__in=names)
    services = {service.lower_name: service for service in found}
    for plan in plans:
        plan.services = [services[n.lower()] for n in plan.parsed.services if n.lower() in services]
        unknown = [name for name in plan.parsed.services if name.lower() not in services]
        if unknown:
            plan.parsed.warnings.append(
                _("No service here is called %(names)s: they are kept in the summary.")
                % {"names": ", ".join(unknown)}
            )
            plan.parsed.sections["summary"] = "\n\n".join(
                part
                for part in (
                    plan.parsed.sections.get("summary", ""),
                    _("Affected services: %(names)s") % {"names": ", ".join(unknown)},
                )
                if part
            )


# What a refused record turns into: that file is not imported, and the message says why.
REFUSALS = (
    ImportRefused,
    ValidationError,
    IncidentError,
    ChangeRefused,
    PostmortemError,
    ActionItemError,
)


@transaction.atomic
def markdown_import_queue(*, markdown_import: MarkdownImport, actor) -> MarkdownImport:
    """Ask the worker to import the upload (once, however often this is sent). The job is
    deferred in this transaction, so it exists exactly when the request is kept."""
    if not may_import(actor) or actor.pk != markdown_import.uploaded_by_id:
        raise ImportRefused(_("Only whoever uploaded the files may import them."))
    markdown_import = MarkdownImport.objects.select_for_update().get(pk=markdown_import.pk)
    if markdown_import.queued_at is not None:
        raise ImportRefused(_("This upload is being imported already."))
    markdown_import.job_id = queue.defer(
        IMPORT_MARKDOWN_TASK, markdown_import_id=markdown_import.pk
    )
    markdown_import.queued_at = timezone.now()
    markdown_import.save(update_fields=["job_id", "queued_at"])
    return markdown_import


def markdown_import_job_failed(markdown_import: MarkdownImport) -> bool:
    """The worker gave up on the import (after its retries): the job's state says so."""
    if markdown_import.job_id is None or markdown_import.imported_at is not None:
        return False
    try:
        return markdown_import.job_id in queue.failed_jobs([markdown_import.job_id])
    except queue.QueueUnreachable:
        return False


@transaction.atomic
def markdown_import_run(*, markdown_import_id: int) -> str:
    """Import every file of the upload that is not a duplicate, each on its own, as its
    uploader: a file the apps refuse keeps the reason and the others still come in. Run by the
    worker; running it again (a retried job) imports nothing more."""
    markdown_import = (
        MarkdownImport.objects.select_for_update(of=("self",))
        .select_related("uploaded_by")
        .get(pk=markdown_import_id)
    )
    if markdown_import.imported_at is not None:
        return "imported already"
    actor = markdown_import.uploaded_by
    imported = 0
    for plan in markdown_import_plan(markdown_import):
        if plan.skip_reason:
            continue
        try:
            if not may_import(actor):
                raise ImportRefused(_("Only Authors and staff may import postmortems."))
            with transaction.atomic():
                plan.file.incident = _import_one(plan, markdown_import, actor)
            imported += 1
        except REFUSALS as refusal:
            plan.file.failure = _refusal_text(refusal)
        except IntegrityError:
            plan.file.failure = _("The database refused a value in it.")
        plan.file.save(update_fields=["incident", "source_reference", "failure"])
    markdown_import.imported_at = timezone.now()
    markdown_import.save(update_fields=["imported_at"])
    return f"{imported} imported"


def _refusal_text(refusal: Exception) -> str:
    if isinstance(refusal, ValidationError):
        return " ".join(str(message) for message in refusal.messages)
    return str(refusal)


def _check_lengths(parsed: ParsedPostmortem) -> None:
    """The limits the forms keep (core/forms.py), which the services leave to them."""
    texts = [
        (SECTIONS_BY_FIELD[name].title, text, SECTION_MAX_LENGTH)
        for name, text in parsed.sections.items()
    ]
    texts.append((_("Customer impact"), parsed.customer_impact, LONG_TEXT_MAX_LENGTH))
    texts += [(_("A timeline entry"), entry.body, ENTRY_MAX_LENGTH) for entry in parsed.entries]
    for item in parsed.action_items:
        texts.append((_("An action item's description"), item.description, LONG_TEXT_MAX_LENGTH))
        texts.append((_("An action item's note"), item.resolution_note, NOTE_MAX_LENGTH))
        texts.append((_("An action item's evidence"), item.evidence_note, NOTE_MAX_LENGTH))
    for label, text, limit in texts:
        if len(text) > limit:
            raise ImportRefused(
                _("%(what)s is longer than %(max)s characters: shorten it in the file.")
                % {"what": label, "max": limit}
            )


def _import_one(plan: FilePlan, markdown_import: MarkdownImport, actor):
    parsed = plan.parsed
    _check_lengths(parsed)
    incident = incident_create(
        created_by=actor,
        title=parsed.title,
        severity=parsed.severity or markdown_import.severity,
        status=parsed.status,
        customer_impact=parsed.customer_impact,
        commander=plan.commander,
        services=plan.services,
        tags=parsed.tags,
        **parsed.times,
    )
    postmortem = postmortem_create(incident=incident, author=actor, template=None)
    co_authors = [person for person in plan.co_authors if person.pk != actor.pk]
    if co_authors:
        postmortem_set_co_authors(postmortem=postmortem, actor=actor, co_authors=co_authors)
    if parsed.sections:
        postmortem_save_sections(
            postmortem_id=postmortem.pk,
            editor=actor,
            texts=parsed.sections,
            loaded_version=postmortem.version,
            note=_("Imported from “%(name)s”") % {"name": plan.file.name[:200]},
        )
    for entry in parsed.entries:
        timeline_entry_create(
            incident=incident,
            author=actor,
            occurred_at=entry.occurred_at,
            kind=entry.kind,
            body=entry.body,
            source_url=entry.source_url,
        )
    for parsed_item in parsed.action_items:
        item = action_item_create(
            postmortem=postmortem,
            created_by=actor,
            title=parsed_item.title,
            owner=plan.owners.get(parsed_item.owner),
            due_date=parsed_item.due_date,
            priority=parsed_item.priority,
            kind=parsed_item.kind,
            description=parsed_item.description,
            tracker_url=parsed_item.tracker_url,
        )
        if parsed_item.status != ActionStatus.OPEN:
            action_item_set_status(
                item=item,
                status=parsed_item.status,
                changed_by=actor,
                note=parsed_item.resolution_note,
                evidence_url=parsed_item.evidence_url,
                evidence_note=parsed_item.evidence_note,
            )
    return incident
