"""Writes to action items (each recording its history), telling a new owner, and the reminders."""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from actions.models import (
    TO_DO,
    ActionItem,
    ActionItemChange,
    ActionKind,
    ActionStatus,
    ChangedField,
    Priority,
    ReminderKind,
    SentReminder,
    default_due_date,
    local_today,
    zone_of,
)
from core import events
from core.dates import validate_date_in_range
from core.emails import in_language_of, language_of, render_plain_text
from core.forms import NOTE_MAX_LENGTH
from core.models import Role, Team
from notifications.models import NotificationKind
from notifications.services import notify_in_app, wants_email
from outbox.services import send_email
from postmortems.models import Postmortem
from postmortems.services import (
    DocumentFrozen,
    check_document_change,
    lock_postmortem,
    record_document_change,
)

logger = logging.getLogger(__name__)

# A manager's summary lists this many overdue items (longest overdue first) and counts the rest.
MANAGER_SUMMARY_LIMIT = 50


class ActionItemError(Exception):
    """A refusal with a message a person can act on."""


EVIDENCE_URL_MAX_LENGTH = ActionItem._meta.get_field("evidence_url").max_length

# Items -----------------------------------------------------------------------------------------

# An item's text is part of its postmortem's document; its owner, due date and status are
# tracking, which goes on after approval and publication.
TEXT_FIELDS = ("title", "description", "kind")


def _check_text_change(postmortem: Postmortem) -> Postmortem:
    """Lock the postmortem and refuse a text change when its text is frozen."""
    postmortem = lock_postmortem(postmortem.pk)
    try:
        check_document_change(postmortem=postmortem)
    except DocumentFrozen as refusal:
        raise ActionItemError(str(refusal)) from refusal
    return postmortem


@transaction.atomic
def action_item_create(
    *,
    postmortem: Postmortem,
    created_by,
    title: str,
    owner=None,
    due_date: date | None = None,
    priority: str = Priority.P2,
    kind: str = ActionKind.PREVENT,
    description: str = "",
    tracker_url: str = "",
) -> ActionItem:
    """Add an action item. Without a due date it gets the priority's default, counted from
    today where its creator is."""
    locked = _check_text_change(postmortem)
    if due_date is None:
        due_date = default_due_date(priority, start=local_today(created_by))
    item = ActionItem(
        postmortem=postmortem,
        created_by=created_by,
        title=title,
        owner=owner,
        due_date=due_date,
        priority=priority,
        kind=kind,
        description=description,
        tracker_url=tracker_url,
    )
    item.save()
    item._loaded_values = item.tracked_values()
    record_document_change(
        postmortem=locked,
        actor=created_by,
        description=_("Added the action item “%(title)s”") % {"title": title},
    )
    _tell_new_owner(item, actor=created_by)
    events.publish(events.ACTION_ITEM_CREATED, actor=created_by, action_item=item)
    if owner is not None:
        events.publish(events.ACTION_ITEM_ASSIGNED, actor=created_by, action_item=item)
    return item


@transaction.atomic
def action_item_update(*, item: ActionItem, changed_by, reason: str = "", **changes) -> ActionItem:
    """Save an item, recording each change to its owner, due date or status in its history.

    ``item`` must have been loaded from the database (the view locks it with
    ``select_for_update``); pass the new values as keyword arguments, or set them on the item
    first (a ModelForm does). Moving a due date needs a ``reason``; so does Won't do (its
    ``resolution_note``).
    """
    for name, value in changes.items():
        setattr(item, name, value)
    tracked = item.tracked_changes()
    moved = [(old, new) for name, old, new in tracked if name == "due_date" and old is not None]
    if moved and not reason.strip():
        raise ActionItemError(
            _("Say why the due date moves from %(old)s to %(new)s: it is kept in the history.")
            % {"old": moved[0][0], "new": moved[0][1] or "—"}
        )
    if any(name == "status" for name, _old, _new in tracked):
        _apply_status_rules(item)
        if item.status == ActionStatus.DONE:
            _check_evidence(item)
    if item.status == ActionStatus.WONT_DO and not item.resolution_note.strip():
        raise ActionItemError(_("Say why this will not be done."))
    saved_text = ActionItem.objects.filter(pk=item.pk).values(*TEXT_FIELDS).get()
    text_changed = any(saved_text[name] != getattr(item, name) for name in TEXT_FIELDS)
    postmortem = _check_text_change(item.postmortem) if text_changed else None
    item.save()
    _record_changes(item, tracked, changed_by=changed_by, reason=reason.strip())
    if any(name == "owner_id" for name, _old, _new in tracked):
        _tell_new_owner(item, actor=changed_by)
        if item.owner_id is not None:
            events.publish(events.ACTION_ITEM_ASSIGNED, actor=changed_by, action_item=item)
    if any(name == "status" for name, _old, _new in tracked) and item.status == ActionStatus.DONE:
        events.publish(events.ACTION_ITEM_DONE, actor=changed_by, action_item=item)
    if postmortem is not None:
        record_document_change(
            postmortem=postmortem,
            actor=changed_by,
            description=_("Changed the text of the action item “%(title)s”")
            % {"title": item.title},
        )
    item._loaded_values = item.tracked_values()
    return item


