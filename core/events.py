"""Workflow events, for the layers above the apps that raise them (outbound webhooks).

An app that completes a step others may want to hear of (an incident declared, a postmortem
published, an action item assigned) calls ``publish`` inside the transaction of that step, with
the objects concerned. Listeners register at start-up (in their AppConfig.ready) and write what
follows in the same transaction, so it exists exactly when the step committed. Apps below never
import their listeners.
"""

from collections.abc import Callable
from contextlib import contextmanager

INCIDENT_DECLARED = "incident.declared"
INCIDENT_RESOLVED = "incident.resolved"
REVIEW_REQUESTED = "postmortem.review_requested"
POSTMORTEM_APPROVED = "postmortem.approved"
POSTMORTEM_PUBLISHED = "postmortem.published"
POSTMORTEM_AMENDED = "postmortem.amended"
ACTION_ITEM_CREATED = "action_item.created"
ACTION_ITEM_ASSIGNED = "action_item.assigned"
ACTION_ITEM_OVERDUE = "action_item.overdue"
ACTION_ITEM_DONE = "action_item.done"

_listeners: list[Callable] = []


def subscribe(listener: Callable) -> None:
    """``listener(event, *, actor, **objects)`` is told of every published event."""
    if listener not in _listeners:
        _listeners.append(listener)


def unsubscribe(listener: Callable) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


@contextmanager
def subscribed(listener: Callable):
    """Subscribe for the duration of a block (tests use this)."""
    subscribe(listener)
    try:
        yield
    finally:
        unsubscribe(listener)


def publish(event: str, *, actor=None, **objects) -> None:
    """Tell every listener of ``event``; ``objects`` are the incident, postmortem or action
    item concerned; ``actor`` who did it (None for the scheduler)."""
    for listener in _listeners:
        listener(event, actor=actor, **objects)
