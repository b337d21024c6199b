import re

import pytest
from playwright.sync_api import expect

from postmortems.models import ContributingFactor
from postmortems.services import postmortem_create
from tests.e2e.conftest import sign_in
from tests.factories import IncidentFactory, TimelineEntryFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_author_adds_a_factor_linked_to_two_timeline_entries_and_follows_its_links(
    new_page, author
):
    incident = IncidentFactory(title="Checkout timeouts", created_by=author)
    alert = TimelineEntryFactory(
        incident=incident, kind="detection", body="Error-rate alert fired", author=author
    )
    TimelineEntryFactory(incident=incident, kind="investigation", body="Checked the dashboards")
    rollback = TimelineEntryFactory(
        incident=incident, kind="action", body="Rolled back the timeout change", author=author
    )
    postmortem_create(incident=incident, author=author, template=None)
    page = new_page()
    sign_in(page, "author")

    page.goto(f"/postmortems/{incident.reference}/edit/")
    factors = page.locator("#factors")
    factors.get_by_label("Category").select_option(label="Configuration change")
    factors.get_by_label("Description").fill("The timeout change skipped the canary stage")
    factors.get_by_label(re.compile("Error-rate alert fired")).check()
    # Keyboard only: Tab to the rollback entry's box and tick it with the space bar.
    factors.get_by_label(re.compile("Checked the dashboards")).focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the "Add factor" button

    expect(page).to_have_url(re.compile(rf"/postmortems/{incident.reference}/edit/#factors$"))
    expect(page.get_by_text("Contributing factor added.")).to_be_visible()
    factor = ContributingFactor.objects.get()
    assert set(factor.timeline_entries.all()) == {alert, rollback}

    page.goto(f"/postmortems/{incident.reference}/")
    shown = page.locator("#section-factors")
    expect(shown.locator(".factor-category")).to_have_text("Technical › Configuration change")
    expect(shown).to_contain_text("The timeout change skipped the canary stage")
    links = shown.locator("a.factor-entry")
    expect(links).to_have_count(2)
    links.nth(1).click()
    expect(page).to_have_url(re.compile(rf"#entry-{rollback.pk}$"))
    expect(page.locator(f"#entry-{rollback.pk}")).to_be_in_viewport()
    expect(page.locator(f"#entry-{rollback.pk}")).to_contain_text("Rolled back the timeout change")
    links.nth(0).click()
    expect(page).to_have_url(re.compile(rf"#entry-{alert.pk}$"))
    assert page.errors == []
