"""What an event says to the outside world. Only what the event needs: references, titles,
states, dates and links, never a postmortem's text, a comment or an incident's impact notes;
an action item of a postmortem still in draft (read only by its writers and reviewers) is sent
without its title."""

from django.conf import settings
from django.utils import timezone

from postmortems.models import PostmortemStatus
from webhooks.models import WebhookEvent

VERSION = 1


def _url(path: str) -> str:
    return settings.SITE_URL + path


def _incident(incident) -> dict:
    return {
        "reference": incident.reference,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "started_at": incident.started_at.isoformat(),
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "url": _url(incident.get_absolute_url()),
    }


def _postmortem(postmortem) -> dict:
    return {
        "status": postmortem.status,
        "published_at": postmortem.published_at.isoformat() if postmortem.published_at else None,
        "url": _url(postmortem.get_absolute_url()),
    }


def _action_item(item) -> dict:
    in_draft = item.postmortem.status == PostmortemStatus.DRAFT
    return {
        "id": item.pk,
        "title": None if in_draft else item.title,
        "status": item.status,
        "priority": item.priority,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "owner": item.owner.display_name if item.owner_id else None,
        "url": _url(item.get_absolute_url()),
    }


def concerns_restricted_incident(*, incident=None, postmortem=None, action_item=None) -> bool:
    if action_item is not None:
        postmortem = action_item.postmortem
    if postmortem is not None:
        incident = postmortem.incident
    return incident is not None and incident.restricted


def build(event: str, *, actor=None, incident=None, postmortem=None, action_item=None) -> dict:
    """The JSON body of ``event`` about the objects given (an action item brings its
    postmortem, a postmortem its incident)."""
    if action_item is not None:
        postmortem = action_item.postmortem
    if postmortem is not None:
        incident = postmortem.incident
    payload = {
        "version": VERSION,
        "event": event,
        "summary": str(WebhookEvent(event).label),
        "occurred_at": timezone.now().isoformat(),
        "actor": actor.display_name if actor is not None else None,
        "incident": _incident(incident),
    }
    if postmortem is not None:
        payload["postmortem"] = _postmortem(postmortem)
    if action_item is not None:
        payload["action_item"] = _action_item(action_item)
    return payload


def once_key(event: str, *, action_item=None, **objects) -> str:
    """Events that must reach an endpoint once only, whatever repeats them."""
    if event == WebhookEvent.ACTION_ITEM_OVERDUE:
        return f"overdue:{action_item.pk}:{action_item.due_date.isoformat()}"
    return ""
