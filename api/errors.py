"""Every refusal as JSON a program can act on: ``{"detail": "...", "code": "..."}`` (with
``"errors"`` per field for invalid input), never an error page."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from actions.services import ActionItemError
from incidents.changes import ChangeRefused
from incidents.services import IncidentError
from incidents.services import StaleEdit as StaleIncidentEdit
from postmortems.services import DocumentFrozen, PostmortemError, StaleEdit

# Refusals because of the current state of what was to change: 409, try again after looking.
_CONFLICTS = {
    StaleEdit: "stale",
    StaleIncidentEdit: "stale",
    DocumentFrozen: "frozen",
    ChangeRefused: "frozen",
}
# Refusals of what was asked: 400, change the request.
_REFUSALS = (PostmortemError, ActionItemError, IncidentError)


def exception_handler(error, context):
    for kind, code in _CONFLICTS.items():
        if isinstance(error, kind):
            return Response(
                {"detail": str(error), "code": code, **_current_version(error)},
                status=status.HTTP_409_CONFLICT,
            )
    if isinstance(error, _REFUSALS):
        return Response({"detail": str(error), "code": "refused"}, status=400)
    if isinstance(error, DjangoValidationError):
        return Response(
            {"detail": " ".join(error.messages), "code": "invalid", "errors": _by_field(error)},
            status=400,
        )
    response = drf_exception_handler(error, context)
    if isinstance(error, exceptions.ValidationError):
        response.data = {
            "detail": _("Some values are not valid; see errors."),
            "code": "invalid",
            "errors": response.data
            if isinstance(response.data, dict)
            else {"non_field_errors": response.data},
        }
        return response
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data.setdefault("code", getattr(response.data["detail"], "code", "error"))
        response.data.update(_current_version(error))
    return response


class Conflict(exceptions.APIException):
    """What was to change has changed meanwhile (give ``current_version``), or is in a state
    that refuses the change."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, detail=None, code=None, *, current_version=None):
        super().__init__(detail, code)
        self.current_version = current_version


def _current_version(error) -> dict:
    """The version a refused edit should start again from."""
    if isinstance(error, StaleEdit):
        return {"current_version": error.postmortem.version}
    current = getattr(error, "current_version", None)  # incidents' StaleEdit, Conflict
    return {"current_version": current} if current is not None else {}


def _by_field(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
    return {"non_field_errors": error.messages}
