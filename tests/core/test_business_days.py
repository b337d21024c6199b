from datetime import UTC, date, datetime

import pytest

from core.dates import add_business_days, org_today
from postmortems.requirements import due_date

MON_TO_FRI = {1, 2, 3, 4, 5}


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 3, 13), 1, date(2026, 3, 16)),  # Friday → Monday
        (date(2026, 3, 13), 5, date(2026, 3, 20)),  # Friday → next Friday
        (date(2026, 3, 14), 1, date(2026, 3, 16)),  # Saturday → Monday
        (date(2026, 3, 15), 5, date(2026, 3, 20)),  # Sunday → Friday
        (date(2026, 3, 10), 5, date(2026, 3, 17)),  # Tuesday → next Tuesday
        (date(2026, 3, 10), 0, date(2026, 3, 10)),
    ],
)
def test_business_days_skip_weekends(start, days, expected):
    assert add_business_days(start, days, working_days=MON_TO_FRI) == expected


def test_business_days_skip_holidays():
    friday = date(2026, 3, 13)
    holidays = {date(2026, 3, 16), date(2026, 3, 17)}
    assert add_business_days(friday, 1, working_days=MON_TO_FRI, holidays=holidays) == date(
        2026, 3, 18
    )


def test_business_days_follow_other_working_weeks():
    thursday = date(2026, 3, 12)
    assert add_business_days(thursday, 1, working_days={7, 1, 2, 3, 4}) == date(2026, 3, 15)


def test_business_days_need_a_working_day():
    with pytest.raises(ValueError):
        add_business_days(date(2026, 3, 12), 1, working_days=set())


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        # Thursday 23:30 in UTC; already Friday in Auckland; still Thursday in Los Angeles.
        ("UTC", date(2026, 3, 19)),
        ("Pacific/Auckland", date(2026, 3, 20)),
        ("America/Los_Angeles", date(2026, 3, 19)),
    ],
)
def test_due_date_counts_from_the_organisations_day(settings, zone, expected):
    settings.ORG_TIME_ZONE = zone
    assert due_date(datetime(2026, 3, 12, 23, 30, tzinfo=UTC), 5) == expected


def test_due_date_counts_late_evening_in_a_zone_behind_utc_as_that_day(settings):
    settings.ORG_TIME_ZONE = "America/Los_Angeles"
    # Friday 03:00 UTC is Thursday 20:00 in Los Angeles: five working days → Thursday.
    assert due_date(datetime(2026, 3, 13, 3, 0, tzinfo=UTC), 5) == date(2026, 3, 19)
    settings.ORG_TIME_ZONE = "UTC"
    assert due_date(datetime(2026, 3, 13, 3, 0, tzinfo=UTC), 5) == date(2026, 3, 20)


def test_due_date_skips_the_configured_holidays(settings):
    settings.ORG_TIME_ZONE = "UTC"
    settings.ORG_HOLIDAYS = [date(2026, 3, 16)]
    assert due_date(datetime(2026, 3, 13, 12, 0, tzinfo=UTC), 1) == date(2026, 3, 17)


def test_org_today_is_the_organisations_date(settings, pinned_now):
    # pinned at Tuesday 2026-03-10 23:30 UTC
    settings.ORG_TIME_ZONE = "Pacific/Auckland"
    assert org_today() == date(2026, 3, 11)
    settings.ORG_TIME_ZONE = "UTC"
    assert org_today() == date(2026, 3, 10)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HINDSIGHT_WORKING_DAYS", "mon,tue"),
        ("HINDSIGHT_WORKING_DAYS", "0,8"),
        ("HINDSIGHT_WORKING_DAYS", ","),
        ("HINDSIGHT_HOLIDAYS", "2026-02-30"),
        ("HINDSIGHT_HOLIDAYS", "25/12/2026"),
        ("HINDSIGHT_ORG_TIME_ZONE", "Mars/Olympus"),
    ],
)
def test_bad_policy_settings_fail_at_start_up_with_a_message(monkeypatch, name, value):
    from django.core.exceptions import ImproperlyConfigured

    from config.env import env_dates, env_time_zone, env_weekdays

    monkeypatch.setenv(name, value)
    read = {
        "HINDSIGHT_WORKING_DAYS": lambda: env_weekdays(name, default=[1, 2, 3, 4, 5]),
        "HINDSIGHT_HOLIDAYS": lambda: env_dates(name),
        "HINDSIGHT_ORG_TIME_ZONE": lambda: env_time_zone(name, default="UTC"),
    }[name]
    with pytest.raises(ImproperlyConfigured, match=name):
        read()


def test_policy_settings_are_read_from_the_environment(monkeypatch):
    from config.env import env_dates, env_weekdays

    monkeypatch.setenv("HINDSIGHT_WORKING_DAYS", "7, 1,2,3,4")
    monkeypatch.setenv("HINDSIGHT_HOLIDAYS", "2026-12-25, 2026-12-26")
    assert env_weekdays("HINDSIGHT_WORKING_DAYS", default=[1]) == [1, 2, 3, 4, 7]
    assert env_dates("HINDSIGHT_HOLIDAYS") == [date(2026, 12, 25), date(2026, 12, 26)]
