"""Writes to incidents and their timelines. Each change is checked with the layers above before
it is made (``changes.check_change_allowed``), kept in the incident's or entry's history, and
announced after (``changes.change_recorded``), all in one transaction."""

from datetime import UTC

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import events
from incidents import changes, similarity
from incidents.models import (
    MOMENT_FIELDS,
    EntryChangeAction,
    Incident,
    IncidentChange,
    IncidentField,
    IncidentLink,
    LinkKind,
    Status,
    Tag,
    TimelineEntry,
    TimelineEntryChange,
)


class IncidentError(Exception):
    """A refusal with a message a person can act on."""


class StaleEdit(IncidentError):
    """Someone else saved the incident or entry after the editor loaded it."""

    def __init__(self, message: str, *, current_version: str):
        super().__init__(message)
        self.current_version = current_version


# The facts an editor changes through incident_update, in the order the change list shows them.
SIMPLE_FACTS = (
    IncidentField.TITLE,
    IncidentField.SEVERITY,
    IncidentField.STATUS,
    IncidentField.STARTED_AT,
    IncidentField.DETECTED_AT,
    IncidentField.MITIGATED_AT,
    IncidentField.RESOLVED_AT,
    IncidentField.CUSTOMER_IMPACT,
    IncidentField.NEAR_MISS,
)


# The facts a postmortem shows, so the only ones whose change the layers above are asked about:
# status, commander and tags keep moving with the incident whatever its postmortem's state.
DOCUMENTED_FACTS = {
    IncidentField.TITLE,
    IncidentField.SEVERITY,
    IncidentField.STARTED_AT,
    IncidentField.DETECTED_AT,
    IncidentField.MITIGATED_AT,
    IncidentField.RESOLVED_AT,
    IncidentField.CUSTOMER_IMPACT,
    IncidentField.SERVICES,
}


def _version(instance) -> str:
    return instance.updated_at.isoformat()


def _lock_incident(pk: int) -> Incident:
    return Incident.objects.select_for_update(of=("self",)).get(pk=pk)


def _moment(when) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if when else ""


# Incidents -------------------------------------------------------------------------------------


@transaction.atomic
def incident_create(
    *,
    created_by,
    services=(),
    tags=(),
    commander=None,
    participants=(),
    access_teams=(),
    restriction_reason="",
    **facts,
) -> Incident:
    """Declare an incident (``tags`` are names). Its creation is not a change, and there is
    no postmortem yet to ask: the history and the change hooks start after it. Declared
    restricted (``restricted=True``), only its participants, the teams given access, staff and
    the Security role see it from the start; that is recorded in its history."""
    incident = Incident(created_by=created_by, commander=commander, **facts)
    incident.full_clean(exclude=["number"])
    incident.save()
    incident.services.set(services)
    incident.tags.set(Tag.from_names(tags))
    incident.participants.set(participants)
    incident.access_teams.set(access_teams)
    if incident.restricted:
        after = _access_values(incident)
        IncidentChange.objects.bulk_create(
            IncidentChange(
                incident=incident,
                field=field,
                old_value="",
                new_value=after[field],
                changed_by=created_by,
                changed_at=incident.created_at,
                reason=restriction_reason if field == IncidentField.RESTRICTED else "",
            )
            for field in ACCESS_FACTS
            if after[field]
        )
    similarity.record_change(incident)
    events.publish(events.INCIDENT_DECLARED, actor=created_by, incident=incident)
    if incident.status == Status.RESOLVED:
        events.publish(events.INCIDENT_RESOLVED, actor=created_by, incident=incident)
    return incident


@transaction.atomic
def incident_delete(*, incident: Incident) -> None:
    """Delete an incident (staff, in the admin: a duplicate without a postmortem)."""
    similarity.forget_incident(incident)
    incident.delete()