@transaction.atomic
def action_item_set_status(
    *,
    item: ActionItem,
    status: str,
    changed_by,
    note: str = "",
    evidence_url: str = "",
    evidence_note: str = "",
) -> ActionItem:
    """Move an item to another status in one step (Start, Done, Reopen, Won't do), with an
    optional note; Won't do needs one (the reason), and Done on a prevent or detect item needs
    evidence (a link or a note)."""
    note = note.strip()
    if status == ActionStatus.WONT_DO and not note:
        raise ActionItemError(_("Say why this will not be done."))
    if status == item.status:
        return item
    changes = {"status": status}
    if status in (ActionStatus.DONE, ActionStatus.WONT_DO):
        changes["resolution_note"] = note
    if status == ActionStatus.DONE:
        changes["evidence_url"] = evidence_url.strip()
        changes["evidence_note"] = evidence_note.strip()
    return action_item_update(item=item, changed_by=changed_by, reason=note, **changes)


@transaction.atomic
def action_item_verify(
    *, item: ActionItem, verified_by, verified_on: date, note: str = ""
) -> ActionItem:
    """Record that the fix worked, checked on ``verified_on`` by someone other than the owner
    (a second pair of eyes is the point). Kept in the item's history."""
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    if item.status != ActionStatus.DONE:
        raise ActionItemError(_("Only a done item can be verified: mark it done first."))
    if item.owner_id is not None and item.owner_id == verified_by.pk:
        raise ActionItemError(
            _("Someone other than the owner must verify that the fix worked: ask a colleague.")
        )
    try:
        validate_date_in_range(verified_on)
    except ValidationError as error:
        raise ActionItemError(" ".join(error.messages)) from error
    if verified_on > local_today(verified_by):
        raise ActionItemError(_("The verification date cannot be in the future."))
    if verified_on < timezone.localdate(item.completed_at, zone_of(verified_by)):
        raise ActionItemError(_("The verification date cannot be before the item was done."))
    item.verified_by, item.verified_on = verified_by, verified_on
    item.save(update_fields=["verified_by", "verified_on", "updated_at"])
    ActionItemChange.objects.create(
        item=item,
        field=ChangedField.VERIFIED,
        old_value="",
        new_value=verified_on.isoformat(),
        reason=note.strip(),
        changed_by=verified_by,
        changed_at=timezone.now(),
    )
    return item


def _tell_new_owner(item: ActionItem, *, actor) -> None:
    """In the app, and by email unless they turned it off; not when they took it themselves."""
    owner = item.owner
    if owner is None or owner.pk == actor.pk:
        return
    if not item.postmortem.incident.viewers_among([owner]):
        return  # a restricted incident's item says nothing to someone who may not see it
    kind = NotificationKind.ACTION_ITEM_ASSIGNED
    notify_in_app(
        recipients=[owner],
        kind=kind,
        actor=actor,
        title=item.title,
        url=item.get_absolute_url(),
        incident=item.postmortem.incident,
    )
    if not wants_email([owner], kind):
        return
    context = {
        "item": item,
        "actor": actor,
        "incident": item.postmortem.incident,
        "url": _absolute(item.get_absolute_url()),
    }
    with in_language_of(owner):
        subject = " ".join(render_plain_text("actions/email/assigned_subject.txt", context).split())
        body = render_plain_text("actions/email/assigned.txt", context)
    send_email(to=[owner.email], subject=subject, body=body, kind=kind)


def _apply_status_rules(item: ActionItem) -> None:
    item.completed_at = timezone.now() if item.status == ActionStatus.DONE else None
    if item.status in TO_DO:
        # These belonged to the closing; the history keeps the note and the verification.
        item.resolution_note = item.evidence_url = item.evidence_note = ""
        item.verified_by, item.verified_on = None, None


_EVIDENCE_URL = URLValidator(schemes=["http", "https"])


