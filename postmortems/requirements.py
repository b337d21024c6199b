"""Required postmortems, in one place: the policy per severity decides, when an incident
resolves, whether it needs a postmortem and by when; its owner is told, reminded daily while it
is due or overdue, and a Manager may exempt it with a reason (kept: who, when, why).

Due dates count the organisation's working days in its time zone (settings ORG_TIME_ZONE,
ORG_WORKING_DAYS, ORG_HOLIDAYS), whoever is looking.
"""

import logging
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import events
from core.dates import add_business_days, org_today
from core.emails import in_language_of, render_plain_text
from core.models import User
from incidents.models import Incident
from notifications.models import NotificationKind
from notifications.services import notify_in_app, wants_email
from outbox.services import send_email
from postmortems.models import PostmortemPolicy, PostmortemRequirement, RequirementReminder

logger = logging.getLogger(__name__)

MAX_REASON_LENGTH = 2000


class RequirementError(Exception):
    """A refusal with a message a person can act on."""


def org_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.ORG_TIME_ZONE)


def due_date(resolved_at: datetime, business_days: int) -> date:
    """``business_days`` working days after the organisation's day of ``resolved_at``."""
    return add_business_days(
        timezone.localdate(resolved_at, org_zone()),
        business_days,
        working_days=set(settings.ORG_WORKING_DAYS),
        holidays=settings.ORG_HOLIDAYS,
    )


def can_exempt(user) -> bool:
    return user.is_authenticated and (user.is_staff or user.is_manager)


# Resolving ------------------------------------------------------------------------------------


def on_incident_resolved(event: str, *, actor, incident=None, **objects) -> None:
    """Listener for core.events: a resolved incident gets what its severity's policy asks."""
    if event == events.INCIDENT_RESOLVED:
        require_postmortem(incident=incident, actor=actor)


@transaction.atomic
def require_postmortem(*, incident: Incident, actor=None) -> PostmortemRequirement | None:
    """Assign the postmortem of a resolved incident if its policy requires one: to the
    commander (else whoever resolved it, else who declared it), due the policy's working days
    after resolution. Resolving again (after a reopening) moves the due date from the new
    resolution and keeps the owner and any exemption."""
    policy = PostmortemPolicy.objects.filter(severity=incident.severity, required=True).first()
    if policy is None:
        return None
    due_on = due_date(incident.resolved_at or timezone.now(), policy.due_business_days)
    requirement = (
        PostmortemRequirement.objects.select_for_update().filter(incident=incident).first()
    )
    if requirement is not None:
        if requirement.due_on == due_on:
            return requirement
        requirement.due_on = due_on
        requirement.save(update_fields=["due_on"])
    else:
        requirement = PostmortemRequirement.objects.create(
            incident=incident,
            owner=incident.commander or actor or incident.created_by,
            due_on=due_on,
        )
    if not requirement.is_exempt:
        _tell_owner(requirement, kind=NotificationKind.POSTMORTEM_REQUIRED, actor=actor)
    return requirement


# Exempting ------------------------------------------------------------------------------------


@transaction.atomic
def requirement_exempt(*, incident: Incident, user: User, reason: str) -> PostmortemRequirement:
    """Exempt an incident from its required postmortem; only Managers and staff may, and only
    with a reason, which is kept with who gave it and when."""
    if not can_exempt(user):
        raise RequirementError(_("Only Managers may exempt an incident from its postmortem."))
    reason = (reason or "").strip()
    if not reason:
        raise RequirementError(_("Say why this incident needs no postmortem."))
    if len(reason) > MAX_REASON_LENGTH:
        raise RequirementError(
            _("Keep the reason under %(limit)s characters.") % {"limit": MAX_REASON_LENGTH}
        )
    requirement = (
        PostmortemRequirement.objects.select_for_update().filter(incident=incident).first()
    )
    if requirement is None:
        raise RequirementError(_("This incident does not require a postmortem."))
    if requirement.is_exempt:
        raise RequirementError(_("This incident is already exempt."))
    requirement.exempted_by = user
    requirement.exempted_at = timezone.now()
    requirement.exemption_reason = reason
    requirement.save(update_fields=["exempted_by", "exempted_at", "exemption_reason"])
    logger.info("Postmortem of %s exempted by %s: %s", incident.reference, user.username, reason)
    return requirement


# Reminding ------------------------------------------------------------------------------------


@dataclass
class ReminderRun:
    sent: list[int] = field(default_factory=list)
    already_sent: int = 0


def send_requirement_reminders(*, now: datetime | None = None) -> ReminderRun:
    """Remind the owner of each outstanding requirement due by tomorrow (or overdue), once per
    requirement and organisation day: running again that day sends nothing more."""
    today = org_today(now)
    run = ReminderRun()
    due = (
        PostmortemRequirement.objects.outstanding()
        .filter(due_on__lte=today + timedelta(days=1), owner__isnull=False)
        .select_related("incident", "owner")
        .order_by("pk")
    )
    run.already_sent = due.filter(reminders__day=today).count()
    for requirement in due.exclude(reminders__day=today):
        try:
            with transaction.atomic():
                RequirementReminder.objects.create(requirement=requirement, day=today)
                _tell_owner(requirement, kind=NotificationKind.POSTMORTEM_DUE, today=today)
        except IntegrityError:  # another run sent it meanwhile
            run.already_sent += 1
            continue
        run.sent.append(requirement.pk)
    return run


def _tell_owner(requirement: PostmortemRequirement, *, kind, actor=None, today=None) -> None:
    owner = requirement.owner
    incident = requirement.incident
    if owner is None or not incident.viewers_among([owner]):
        return
    context = {
        "incident": incident,
        "requirement": requirement,
        "overdue": today is not None and requirement.due_on < today,
        "url": settings.SITE_URL + incident.get_absolute_url(),
    }
    # The owner is told even when they resolved the incident themselves: the due date is news.
    notify_in_app(
        recipients=[owner],
        kind=kind,
        actor=actor if actor is not None and actor.pk != owner.pk else None,
        title=f"{incident.reference} {incident.title}",
        url=incident.get_absolute_url(),
        incident=incident,
    )
    for person in wants_email([owner], kind):
        with in_language_of(person):
            subject = render_plain_text(f"postmortems/email/{kind}_subject.txt", context)
            body = render_plain_text(f"postmortems/email/{kind}.txt", context)
        send_email(to=[person.email], subject=" ".join(subject.split()), body=body, kind=kind)
