"""Telling people: one in-app notification per person, and who of them also wants the email.

The apps above call these from their own writes, inside the transaction of the change; they
send the emails themselves.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from core.models import User
from notifications.models import EmailPreference, Notification, NotificationKind


def _people(recipients: Iterable[User | None], *, actor: User | None) -> list[User]:
    """Each active person once, never the one who acted."""
    people = {
        person.pk: person
        for person in recipients
        if person is not None and person.is_active and (actor is None or person.pk != actor.pk)
    }
    return list(people.values())


def notify_in_app(
    *,
    recipients: Iterable[User | None],
    kind: NotificationKind,
    title: str,
    url: str,
    actor: User | None = None,
    incident=None,
) -> list[Notification]:
    """One unread notification for each active recipient except ``actor``. ``url`` is a path
    on this site that the recipients may read; ``incident``, what it is about, when it is one
    incident (shown only while the recipient may see it)."""
    return Notification.objects.bulk_create(
        Notification(
            recipient=person,
            kind=kind,
            actor=actor,
            title=title[:300],
            url=url,
            incident=incident,
        )
        for person in _people(recipients, actor=actor)
    )


def wants_email(recipients: Iterable[User | None], kind: NotificationKind) -> list[User]:
    """Those of ``recipients`` with an email address who have not turned off email about
    ``kind`` (one query)."""
    people = [person for person in _people(recipients, actor=None) if person.email]
    if not people:
        return []
    turned_off = set(
        EmailPreference.objects.filter(user__in=people, kind=kind, enabled=False).values_list(
            "user_id", flat=True
        )
    )
    return [person for person in people if person.pk not in turned_off]


def email_preferences(user: User) -> dict[str, bool]:
    """Every kind, with whether ``user`` wants email about it (yes unless turned off)."""
    saved = dict(EmailPreference.objects.filter(user=user).values_list("kind", "enabled"))
    return {kind: saved.get(kind, True) for kind in NotificationKind.values}


@transaction.atomic
def set_email_preferences(*, user: User, enabled: dict[str, bool]) -> None:
    EmailPreference.objects.bulk_create(
        [
            EmailPreference(user=user, kind=kind, enabled=on)
            for kind, on in enabled.items()
            if kind in NotificationKind.values
        ],
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["enabled"],
    )


def mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` read; how many there were."""
    return Notification.objects.for_recipient(user).unread().update(read_at=timezone.now())