def _check_evidence(item: ActionItem) -> None:
    """A prevent or detect item is done only with evidence: a link, a note, or both."""
    item.evidence_url = item.evidence_url.strip()
    item.evidence_note = item.evidence_note.strip()
    if item.evidence_url:
        if len(item.evidence_url) > EVIDENCE_URL_MAX_LENGTH:
            raise ActionItemError(
                _("The evidence link is too long: at most %(limit)s characters.")
                % {"limit": EVIDENCE_URL_MAX_LENGTH}
            )
        try:
            _EVIDENCE_URL(item.evidence_url)
        except ValidationError as error:
            raise ActionItemError(
                _("The evidence link must be a web address starting with http:// or https://.")
            ) from error
    if len(item.evidence_note) > NOTE_MAX_LENGTH:
        raise ActionItemError(
            _("The evidence note is too long: at most %(limit)s characters.")
            % {"limit": NOTE_MAX_LENGTH}
        )
    if item.needs_evidence and not (item.evidence_url or item.evidence_note):
        raise ActionItemError(
            _("A %(kind)s item needs evidence that the fix is in place: give a link or a note.")
            % {"kind": item.get_kind_display().lower()}
        )


def _record_changes(item, tracked, *, changed_by, reason: str) -> None:
    if not tracked:
        return
    owner_ids = {value for name, old, new in tracked if name == "owner_id" for value in (old, new)}
    names = {
        user.pk: user.display_name
        for user in get_user_model().objects.filter(pk__in=owner_ids - {None})
    }
    entries = []
    now = timezone.now()
    for name, old, new in tracked:
        if name == "owner_id":
            field, old_value, new_value = ChangedField.OWNER, names.get(old, ""), names.get(new, "")
        elif name == "due_date":
            field, old_value, new_value = ChangedField.DUE_DATE, _iso(old), _iso(new)
        else:
            field, old_value, new_value = ChangedField.STATUS, old, new
        note = reason
        if field == ChangedField.STATUS and item.resolution_note and not note:
            note = item.resolution_note
        entries.append(
            ActionItemChange(
                item=item,
                field=field,
                old_value=old_value,
                new_value=new_value,
                reason=note,
                changed_by=changed_by,
                changed_at=now,
            )
        )
    ActionItemChange.objects.bulk_create(entries)


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


# Reminders -------------------------------------------------------------------------------------


@dataclass
class Reminder:
    recipient: object
    kind: ReminderKind
    sent_on: date
    subject: str
    items: list = field(default_factory=list)
    text: str = ""
    html: str = ""
    # How the reminder shows among the recipient's notifications.
    notification_kind: NotificationKind = NotificationKind.DUE_SOON
    notification_title: str = ""
    notification_url: str = ""

    @property
    def item_ids(self) -> list[int]:
        return [item.pk for item, _days in self.items]


@dataclass
class ReminderRun:
    planned: list[Reminder] = field(default_factory=list)
    # Not yet sent today: what a dry run reports and a real run attempts.
    due: list[Reminder] = field(default_factory=list)
    sent: list[Reminder] = field(default_factory=list)
    already_sent: list[Reminder] = field(default_factory=list)
    failed: list[tuple[Reminder, Exception]] = field(default_factory=list)


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _render(reminder: Reminder, template: str, context: dict) -> None:
    zone = zone_of(reminder.recipient)
    context = {
        "recipient": reminder.recipient,
        "today": reminder.sent_on,
        "site_url": settings.SITE_URL,
        **context,
    }
    with timezone.override(zone), in_language_of(reminder.recipient):
        reminder.text = render_to_string(f"actions/email/{template}.txt", context)
        reminder.html = render_to_string(f"actions/email/{template}.html", context)