@transaction.atomic
def incident_update(
    *,
    incident: Incident,
    editor,
    loaded_version: str,
    services=None,
    tags=None,
    participants=None,
    access_teams=None,
    restriction_reason="",
    **facts,
) -> tuple[Incident, list[IncidentChange]]:
    """Change an incident's facts, recording each changed fact (from → to) in its history.

    ``facts`` are model fields (title, severity, status, the four times, customer_impact,
    commander); ``services`` and ``tags`` (names) replace the current ones when given.
    Raises StaleEdit when the incident changed since ``loaded_version`` (its ``updated_at``),
    and ChangeRefused when the layers above refuse the change now.
    """
    incident = _lock_incident(incident.pk)
    if _version(incident) != loaded_version:
        raise StaleEdit(
            _("Someone else saved this incident while you were editing it."),
            current_version=_version(incident),
        )
    before = {**_fact_values(incident), **_access_values(incident)}
    was_restricted = incident.restricted
    # Asked before the edit applies: naming oneself commander in the same edit does not count.
    may_lift = incident.can_lift_restriction(editor)
    for name, value in facts.items():
        setattr(incident, name, value)
    new_services = list(services) if services is not None else None
    new_tags = Tag.from_names(tags) if tags is not None else None
    new_participants = list(participants) if participants is not None else None
    new_teams = list(access_teams) if access_teams is not None else None
    after = {
        **_fact_values(incident, services=new_services, tags=new_tags),
        **_access_values(incident, participants=new_participants, teams=new_teams),
    }
    changed = [field for field in before if before[field] != after[field]]
    if not changed:
        return incident, []
    if was_restricted and not incident.restricted:
        _check_lift_restriction(may_lift, restriction_reason)
    documented = [field for field in changed if field in DOCUMENTED_FACTS]
    if documented:
        changes.check_change_allowed(incident=incident, actor=editor)
    incident.full_clean(exclude=["number"])
    incident.save()
    if new_services is not None:
        incident.services.set(new_services)
    if new_tags is not None:
        incident.tags.set(new_tags)
    if new_participants is not None:
        incident.participants.set(new_participants)
    if new_teams is not None:
        incident.access_teams.set(new_teams)
    now = timezone.now()
    if similarity.SIMILARITY_FIELDS.intersection(changed):
        similarity.record_change(incident)
    recorded = IncidentChange.objects.bulk_create(
        IncidentChange(
            incident=incident,
            field=field,
            old_value=before[field],
            new_value=after[field],
            changed_by=editor,
            changed_at=now,
            reason=restriction_reason if field == IncidentField.RESTRICTED else "",
        )
        for field in changed
    )
    if documented:
        changes.change_recorded(
            incident=incident,
            actor=editor,
            description=_("Changed the incident's %(facts)s.")
            % {"facts": ", ".join(str(IncidentField(f).label).lower() for f in documented)},
        )
    if "status" in changed and incident.status == Status.RESOLVED:
        events.publish(events.INCIDENT_RESOLVED, actor=editor, incident=incident)
    return incident, recorded


@transaction.atomic
def incident_time_from_entry(*, entry, editor) -> tuple[Incident, list[IncidentChange]]:
    """Set the incident's detection, mitigation or resolution time to this entry's time, as an
    edit of the incident (its history and the postmortem's guard apply)."""
    field = entry.incident_time_field
    if field is None:
        raise IncidentError(
            _("Only a detection, mitigation or resolution entry sets one of the incident's times.")
        )
    incident = _lock_incident(entry.incident_id)
    return incident_update(
        incident=incident,
        editor=editor,
        loaded_version=_version(incident),
        **{field: entry.occurred_at},
    )


def _fact_values(incident: Incident, *, services=None, tags=None) -> dict[str, str]:
    """Each recorded fact as text, as people see it: names, not ids; times in ISO 8601."""
    values = {}
    for field in SIMPLE_FACTS:
        value = getattr(incident, field)
        if field in MOMENT_FIELDS and value:
            value = value.isoformat()
        elif field == IncidentField.NEAR_MISS:
            value = "yes" if value else ""
        values[field] = value or ""
    values[IncidentField.COMMANDER] = incident.commander.display_name if incident.commander else ""
    if services is None:
        services = incident.services.all()
    if tags is None:
        tags = incident.tags.all()
    values[IncidentField.SERVICES] = ", ".join(sorted(service.name for service in services))
    values[IncidentField.TAGS] = ", ".join(sorted(tag.name for tag in tags))
    return values


# Who sees a restricted incident, recorded in its history like its other facts.
ACCESS_FACTS = (IncidentField.RESTRICTED, IncidentField.PARTICIPANTS, IncidentField.ACCESS_TEAMS)


