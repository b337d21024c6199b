"""Review notifications: one in the app for each person concerned (never the person who acted),
and an email, rendered from templates, to those of them who want email about that kind:
queued in the outbox in the transaction of the change, and delivered by the worker."""

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from core.emails import language_of, render_plain_text
from notifications.models import NotificationKind
from notifications.services import notify_in_app, wants_email
from outbox.services import send_email


def _link(event: str, postmortem, context: dict) -> str:
    """Where the in-app notification leads: the page the email's link names."""
    if event == "comment":
        comment = context["comment"]
        return f"{postmortem.review_url()}#comment-{comment.parent_id or comment.pk}"
    if event == "amendment_started":
        return reverse("postmortems:amendment", args=[postmortem.incident.reference])
    if event in ("published", "amendment_approved", "amendment_withdrawn"):
        return postmortem.get_absolute_url()
    return postmortem.review_url()


def notify(*, event: str, postmortem, actor, recipients, thread=(), **context) -> None:
    """Tell ``recipients`` of ``event``; those in ``thread`` (the people in the comment thread
    a reply joins) are told of it as a reply."""
    people = {
        person.pk: person
        # A restricted incident's news reaches only those who may see it.
        for person in postmortem.incident.viewers_among(recipients)
        if person.pk != actor.pk and person.is_active
    }
    if not people:
        return
    context.update(
        postmortem=postmortem,
        incident=postmortem.incident,
        actor=actor,
        url=settings.SITE_URL + postmortem.get_absolute_url(),
        review_url=settings.SITE_URL + postmortem.review_url(),
    )
    rendered: dict[str, tuple[str, str]] = {}  # language -> subject, body

    def email_for(person) -> tuple[str, str]:
        language = language_of(person)
        if language not in rendered:
            with translation.override(language):
                subject = render_plain_text(f"postmortems/email/{event}_subject.txt", context)
                body = render_plain_text(f"postmortems/email/{event}.txt", context)
            rendered[language] = " ".join(subject.split()), body
        return rendered[language]

    in_thread = {person.pk for person in thread if person is not None}
    told = {
        NotificationKind(event): [p for p in people.values() if p.pk not in in_thread],
        NotificationKind.COMMENT_REPLY: [p for p in people.values() if p.pk in in_thread],
    }
    for kind, group in told.items():
        notify_in_app(
            recipients=group,
            kind=kind,
            actor=actor,
            title=f"{postmortem.incident.reference} {postmortem.incident.title}",
            url=_link(event, postmortem, context),
            incident=postmortem.incident,
        )
        for person in wants_email(group, kind):
            subject, body = email_for(person)
            send_email(to=[person.email], subject=subject, body=body, kind=kind)
