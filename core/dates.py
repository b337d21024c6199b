"""The range of dates Hindsight accepts, in one place for forms, filters and the database.

Python's dates end at year 9999: a moment typed as 9999-12-31 in a zone behind UTC is stored
as year 10000, and every page that reads it back fails. Nothing in an incident record needs a
date outside 1970 to 2100, so forms and filters refuse anything else, in the user's own zone.
The database constraints allow one more day at each end, so a valid local time in any zone
(UTC-12 to UTC+14) fits, while still keeping every stored value far from the year limits.
"""

import zoneinfo
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

EARLIEST_DATE = date(1970, 1, 1)
LATEST_DATE = date(2100, 12, 31)

# For CheckConstraints on timestamp columns: [earliest, latest) in UTC.
EARLIEST_STORED_MOMENT = datetime.combine(
    EARLIEST_DATE - timedelta(days=1), datetime.min.time(), UTC
)
LATEST_STORED_MOMENT = datetime.combine(LATEST_DATE + timedelta(days=2), datetime.min.time(), UTC)

# For the browser's date pickers (min / max attributes).
DATE_INPUT_BOUNDS = {"min": EARLIEST_DATE.isoformat(), "max": LATEST_DATE.isoformat()}
DATETIME_INPUT_BOUNDS = {"min": f"{EARLIEST_DATE}T00:00", "max": f"{LATEST_DATE}T23:59"}

_OUT_OF_RANGE = _("Enter a date from %(earliest)s to %(latest)s.")


def _out_of_range_error() -> ValidationError:
    return ValidationError(
        _OUT_OF_RANGE,
        code="date_out_of_range",
        params={"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
    )


def validate_date_in_range(value: date) -> None:
    if isinstance(value, datetime):
        value = value.date()
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise _out_of_range_error()


def validate_moment_in_range(value: datetime) -> None:
    """The moment's date in the active zone (the signed-in user's) must be in range."""
    try:
        local = timezone.localtime(value) if timezone.is_aware(value) else value
    except OverflowError as error:
        raise _out_of_range_error() from error
    validate_date_in_range(local.date())


def moment_in_range_q(field: str, *, nullable: bool = False) -> Q:
    """The condition of a CheckConstraint keeping a timestamp column in range."""
    in_range = Q(**{f"{field}__gte": EARLIEST_STORED_MOMENT, f"{field}__lt": LATEST_STORED_MOMENT})
    return Q(**{f"{field}__isnull": True}) | in_range if nullable else in_range


def date_in_range_q(field: str, *, nullable: bool = False) -> Q:
    """The condition of a CheckConstraint keeping a date column in range."""
    in_range = Q(**{f"{field}__gte": EARLIEST_DATE, f"{field}__lte": LATEST_DATE})
    return Q(**{f"{field}__isnull": True}) | in_range if nullable else in_range


def refuse_out_of_range_rows(table: str, *, moments=(), dates=()):
    """A migration step run before the range constraints are added: if any row already holds
    a date outside the range, stop with a message naming each one, so an operator can correct
    it deliberately. Incident facts are a record people rely on: they are not rewritten
    silently. The values are read as text, since Python cannot hold a year-10000 timestamp."""
    from django.db import migrations

    bounds = {
        **dict.fromkeys(moments, (EARLIEST_STORED_MOMENT, LATEST_STORED_MOMENT)),
        **{column: (EARLIEST_DATE, LATEST_DATE + timedelta(days=1)) for column in dates},
    }

    def check(apps, schema_editor):
        problems = []
        with schema_editor.connection.cursor() as cursor:
            for column, (low, high) in bounds.items():
                cursor.execute(
                    f'SELECT id, "{column}"::text FROM "{table}" '
                    f'WHERE "{column}" < %s OR "{column}" >= %s ORDER BY id',
                    [low, high],
                )
                problems += [f"{table}.{column} id={pk}: {value}" for pk, value in cursor]
        if problems:
            raise RuntimeError(
                f"These rows hold dates outside {EARLIEST_DATE} to {LATEST_DATE}; correct or "
                "delete them (e.g. with psql), then migrate again:\n  " + "\n  ".join(problems)
            )

    return migrations.RunPython(check, migrations.RunPython.noop, elidable=False)


def add_business_days(start: date, days: int, *, working_days, holidays=()) -> date:
    """The date ``days`` working days after ``start`` (which itself does not count), skipping
    days of the week not in ``working_days`` (ISO numbers, 1 = Monday) and ``holidays``."""
    if not working_days:
        raise ValueError("At least one working day of the week is needed.")
    holidays = set(holidays)
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if day.isoweekday() in working_days and day not in holidays:
            remaining -= 1
    return day


def org_today(now: datetime | None = None) -> date:
    """Today in the organisation's time zone (ORG_TIME_ZONE), whoever is asking: policy due
    dates are the organisation's, not each viewer's."""
    return timezone.localdate(now or timezone.now(), zoneinfo.ZoneInfo(settings.ORG_TIME_ZONE))
