"""Action items as CSV: one row per item, in the order and with the filters of the list.

Thousands of rows stream in well under a second: the rows are plain tuples from one query
(services gathered per row by a subquery), and labels and links are worked out once."""

import csv
from collections.abc import Iterator
from datetime import date

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from actions.models import TO_DO, ActionItem, ActionKind, ActionStatus, ticket_key_from_url
from incidents.models import REFERENCE_PREFIX, Service

# Spreadsheets run cells starting with these as formulas; a leading quote keeps them text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# What each row reads, in this order (see _row).
_FIELDS = (
    "pk",
    "title",
    "kind",
    "priority",
    "status",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
    "owner__email",
    "due_date",
    "postmortem__incident__number",
    "postmortem__incident__title",
    "postmortem__incident__severity",
    "service_names",
    "created_by__first_name",
    "created_by__last_name",
    "created_by__username",
    "created_at",
    "completed_at",
    "resolution_note",
    "tracker_url",
)
# A stand-in primary key, so the item link is reversed once and filled in per row.
_PK_STAND_IN = "987654321"


def _cell(value) -> str | int:
    if value is None:
        return ""
    if isinstance(value, int):
        return value
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _local(moment, zone) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def _display_name(first_name: str | None, last_name: str | None, username: str | None) -> str:
    """``User.display_name`` from the columns: the full name, else the username."""
    if username is None:  # no such user (an item without owner)
        return ""
    return f"{first_name} {last_name}".strip() or username


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


def export_rows(items: QuerySet[ActionItem]) -> QuerySet:
    """``items``, in their order, as tuples of ``_FIELDS``."""
    service_names = ArraySubquery(
        Service.objects.filter(incidents=OuterRef("postmortem__incident"))
        .order_by("name")
        .values("name")
    )
    return items.annotate(service_names=service_names).values_list(*_FIELDS)


class _Echo:
    """A file-like object whose write() returns the line, for streaming csv.writer output."""

    def write(self, value):
        return value


def csv_lines(items: QuerySet[ActionItem], *, today: date, zone) -> Iterator[str]:
    """The file, line by line. ``today`` and ``zone`` are the viewer's, and the header, labels
    and links are worked out now: the response streams after the view returns, outside the
    request."""
    writer = csv.writer(_Echo())
    # A byte-order mark first, so spreadsheet apps read the file as UTF-8.
    header = "\ufeff" + writer.writerow(csv_header())
    kinds = {value: str(label) for value, label in ActionKind.choices}
    statuses = {value: str(label) for value, label in ActionStatus.choices}
    link_start, link_end = (
        settings.SITE_URL + reverse("actions:detail", args=[_PK_STAND_IN])
    ).split(_PK_STAND_IN)
    to_do = set(TO_DO)

    def row(values) -> list:
        (
            pk,
            title,
            kind,
            priority,
            status,
            owner_first,
            owner_last,
            owner_username,
            owner_email,
            due_date,
            incident_number,
            incident_title,
            severity,
            service_names,
            creator_first,
            creator_last,
            creator_username,
            created_at,
            completed_at,
            resolution_note,
            tracker_url,
        ) = values
        days_overdue = (
            max((today - due_date).days, 0) if status in to_do and due_date is not None else 0
        )
        return [
            _cell(value)
            for value in (
                pk,
                title,
                kinds.get(kind, kind),
                priority,
                statuses.get(status, status),
                _display_name(owner_first, owner_last, owner_username),
                owner_email or "",
                due_date.isoformat() if due_date else "",
                days_overdue,
                f"{REFERENCE_PREFIX}{incident_number}" if incident_number else "",
                incident_title,
                severity,
                ", ".join(service_names),
                _display_name(creator_first, creator_last, creator_username),
                _local(created_at, zone),
                _local(completed_at, zone),
                resolution_note,
                ticket_key_from_url(tracker_url),
                tracker_url,
                f"{link_start}{pk}{link_end}",
            )
        ]

    def lines():
        yield header
        for values in export_rows(items).iterator(chunk_size=2000):
            yield writer.writerow(row(values))

    return lines()