def _access_values(incident: Incident, *, participants=None, teams=None) -> dict[str, str]:
    if participants is None:
        participants = incident.participants.all() if incident.pk else []
    if teams is None:
        teams = incident.access_teams.all() if incident.pk else []
    return {
        IncidentField.RESTRICTED: "yes" if incident.restricted else "",
        IncidentField.PARTICIPANTS: ", ".join(sorted(user.display_name for user in participants)),
        IncidentField.ACCESS_TEAMS: ", ".join(sorted(team.name for team in teams)),
    }


def _check_lift_restriction(may_lift: bool, reason: str) -> None:
    """Lifting a restriction makes a security, legal or HR incident readable by everyone:
    only staff, the Security role and its commander may (``Incident.can_lift_restriction``),
    and they say why."""
    if not may_lift:
        raise IncidentError(
            _(
                "Only staff, the Security role and the incident's commander may lift its "
                "restriction. Ask one of them."
            )
        )
    if not reason.strip():
        raise IncidentError(
            _("Say why the restriction is lifted: the reason is kept in its history.")
        )


# Links between incidents ------------------------------------------------------------------------


def _lock_pair(first_pk: int, second_pk: int) -> tuple[Incident, Incident]:
    """Both incidents, locked in id order (as every link write locks them), so two people
    linking the same pair in opposite directions wait for each other instead of deadlocking."""
    locked = {
        incident.pk: incident
        for incident in Incident.objects.select_for_update(of=("self",))
        .filter(pk__in=[first_pk, second_pk])
        .order_by("pk")
    }
    return locked[first_pk], locked[second_pk]


def _record_link_change(link: IncidentLink, actor, *, added: bool) -> None:
    now = timezone.now()
    IncidentChange.objects.bulk_create(
        IncidentChange(
            incident=incident,
            field=IncidentField.LINKS,
            old_value="" if added else link.description_on(incident),
            new_value=link.description_on(incident) if added else "",
            changed_by=actor,
            changed_at=now,
        )
        for incident in (link.from_incident, link.to_incident)
    )


@transaction.atomic
def incident_link_create(
    *, from_incident: Incident, to_incident: Incident, kind: str, actor
) -> IncidentLink:
    """Link ``from_incident`` to ``to_incident`` (a recurrence links the later incident to the
    earlier one), recording the link in both incidents' histories."""
    if from_incident.pk == to_incident.pk:
        raise IncidentError(_("An incident cannot be linked to itself."))
    from_incident, to_incident = _lock_pair(from_incident.pk, to_incident.pk)
    if IncidentLink.objects.filter(
        Q(from_incident=from_incident, to_incident=to_incident)
        | Q(from_incident=to_incident, to_incident=from_incident),
        kind=kind,
    ).exists():
        raise IncidentError(
            _("%(this)s and %(other)s are already linked as “%(kind)s”.")
            % {
                "this": from_incident.reference,
                "other": to_incident.reference,
                "kind": LinkKind(kind).label,
            }
        )
    link = IncidentLink.objects.create(
        kind=kind, from_incident=from_incident, to_incident=to_incident, created_by=actor
    )
    _record_link_change(link, actor, added=True)
    return link


@transaction.atomic
def incident_link_delete(*, link: IncidentLink, actor) -> None:
    """Remove a link, recording its removal in both incidents' histories."""
    link.from_incident, link.to_incident = _lock_pair(link.from_incident_id, link.to_incident_id)
    if not IncidentLink.objects.filter(pk=link.pk).delete()[0]:
        return
    _record_link_change(link, actor, added=False)


# Timeline entries ------------------------------------------------------------------------------


@transaction.atomic
def timeline_entry_create(
    *, incident: Incident, author, occurred_at, kind: str, body: str, source_url: str = ""
) -> TimelineEntry:
    incident = _lock_incident(incident.pk)
    changes.check_change_allowed(incident=incident, actor=author)
    entry = TimelineEntry(
        incident=incident,
        author=author,
        occurred_at=occurred_at,
        kind=kind,
        body=body,
        source_url=source_url,
    )
    entry.full_clean()
    entry.save()
    changes.change_recorded(
        incident=incident,
        actor=author,
        description=_("Added the timeline entry at %(when)s.") % {"when": _moment(occurred_at)},
    )
    return entry


