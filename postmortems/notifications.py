"""Review emails: rendered from templates, one message per person, never to the person who acted;
queued in the outbox in the transaction of the change, and delivered by the worker."""

from django.conf import settings
from django.template import Context
from django.template.loader import get_template

from outbox.services import send_email


def _render_plain_text(template_name: str, context: dict) -> str:
    """Email subjects and bodies are plain text, not HTML: no autoescaping, so a title such as
    "Q&A <beta>" arrives as typed, not as "Q&amp;A &lt;beta&gt;"."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


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
    subject = " ".join(
        _render_plain_text(f"postmortems/email/{event}_subject.txt", context).split()
    )
    body = _render_plain_text(f"postmortems/email/{event}.txt", context)
    for person in people.values():
        send_email(to=[person.email], subject=subject, body=body, kind=event)