# Each reminder is planned in its recipient's language (activated in the loops); the caller's
# language is back afterwards.
@translation.override(settings.LANGUAGE_CODE)
def plan_action_reminders(*, now: datetime | None = None) -> list[Reminder]:
    """The emails a reminder run would send now, each rendered in its recipient's time zone:

    - each active owner with an email address and items overdue or due within
      ``ACTION_REMINDER_DAYS_AHEAD`` days (on their own calendar) gets one digest;
    - overdue items escalate once ``ACTION_ESCALATE_AFTER_DAYS`` days overdue (or more) on
      the recipient's calendar: to the managers of the owner's teams (``escalation_recipients``
      says who), and each of those gets one summary of what escalated to them that they may
      read (``ActionItemQuerySet.visible_to``), when anything did.
    """
    now = now or timezone.now()
    days_ahead = settings.ACTION_REMINDER_DAYS_AHEAD
    # No zone is more than 14 hours ahead of UTC: this covers "due soon" anywhere.
    horizon = (now + timedelta(hours=14)).date() + timedelta(days=days_ahead)
    items = list(
        ActionItem.objects.filter(status__in=TO_DO, due_date__lte=horizon)
        .with_list_relations()
        .order_by("due_date", "priority", "pk")
    )
    reminders = []

    by_owner: dict[int, list[ActionItem]] = {}
    # A restricted incident's items are reminded only to owners who may see the incident
    # (one query per restricted incident with items due; there are few).
    restricted_owners = {}
    for item in items:
        incident = item.postmortem.incident
        if incident.restricted and incident.pk not in restricted_owners:
            owners = [i.owner for i in items if i.postmortem.incident_id == incident.pk]
            restricted_owners[incident.pk] = {p.pk for p in incident.viewers_among(owners)}
    for item in items:
        owner = item.owner
        seen_by = restricted_owners.get(item.postmortem.incident_id)
        if seen_by is not None and item.owner_id not in seen_by:
            continue
        if owner is not None and owner.is_active and owner.email:
            by_owner.setdefault(owner.pk, []).append(item)
    for owned in by_owner.values():
        owner = owned[0].owner
        translation.activate(language_of(owner))
        today = local_today(owner, now=now)
        overdue = [(i, (today - i.due_date).days) for i in owned if i.due_date < today]
        due_soon = [
            (i, (i.due_date - today).days)
            for i in owned
            if today <= i.due_date <= today + timedelta(days=days_ahead)
        ]
        if not overdue and not due_soon:
            continue
        counts = {
            "overdue": ngettext("%(n)s overdue", "%(n)s overdue", len(overdue))
            % {"n": len(overdue)},
            "soon": ngettext("%(n)s due soon", "%(n)s due soon", len(due_soon))
            % {"n": len(due_soon)},
        }
        reminder = Reminder(
            recipient=owner,
            kind=ReminderKind.OWNER_DIGEST,
            sent_on=today,
            subject=_("Hindsight: your action items — %(overdue)s, %(soon)s") % counts,
            items=overdue + due_soon,
            notification_kind=NotificationKind.OVERDUE if overdue else NotificationKind.DUE_SOON,
            notification_title=_("Your action items: %(overdue)s, %(soon)s") % counts,
            notification_url=reverse("actions:mine"),
        )
        _render(
            reminder,
            "owner_digest",
            {
                "overdue": overdue,
                "due_soon": due_soon,
                "days_ahead": days_ahead,
                "my_items_url": _absolute(reverse("actions:mine")),
            },
        )
        reminders.append(reminder)

    escalate_after = settings.ACTION_ESCALATE_AFTER_DAYS
    for manager, escalated_ids in escalation_recipients(items):
        translation.activate(language_of(manager))
        today = local_today(manager, now=now)
        # Only what this manager may read: a draft's items stay with those who read the draft.
        readable = set(
            ActionItem.objects.filter(pk__in=escalated_ids)
            .visible_to(manager)
            .values_list("pk", flat=True)
        )
        overdue = [
            (i, (today - i.due_date).days)
            for i in items
            if i.pk in readable and (today - i.due_date).days >= escalate_after
        ]
        if not overdue:
            continue
        overdue.sort(key=lambda pair: (-pair[1], pair[0].priority, pair[0].pk))
        owners: dict[str, int] = {}
        for item, _days in overdue:
            name = item.owner.display_name if item.owner else _("No owner")
            owners[name] = owners.get(name, 0) + 1
        reminder = Reminder(
            recipient=manager,
            kind=ReminderKind.MANAGER_SUMMARY,
            sent_on=today,
            subject=ngettext(
                "Hindsight: %(count)s action item is overdue",
                "Hindsight: %(count)s action items are overdue",
                len(overdue),
            )
            % {"count": len(overdue)},
            items=overdue,
            notification_kind=NotificationKind.ESCALATED,
            notification_title=ngettext(
                "%(count)s action item is overdue",
                "%(count)s action items are overdue",
                len(overdue),
            )
            % {"count": len(overdue)},
            notification_url=reverse("actions:list") + "?due=overdue",
        )
        _render(
            reminder,
            "manager_summary",
            {
                "overdue": overdue[:MANAGER_SUMMARY_LIMIT],
                "overdue_count": len(overdue),
                "more": max(len(overdue) - MANAGER_SUMMARY_LIMIT, 0),
                "by_owner": sorted(owners.items(), key=lambda pair: (-pair[1], pair[0])),
                "dashboard_url": _absolute(reverse("actions:dashboard")),
                "overdue_list_url": _absolute(reverse("actions:list") + "?due=overdue"),
                "escalate_after": escalate_after,
            },
        )
        reminders.append(reminder)
    return reminders


