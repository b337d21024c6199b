"""Settings read from the environment: a bad value stops start-up with a message saying what
to set, before anything runs."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_pairs


def test_pairs_keep_their_order_and_may_repeat_a_key(monkeypatch):
    monkeypatch.setenv("PAIRS", "sre-leads=Manager, eng=Author,eng=Reviewer,")
    assert env_pairs("PAIRS") == [("sre-leads", "Manager"), ("eng", "Author"), ("eng", "Reviewer")]


@pytest.mark.parametrize("value", ["eng", "=Manager", "eng=", "eng=Author,oops"])
def test_a_pair_without_both_sides_is_refused(monkeypatch, value):
    monkeypatch.setenv("PAIRS", value)
    with pytest.raises(ImproperlyConfigured, match="PAIRS must list pairs such as a=b,c=d"):
        env_pairs("PAIRS")


def _settings_error(**variables) -> str:
    """Import the settings in a fresh interpreter with these variables; its error output."""
    environment = {**os.environ, "DJANGO_SECRET_KEY": "x", **variables}
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings.base"],
        env=environment,
        capture_output=True,
        text=True,
    )
    return result.stderr


def test_local_passwords_cannot_be_turned_off_without_single_sign_on():
    assert "HINDSIGHT_LOCAL_LOGIN=false needs OIDC_ENABLED=true" in _settings_error(
        HINDSIGHT_LOCAL_LOGIN="false"
    )


def test_single_sign_on_needs_its_client_and_endpoints():
    assert "Set the environment variable OIDC_OP_ISSUER" in _settings_error(OIDC_ENABLED="true")


def test_single_sign_on_is_off_and_passwords_on_by_default():
    assert _settings_error() == ""


def test_the_organisations_calendar_is_read_and_checked_at_start_up():
    read = subprocess.run(
        [
            sys.executable,
            "-c",
            "import config.settings.base as s; "
            "print(s.ORG_TIME_ZONE, s.ORG_WORKING_DAYS, [str(d) for d in s.ORG_HOLIDAYS])",
        ],
        env={
            **os.environ,
            "DJANGO_SECRET_KEY": "x",
            "HINDSIGHT_ORG_TIME_ZONE": "Europe/Paris",
            "HINDSIGHT_WORKING_DAYS": "7,1,2,3,4",
            "HINDSIGHT_HOLIDAYS": "2026-12-25,2026-12-26",
        },
        capture_output=True,
        text=True,
    )
    # Holidays are dates, as the business-day count compares them with dates.
    assert read.stdout.strip() == "Europe/Paris [1, 2, 3, 4, 7] ['2026-12-25', '2026-12-26']"
    assert "HINDSIGHT_HOLIDAYS must list dates" in _settings_error(HINDSIGHT_HOLIDAYS="25/12/2026")
    assert "HINDSIGHT_ORG_TIME_ZONE must be a time zone" in _settings_error(
        HINDSIGHT_ORG_TIME_ZONE="Mars/Olympus"
    )


@pytest.mark.parametrize("value", ["0", "-3"])
def test_escalation_needs_at_least_one_day_overdue(value):
    error = _settings_error(HINDSIGHT_ESCALATE_AFTER_DAYS=value)
    assert "HINDSIGHT_ESCALATE_AFTER_DAYS must be 1 or more." in error


def test_the_group_to_team_table_is_read_as_pairs():
    assert _settings_error(OIDC_GROUP_TEAMS="sre=platform,eng=payments") == ""
    assert "OIDC_GROUP_TEAMS must list pairs" in _settings_error(OIDC_GROUP_TEAMS="sre")