@transaction.atomic
def timeline_entries_create(
    *, incident: Incident, author, entries: list[dict]
) -> list[TimelineEntry]:
    """Add several entries at once (``entries`` hold occurred_at, kind, body and source_url),
    as an import or an alert delivery does: one lock, one check, one recorded change, however
    many entries."""
    if not entries:
        return []
    incident = _lock_incident(incident.pk)
    changes.check_change_allowed(incident=incident, actor=author)
    created = []
    for fields in entries:
        entry = TimelineEntry(incident=incident, author=author, **fields)
        # The incident is locked and the author given: no need to look either up again.
        entry.full_clean(exclude=["incident", "author"], validate_constraints=False)
        entry.render_markdown_fields()
        created.append(entry)
    created = TimelineEntry.objects.bulk_create(created)
    moments = sorted(entry.occurred_at for entry in created)
    changes.change_recorded(
        incident=incident,
        actor=author,
        description=ngettext(
            "Added the timeline entry at %(first)s.",
            "Added %(count)d timeline entries, from %(first)s to %(last)s.",
            len(created),
        )
        % {"count": len(created), "first": _moment(moments[0]), "last": _moment(moments[-1])},
    )
    return created


def _lock_entry(entry: TimelineEntry) -> tuple[Incident, TimelineEntry]:
    """The entry and its incident, locked in that order (as every timeline write locks them)."""
    incident = _lock_incident(entry.incident_id)
    entry = TimelineEntry.all_objects.select_for_update(of=("self",)).get(pk=entry.pk)
    entry.incident = incident
    return incident, entry


@transaction.atomic
def timeline_entry_update(
    *, entry: TimelineEntry, editor, loaded_version: str, **fields
) -> TimelineEntry:
    """Change an entry's time, kind, text or link, keeping the earlier version in its history.
    Raises StaleEdit when the entry changed since ``loaded_version`` (its ``updated_at``)."""
    incident, entry = _lock_entry(entry)
    if entry.is_deleted:
        raise IncidentError(_("This timeline entry was deleted. Restore it first to change it."))
    if _version(entry) != loaded_version:
        raise StaleEdit(
            _("Someone else saved this timeline entry while you were editing it."),
            current_version=_version(entry),
        )
    before = entry.snapshot()
    for name, value in fields.items():
        setattr(entry, name, value)
    after = entry.snapshot()
    if before == after:
        return entry
    changes.check_change_allowed(incident=incident, actor=editor)
    entry.full_clean()
    entry.save()
    _record_entry_change(entry, EntryChangeAction.EDITED, editor, before=before, after=after)
    changes.change_recorded(
        incident=incident,
        actor=editor,
        description=_("Edited the timeline entry at %(when)s.")
        % {"when": _moment(entry.occurred_at)},
    )
    return entry


@transaction.atomic
def timeline_entry_delete(*, entry: TimelineEntry, actor) -> TimelineEntry:
    """Hide the entry from the timeline, the postmortem, exports and search. It is kept, with
    who deleted it and when, and can be restored."""
    incident, entry = _lock_entry(entry)
    if entry.is_deleted:
        return entry
    changes.check_change_allowed(incident=incident, actor=actor)
    entry.deleted_at = timezone.now()
    entry.deleted_by = actor
    entry.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    _record_entry_change(entry, EntryChangeAction.DELETED, actor, before=entry.snapshot())
    changes.change_recorded(
        incident=incident,
        actor=actor,
        description=_("Deleted the timeline entry at %(when)s.")
        % {"when": _moment(entry.occurred_at)},
    )
    return entry


@transaction.atomic
def timeline_entry_restore(*, entry: TimelineEntry, actor) -> TimelineEntry:
    """Put a deleted entry back where it was."""
    incident, entry = _lock_entry(entry)
    if not entry.is_deleted:
        return entry
    changes.check_change_allowed(incident=incident, actor=actor)
    entry.deleted_at = None
    entry.deleted_by = None
    entry.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    _record_entry_change(entry, EntryChangeAction.RESTORED, actor, after=entry.snapshot())
    changes.change_recorded(
        incident=incident,
        actor=actor,
        description=_("Restored the timeline entry at %(when)s.")
        % {"when": _moment(entry.occurred_at)},
    )
    return entry


def _record_entry_change(entry, action, changed_by, *, before=None, after=None):
    return TimelineEntryChange.objects.create(
        entry=entry,
        action=action,
        before=before,
        after=after,
        changed_by=changed_by,
        changed_at=timezone.now(),
    )
