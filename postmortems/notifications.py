"""Review emails: rendered from templates, one message per person, sent after the change commits,
and never to the person who acted."""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string


def notify(*, event: str, postmortem, actor, recipients, **context) -> None:
    people = {
        person.pk: person
        for person in recipients
        if person is not None and person.pk != actor.pk and person.is_active and person.email
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
    subject = " ".join(render_to_string(f"postmortems/email/{event}_subject.txt", context).split())
    body = render_to_string(f"postmortems/email/{event}.txt", context)
    messages = [EmailMessage(subject, body, to=[person.email]) for person in people.values()]
    transaction.on_commit(lambda: get_connection().send_messages(messages))
