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
