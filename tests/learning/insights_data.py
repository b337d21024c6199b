"""A small data set for the insights, with every expected number worked out by hand in the
tests. Times are UTC (the users' time zone unless a test says otherwise); the period asked for
is January to April 2025.

Incidents (start; minutes from the start to detect / mitigate / resolve):
  G  SEV1 2024-12-31 23:00  5 / 10 / 120     no service   (before the period in UTC; 1 January
                                                            in Paris)
  A  SEV1 2025-01-10 10:00  10 / 30 / 120    checkout     #deploy   postmortem published 1 Feb
  B  SEV1 2025-01-20 10:00  20 / 60 / 240    checkout               postmortem published 10 Feb
  B2 SEV1 2025-01-25 10:00  60 / 90 / 180    checkout               postmortem draft
  C  SEV2 2025-01-15 10:00  5 / — / —        search                 (still investigating)
  D  SEV1 2025-03-03 10:00  40 / 90 / 360    checkout, search #deploy  postmortem published 20 Mar
  E  SEV3 2025-03-05 10:00  60 / 120 / 1440  no service
  F  SEV1 2025-03-31 23:30  30 / 60 / 180    payments     (1 April in Paris)
  H  SEV2 2025-05-02 10:00  after the period

Action items:
  i1 on A's postmortem: created 1 Feb, due 15 Feb, done 10 Feb
  i2 on A's postmortem: created 1 Feb, due 20 Feb, done 5 Mar
  i3 on B's postmortem: created 10 Feb, due 1 Mar, open
  i4 on D's postmortem: created 20 Mar, due 30 Apr, in progress
  i5 on D's postmortem: created 20 Mar, due 25 Mar, won't do (last updated 10 Apr)
"""

from datetime import UTC, date, datetime, timedelta

from actions.models import ActionItem
from incidents.models import Status
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    PostmortemFactory,
    ServiceFactory,
    TagFactory,
)

PERIOD = {"date_from": "2025-01-01", "date_to": "2025-04-30"}
MONTHS = [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1)]


def at(month, day, hour=0, minute=0, year=2025) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _incident(title, severity, started_at, detect, mitigate, resolve, services=(), tags=()):
    minutes = timedelta(minutes=1)
    incident = IncidentFactory(
        title=title,
        severity=severity,
        status=Status.RESOLVED if resolve else Status.INVESTIGATING,
        started_at=started_at,
        detected_at=started_at + detect * minutes,
        mitigated_at=started_at + mitigate * minutes if mitigate else None,
        resolved_at=started_at + resolve * minutes if resolve else None,
        services=list(services),
    )
    incident.tags.set(tags)
    return incident


def _item(postmortem, title, *, created, due, status="open", completed=None, updated=None):
    item = ActionItemFactory(
        postmortem=postmortem,
        title=title,
        due_date=due,
        status=status,
        completed_at=completed,
    )
    ActionItem.objects.filter(pk=item.pk).update(created_at=created, updated_at=updated or created)
    return item


def build_insights_data() -> dict:
    checkout = ServiceFactory(name="Checkout", slug="checkout")
    search = ServiceFactory(name="Search", slug="search")
    payments = ServiceFactory(name="Payments", slug="payments")
    deploy = TagFactory(name="deploy")
    incidents = {
        "G": _incident("G", "SEV1", at(12, 31, 23, year=2024), 5, 10, 120),
        "A": _incident("A", "SEV1", at(1, 10, 10), 10, 30, 120, [checkout], [deploy]),
        "B": _incident("B", "SEV1", at(1, 20, 10), 20, 60, 240, [checkout]),
        "B2": _incident("B2", "SEV1", at(1, 25, 10), 60, 90, 180, [checkout]),
        "C": _incident("C", "SEV2", at(1, 15, 10), 5, None, None, [search]),
        "D": _incident("D", "SEV1", at(3, 3, 10), 40, 90, 360, [checkout, search], [deploy]),
        "E": _incident("E", "SEV3", at(3, 5, 10), 60, 120, 1440),
        "F": _incident("F", "SEV1", at(3, 31, 23, 30), 30, 60, 180, [payments]),
        "H": _incident("H", "SEV2", at(5, 2, 10), 5, 10, 20, [checkout]),
    }
    published = {"A": at(2, 1, 12), "B": at(2, 10, 14), "D": at(3, 20, 16)}
    postmortems = {
        name: PostmortemFactory(
            incident=incidents[name], status="published", published_at=published[name]
        )
        for name in published
    }
    PostmortemFactory(incident=incidents["B2"], status="draft")
    _item(
        postmortems["A"],
        "i1",
        created=at(2, 1, 9),
        due=date(2025, 2, 15),
        status="done",
        completed=at(2, 10, 9),
    )
    _item(
        postmortems["A"],
        "i2",
        created=at(2, 1, 9),
        due=date(2025, 2, 20),
        status="done",
        completed=at(3, 5, 9),
    )
    _item(postmortems["B"], "i3", created=at(2, 10, 9), due=date(2025, 3, 1))
    _item(postmortems["D"], "i4", created=at(3, 20, 9), due=date(2025, 4, 30), status="in_progress")
    _item(
        postmortems["D"],
        "i5",
        created=at(3, 20, 9),
        due=date(2025, 3, 25),
        status="wont_do",
        updated=at(4, 10, 9),
    )
    return {"incidents": incidents, "checkout": checkout, "search": search, "deploy": deploy}