def escalation_recipients(items: list[ActionItem]) -> list[tuple[object, set[int]]]:
    """Who each of ``items`` escalates to, as (manager, their items' ids), managers in id order.

    An item goes to the manager of each team its owner belongs to, when that manager can be
    told (active, with an email address) and is not the owner. When no one is — the owner has
    no team, their teams have no manager, or the item has no owner — it goes to every active
    Manager with an email address instead. Three queries."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    memberships = Team.members.through.objects.filter(
        user_id__in={item.owner_id for item in items if item.owner_id},
        team__manager__in=users,
    ).values_list("user_id", "team__manager_id")
    team_managers: dict[int, set[int]] = {}
    for owner_id, manager_id in memberships:
        if manager_id != owner_id:
            team_managers.setdefault(owner_id, set()).add(manager_id)
    by_manager: dict[int, set[int]] = {}
    unfollowed = set()
    for item in items:
        managers = team_managers.get(item.owner_id)
        if not managers:
            unfollowed.add(item.pk)
        for manager_id in managers or ():
            by_manager.setdefault(manager_id, set()).add(item.pk)
    role_managers = (
        list(users.filter(groups__name=Role.MANAGER).values_list("pk", flat=True))
        if unfollowed
        else []
    )
    for manager_id in role_managers:
        by_manager.setdefault(manager_id, set()).update(unfollowed)
    recipients = users.filter(pk__in=by_manager).order_by("pk")
    return [(manager, by_manager[manager.pk]) for manager in recipients]


def send_action_reminders(*, now: datetime | None = None, dry_run: bool = False) -> ReminderRun:
    """Queue today's reminder emails, once: a recipient already sent this kind of email on their
    current local day is skipped, so running twice (or concurrently) sends nothing more. Each
    email goes to the outbox in the same transaction as its record, and the worker delivers it
    (retrying while the mail server is down). A dry run queues and records nothing.

    Each reminder is also a notification in the app (due soon, overdue, or escalated for
    managers); its email goes only to those who did not turn that kind off."""
    run = ReminderRun(planned=plan_action_reminders(now=now))
    if not run.planned:
        return run
    sent_before = set(
        SentReminder.objects.filter(
            sent_on__in={reminder.sent_on for reminder in run.planned},
            recipient__in=[reminder.recipient for reminder in run.planned],
        ).values_list("recipient_id", "kind", "sent_on")
    )
    for reminder in run.planned:
        key = (reminder.recipient.pk, reminder.kind, reminder.sent_on)
        (run.already_sent if key in sent_before else run.due).append(reminder)
    if dry_run or not run.due:
        return run
    for reminder in run.due:
        try:
            if _send_once(reminder):
                run.sent.append(reminder)
            else:
                run.already_sent.append(reminder)
        except Exception as error:  # one bad row must not stop everyone else's email
            logger.exception("Could not queue %s to %s", reminder.kind, reminder.recipient)
            run.failed.append((reminder, error))
    return run


def publish_overdue_items(*, now: datetime | None = None) -> int:
    """Tell the listeners (outbound webhooks) of every open item past its due date (on the
    default calendar); they keep one event per item and due date, so the daily run may repeat.
    Returns how many were published."""
    today = timezone.localdate(now or timezone.now())
    overdue = (
        ActionItem.objects.filter(status__in=TO_DO, due_date__lt=today)
        .select_related("postmortem__incident", "owner")
        .order_by("pk")
    )
    count = 0
    for item in overdue.iterator(chunk_size=500):
        events.publish(events.ACTION_ITEM_OVERDUE, action_item=item)
        count += 1
    return count


@transaction.atomic
def _send_once(reminder: Reminder) -> bool:
    _record, created = SentReminder.objects.get_or_create(
        recipient=reminder.recipient,
        kind=reminder.kind,
        sent_on=reminder.sent_on,
        defaults={"subject": reminder.subject[:300], "item_ids": reminder.item_ids},
    )
    if not created:  # another run got there first
        return False
    notify_in_app(
        recipients=[reminder.recipient],
        kind=reminder.notification_kind,
        title=reminder.notification_title,
        url=reminder.notification_url,
    )
    if not wants_email([reminder.recipient], reminder.notification_kind):
        return True
    send_email(
        to=[reminder.recipient.email],
        subject=reminder.subject,
        body=reminder.text,
        html=reminder.html,
        kind=reminder.kind,
    )
    return True
