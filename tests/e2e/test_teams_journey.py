"""A manager follows up by team in a browser: from the menu to the team page, its items and the
incident list filtered by the team; no serious accessibility violation on the team pages at
desktop and phone widths."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.e2e.test_accessibility import AXE_SOURCE, serious_violations
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    PostmortemFactory,
    ServiceFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_manager_opens_their_teams_page_and_filters_the_incidents_by_it(new_page, manager):
    ann = UserFactory(username="ann", first_name="Ann", last_name="Able")
    team = TeamFactory(name="Payments", manager=manager, members=[manager, ann])
    checkout = ServiceFactory(name="Checkout", team=team)
    incident = IncidentFactory(title="Checkout failing", services=[checkout])
    IncidentFactory(title="Wiki slow", services=[ServiceFactory(name="Wiki")])
    postmortem = PostmortemFactory(incident=incident, status="in_review")
    ActionItemFactory(
        postmortem=postmortem,
        owner=ann,
        title="Add a checkout canary",
        due_date=timezone.localdate() - timedelta(days=4),
    )
    page = new_page()
    sign_in(page, "manager")

    page.get_by_role("link", name="Teams").first.click()
    axe = AXE_SOURCE.read_text()
    failures = serious_violations(page, axe, "/teams/")
    page.get_by_role("link", name="Payments").click()

    expect(page.get_by_role("heading", name="Payments", level=1)).to_be_visible()
    expect(page.locator("#metric-overdue .metric-value")).to_have_text("1")
    expect(page.get_by_role("link", name="Add a checkout canary")).to_be_visible()
    expect(page.get_by_role("link", name="Checkout failing").first).to_be_visible()
    expect(page.get_by_text("Wiki slow")).to_have_count(0)
    failures += serious_violations(page, axe, team.get_absolute_url())

    page.get_by_role("link", name="Incident list").click()
    expect(page.get_by_label("Team")).to_have_value("payments")
    expect(page.get_by_role("link", name="Checkout failing")).to_be_visible()
    expect(page.get_by_role("link", name="Wiki slow")).to_have_count(0)
    assert failures == []
    assert page.errors == []
