import re

import pytest
from playwright.sync_api import expect

from incidents.models import Incident
from tests.e2e.conftest import sign_in
from tests.factories import ServiceFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_engineer_declares_an_incident_and_builds_its_timeline(new_page, author):
    ServiceFactory(name="Checkout")
    page = new_page()
    sign_in(page, "author")

    page.locator("#main-nav").get_by_role("link", name="Incidents", exact=True).click()
    page.get_by_role("link", name="Declare an incident").click()
    page.get_by_label("Title").fill("Checkout returns 500s")
    page.get_by_role("radio", name=re.compile("SEV2")).check()
    page.get_by_label("Checkout").check()
    page.get_by_label("Started at").fill("2026-05-04T09:00")
    page.get_by_label("Detected at").fill("2026-05-04T09:07")
    page.get_by_role("textbox", name="Customer impact").fill("Some **checkouts** failed.")
    page.get_by_role("button", name="Declare incident").click()

    incident = Incident.objects.get()
    expect(page).to_have_url(re.compile(rf"/incidents/{incident.reference}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Checkout returns 500s")
    expect(page.locator('[data-duration="detect"]')).to_have_text("7 min")

    # Add three entries out of order; the timeline must show them in time order, in place.
    for when, kind, body in [
        ("2026-05-04T09:20", "Golden path", "Found the bad deploy"),
        ("2026-05-04T09:07", "Detection", "Error-rate alert fired"),
        ("2026-05-04T09:12", "Blind alley", "Checked the database; it was fine"),
    ]:
        form = page.locator("#timeline-section form")
        if not form.is_visible():
            page.get_by_text("Add a timeline entry").click()
        page.get_by_label("When").fill(when)
        page.get_by_label("Kind").select_option(label=kind)
        page.get_by_label("What happened").fill(body)
        page.get_by_role("button", name="Add entry").click()
        expect(page.locator(".timeline-entry", has_text=body)).to_be_visible()

    expect(page).to_have_url(re.compile(rf"/incidents/{incident.reference}/$"))  # never left
    bodies = page.locator(".timeline-entry .markdown").all_inner_texts()
    assert bodies == [
        "Error-rate alert fired",
        "Checked the database; it was fine",
        "Found the bad deploy",
    ]
    kinds = page.locator(".timeline-entry").evaluate_all("els => els.map(e => e.dataset.kind)")
    assert kinds == ["detection", "blind_alley", "golden_path"]
    assert page.errors == []
