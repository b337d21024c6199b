import re

import pytest
from playwright.sync_api import expect

from incidents.models import Incident
from tests.e2e.conftest import sign_in
from tests.imports.conftest import sample

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_author_imports_a_markdown_postmortem_through_the_preview(new_page, author, run_worker):
    path = sample("PM2021-008")
    page = new_page()
    sign_in(page, "author")

    page.locator("#main-nav").get_by_role("link", name="Incidents", exact=True).click()
    page.get_by_role("link", name="Import Markdown").click()
    page.get_by_label("Markdown files").set_input_files(str(path))
    page.get_by_label("Time zone of times that do not say theirs").select_option(
        "Europe/Copenhagen"
    )
    page.get_by_role("button", name="Preview").click()

    # The preview says what goes where, in the upload's zone, before anything is stored.
    card = page.locator(".import-file")
    expect(card.get_by_role("heading", level=2)).to_contain_text("Traefik v2 configuration")
    expect(card.locator('[data-time="detected"]')).to_contain_text("2021-08-26 11:26 CEST")
    expect(card.locator('[data-time="detected"]')).to_contain_text("Time to detection")
    expect(card.get_by_role("heading", name="Timeline: 8 entries")).to_be_visible()
    expect(card.locator(".import-action-items .badge", has_text="needs an owner")).to_have_count(2)
    expect(card.locator(".not-understood")).to_contain_text("## Attendees")
    assert not Incident.objects.exists()

    page.get_by_role("button", name="Import 1 postmortem").click()
    expect(page.locator(".import-running")).to_be_visible()
    run_worker()  # what `manage.py procrastinate worker` does; the page updates itself

    incident = Incident.objects.get()
    page.get_by_role("link", name=f"Imported as {incident.reference}").click()
    expect(page).to_have_url(re.compile(rf"/postmortems/{incident.reference}/$"))
    expect(page.get_by_text("Request headers were checked prior to migration")).to_be_visible()

    # Sending the same file again is recognised.
    page.goto("/imports/markdown/")
    page.get_by_label("Markdown files").set_input_files(str(path))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".skip-reason")).to_contain_text(
        f"Already imported as {incident.reference}"
    )
    expect(page.get_by_text("Nothing to import: every file is a duplicate.")).to_be_visible()
    assert page.errors == []
