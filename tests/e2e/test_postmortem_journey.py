import re

import pytest
from playwright.sync_api import expect

from postmortems.models import Postmortem
from tests.e2e.conftest import sign_in
from tests.factories import IncidentFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_author_writes_a_postmortem_with_live_preview_and_sees_the_history_diff(new_page, author):
    incident = IncidentFactory(title="Queue backlog", created_by=author)
    page = new_page()
    sign_in(page, "author")

    page.goto(incident.get_absolute_url())
    page.get_by_role("link", name="Start postmortem").click()
    page.get_by_role("radio", name=re.compile("Standard blameless review")).check()
    page.get_by_role("button", name="Start writing").click()
    expect(page).to_have_url(re.compile(rf"/postmortems/{incident.reference}/edit/$"))

    summary = page.get_by_label("Summary", exact=True)
    summary.fill("The consumer **stalled** after a broker restart. It was human error.")
    preview = page.locator("#preview-summary")
    expect(preview.locator("strong")).to_have_text("stalled")  # rendered by the server, live
    expect(preview.locator("mark")).to_have_text("human error")  # blameless hint while typing
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(rf"/postmortems/{incident.reference}/$"))
    expect(page.get_by_text("Saved as version 2.")).to_be_visible()
    expect(page.locator("#section-summary strong")).to_have_text("stalled")

    # Edit again, one section at a time.
    page.get_by_role("link", name="Edit Summary").click()
    page.get_by_label("Summary", exact=True).fill(
        "The consumer **stalled** after a broker restart; the restart left it unsubscribed."
    )
    expect(page.locator("#preview-summary")).to_contain_text("unsubscribed")

    # Leaving with unsaved changes asks first; staying keeps the text.
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(re.compile(r"/edit/summary/$"))
    assert dialogs == ["beforeunload"]
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved as version 3.")).to_be_visible()

    page.get_by_role("link", name="History").click()
    expect(page.locator("table.revisions tbody tr")).to_have_count(3)
    page.get_by_role("button", name="Compare selected versions").click()  # 2 → 3 preselected
    expect(page.get_by_role("heading", name="Version 2 → version 3")).to_be_visible()
    expect(page.locator(".diff ins").first).to_contain_text("unsubscribed")
    expect(page.locator(".diff del").first).to_contain_text("It was human error")

    assert Postmortem.objects.get().version == 3
    assert page.errors == []
