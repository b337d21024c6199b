import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from incidents.models import TimelineEntry
from tests.e2e.conftest import sign_in
from tests.factories import IncidentFactory
from tests.imports.chat_data import SLACK_EXPORT, shared_export_zip

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_engineer_imports_the_slack_channel_into_the_timeline(new_page, author, tmp_path):
    incident = IncidentFactory(
        title="Checkout errors",
        started_at=datetime(2026, 3, 14, 9, 58, tzinfo=UTC),
        created_by=author,
    )
    export = tmp_path / "slack-export.zip"
    export.write_bytes(shared_export_zip().read())
    page = new_page()
    sign_in(page, "author")
    page.goto(incident.get_absolute_url())

    page.get_by_role("link", name=re.compile("Import from chat")).click()
    page.get_by_label("Slack export (zip)").set_input_files(str(export))
    page.get_by_label("Workspace address").fill("https://acme.slack.com")
    page.get_by_role("button", name="Read the export").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Pick the messages that matter")
    thread = page.locator(".chat-thread")
    expect(thread).to_contain_text("Same here, processor looks fine from our side.")
    expect(page.locator(".chat-messages")).not_to_contain_text("has joined the channel")

    # Narrow the window to the investigation, then pick a blind alley (with its reply) and
    # the golden path.
    page.get_by_label("From").fill("2026-03-14T10:02")
    page.get_by_label("Until").fill("2026-03-14T10:25")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".chat-message")).to_have_count(4)
    for speaker_time, kind in [
        ("Riley Chen's message at 10:03:00", "Blind alley"),
        ("Sam Jørgensen's message at 10:04:00", "Blind alley"),
        ("Sam Jørgensen's message at 10:23:00", "Golden path"),
    ]:
        message = page.locator(".chat-message").filter(
            has=page.get_by_label(f"Kind of {speaker_time}")
        )
        message.get_by_role("checkbox").first.check()
        page.get_by_label(f"Kind of {speaker_time}").select_option(label=kind)
    page.get_by_role("button", name="Import ticked messages").click()

    expect(page).to_have_url(re.compile(rf"/incidents/{incident.reference}/#timeline-section$"))
    expect(page.get_by_text("3 timeline entries added from the chat.")).to_be_visible()
    kinds = page.locator(".timeline-entry").evaluate_all("els => els.map(e => e.dataset.kind)")
    assert kinds == ["blind_alley", "blind_alley", "golden_path"]
    expect(page.locator(".timeline-entry").last).to_contain_text(
        "Sam Jørgensen: Found it: timeout: 30 is read as milliseconds now"
    )
    expect(
        page.locator(".timeline-entry").last.get_by_role("link", name="source")
    ).to_have_attribute("href", "https://acme.slack.com/archives/C05INC/p1773483780000600")

    # Importing the same export again offers those messages as already in the timeline.
    page.get_by_role("link", name=re.compile("Import from chat")).click()
    page.get_by_label("Slack export (zip)").set_input_files(str(export))
    page.get_by_role("button", name="Read the export").click()
    expect(page.locator(".chat-message", has_text="in the timeline")).to_have_count(3)
    assert TimelineEntry.objects.filter(incident=incident).count() == 3
    assert page.errors == []


def test_the_unzipped_export_folder_can_be_chosen_instead_of_the_zip(new_page, author):
    incident = IncidentFactory(
        started_at=datetime(2026, 3, 14, 9, 58, tzinfo=UTC), created_by=author
    )
    page = new_page()
    sign_in(page, "author")
    page.goto(f"/imports/chat/{incident.reference}/")
    page.get_by_label("… or the unzipped export folder").set_input_files(str(SLACK_EXPORT))
    page.get_by_role("button", name="Read the export").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Pick the messages that matter")
    expect(page.locator(".chat-message")).to_have_count(8)
    assert page.errors == []


def test_a_folder_with_more_files_than_one_upload_carries_is_refused_in_the_page(
    new_page, author, settings
):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2  # the shared export has three files to send
    incident = IncidentFactory(created_by=author)
    page = new_page()
    sign_in(page, "author")
    page.goto(f"/imports/chat/{incident.reference}/")
    folder = page.get_by_label("… or the unzipped export folder")
    folder.set_input_files(str(SLACK_EXPORT))
    assert folder.evaluate("input => input.validationMessage") == (
        "This folder holds more than 2 channel-day files: upload the zip."
    )
    assert folder.evaluate("input => input.files.length") == 0
