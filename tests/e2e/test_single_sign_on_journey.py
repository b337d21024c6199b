"""The single sign-on journey in Chromium: from Hindsight's sign-in page to the provider (a real
one in its own process, tests/oidc_provider.py) and back, the role its groups give, and signing
out of both."""

import pytest
import requests
from playwright.sync_api import expect

from core.models import User
from tests.oidc_provider import configure, next_person, running_provider

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider(settings):
    with running_provider() as url:
        configure(settings, url, HINDSIGHT_LOCAL_LOGIN=False)
        yield url


def test_a_manager_signs_in_with_the_provider_and_signs_out_of_both(new_page, provider):
    next_person(provider, groups=["sre-leads"], given_name="Sam", family_name="Lee")
    page = new_page()
    page.goto("/login/")
    expect(page.get_by_label("Password")).to_have_count(0)

    page.get_by_role("link", name="Sign in with Test ID").click()

    page.wait_for_url("**/actions/dashboard/")  # where a manager's work is

    expect(page.get_by_role("button", name="Sam Lee")).to_be_visible()
    user = User.objects.get(sso_subject="idp-alex-1")
    assert user.is_manager and not user.has_usable_password()

    page.get_by_role("button", name="Sam Lee").click()
    expect(page.get_by_role("link", name="Change password")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()

    page.wait_for_url("**/login/")
    assert len(requests.get(f"{provider}/test/signed-out", timeout=5).json()) == 1
    page.goto("/incidents/")
    page.wait_for_url("**/login/?next=/incidents/")
    assert page.errors == []
