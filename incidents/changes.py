"""Changes to an incident's facts and timeline, as the layers above it need to see them.

A postmortem freezes the incident facts and timeline it shows once it is approved, and after
publication they change only within an amendment. That rule belongs to the postmortems app,
which this app must not import; so it registers here at start-up (in its AppConfig.ready):

- a *guard*, called before a change is saved, which raises ``ChangeRefused`` with a message
  the person can act on;
- a *listener*, called after the change is saved (in the same transaction), which records
  what follows from it (approvals of the old text voided, the change kept with the amendment).

Every write to an incident's facts or timeline (incidents/services.py) calls
``check_change_allowed`` first and ``change_recorded`` after, inside its transaction.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager


class ChangeRefused(Exception):
    """The change may not be made now; the message says why and what to do."""


_guards: list[Callable] = []
_listeners: list[Callable] = []


def register_guard(guard: Callable) -> None:
    """``guard(*, incident, actor)`` raises ChangeRefused to refuse a change."""
    if guard not in _guards:
        _guards.append(guard)


def register_listener(listener: Callable) -> None:
    """``listener(*, incident, actor, description)`` is told of every saved change."""
    if listener not in _listeners:
        _listeners.append(listener)


def unregister_guard(guard: Callable) -> None:
    if guard in _guards:
        _guards.remove(guard)


def unregister_listener(listener: Callable) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


@contextmanager
def registered(
    *, guard: Callable | None = None, listener: Callable | None = None
) -> Iterator[None]:
    """Register a guard and/or listener for the duration of a block (tests use this)."""
    if guard:
        register_guard(guard)
    if listener:
        register_listener(listener)
    try:
        yield
    finally:
        if guard:
            unregister_guard(guard)
        if listener:
            unregister_listener(listener)


def check_change_allowed(*, incident, actor) -> None:
    for guard in _guards:
        guard(incident=incident, actor=actor)


def change_refusal(*, incident, actor) -> str:
    """Why the incident's facts and timeline may not change now, for a page to show; empty when
    they may."""
    try:
        check_change_allowed(incident=incident, actor=actor)
    except ChangeRefused as refusal:
        return str(refusal)
    return ""


def change_recorded(*, incident, actor, description: str) -> None:
    for listener in _listeners:
        listener(incident=incident, actor=actor, description=description)
