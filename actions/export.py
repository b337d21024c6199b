"""Action items as CSV: one row per item, in the order and with the filters of the list."""

import csv
from collections.abc import Iterable, Iterator
from datetime import date

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from actions.models import ActionItem

# Spreadsheets run cells starting with these as formulas; a leading quote keeps them text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str | int:
    if value is None:
        return ""
    if isinstance(value, int):
        return value
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _local(moment, zone) -> str:
    return timezone.localtime(moment, zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def csv_header() -> list[str]:
    return [
        _("ID"),
        _("Title"),
        _("Kind"),
        _("Priority"),
        _("Status"),
        _("Owner"),
        _("Owner email"),
        _("Due date"),
        _("Days overdue"),
        _("Incident"),
        _("Incident title"),
        _("Severity"),
        _("Services"),
        _("Created by"),
        _("Created at"),
        _("Completed at"),
        _("Resolution note"),
        _("Ticket"),
        _("Tracker link"),
        _("Link"),
    ]


def csv_row(item: ActionItem, today: date, zone) -> list:
    incident = item.postmortem.incident
    return [
        _cell(value)
        for value in (
            item.pk,
            item.title,
            item.get_kind_display(),
            item.priority,
            item.get_status_display(),
            item.owner.display_name if item.owner else "",
            item.owner.email if item.owner else "",
            item.due_date.isoformat() if item.due_date else "",
            item.days_overdue(today),
            incident.reference,
            incident.title,
            incident.severity,
            ", ".join(service.name for service in incident.services.all()),
            item.created_by.display_name,
            _local(item.created_at, zone),
            _local(item.completed_at, zone),
            item.resolution_note,
            item.tracker_key,
            item.tracker_url,
            f"{settings.SITE_URL}{item.get_absolute_url()}",
        )
    ]


class _Echo:
    """A file-like object whose write() returns the line, for streaming csv.writer output."""

    def write(self, value):
        return value


def csv_lines(items: Iterable[ActionItem], *, today: date, zone) -> Iterator[str]:
    """The file, line by line. ``today`` and ``zone`` are the viewer's, and the header is
    translated now: the response streams after the view returns, outside the request."""
    writer = csv.writer(_Echo())
    # A byte-order mark first, so spreadsheet apps read the file as UTF-8.
    header = "\ufeff" + writer.writerow(csv_header())

    def lines():
        yield header
        for item in items:
            yield writer.writerow(csv_row(item, today, zone))

    return lines()
