import re

import pytest
from playwright.sync_api import expect

from postmortems.models import PostmortemStatus
from postmortems.services import postmortem_create
from tests.e2e.conftest import sign_in
from tests.factories import IncidentFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_postmortem_goes_from_review_to_a_public_summary(new_page, author, reviewer):
    incident = IncidentFactory(title="Checkout outage", created_by=author)
    postmortem = postmortem_create(incident=incident, author=author, template=None)
    postmortem.summary, postmortem.impact = "Checkout failed.", "Some orders failed."
    postmortem.what_happened = "A config value was misread."
    postmortem.save()
    review_path = f"/postmortems/{incident.reference}/review/"

    writer, checker = new_page(), new_page()
    sign_in(writer, "author")
    sign_in(checker, "reviewer")

    # The author asks for review.
    writer.goto(review_path)
    writer.get_by_role("checkbox", name=reviewer.display_name).check()
    writer.get_by_role("button", name="Send for review").click()
    expect(writer.get_by_text("Review requested.")).to_be_visible()

    # The reviewer comments on a section, then requests changes.
    checker.goto("/postmortems/review-queue/")
    checker.get_by_role("link", name=re.compile("Checkout outage")).click()
    checker.get_by_label("Section").select_option(label="Impact")
    checker.get_by_label("Comment", exact=True).fill("How many orders failed?")
    checker.get_by_role("button", name="Post comment").click()
    expect(checker.locator(".comment-thread", has_text="How many orders failed?")).to_be_visible()
    checker.get_by_label("What needs to change").fill("Quantify the impact, please.")
    checker.get_by_role("button", name="Request changes").click()
    expect(checker.get_by_text("Changes requested; the writers have been told.")).to_be_visible()

    # The author sees it came back, answers, resolves the threads and resubmits.
    writer.goto("/postmortems/review-queue/")
    writer.get_by_role("link", name=re.compile("Checkout outage")).click()
    for _thread in range(2):
        writer.get_by_role("button", name="Resolve").first.click()
        expect(writer.get_by_text("Thread resolved.")).to_be_visible()
    expect(writer.get_by_text("Comments (0 open)")).to_be_visible()
    writer.get_by_role("button", name="Send for review").click()
    expect(writer.get_by_text("Review requested.")).to_be_visible()

    # The reviewer approves; with no action items they confirm none are needed.
    checker.goto(review_path)
    checker.get_by_role("button", name="Approve").click()
    expect(
        checker.get_by_text("It has no action items: confirm that none are needed")
    ).to_be_visible()
    checker.get_by_label("I confirm no action items are needed").check()
    checker.get_by_role("button", name="Approve").click()
    expect(checker.get_by_text("Approved. The writers can publish it now.")).to_be_visible()

    # The author publishes with a public summary.
    writer.goto(review_path)
    writer.get_by_label("Also publish the public summary for customers").check()
    writer.get_by_label("Public title").fill("Checkout errors on 4 May")
    writer.get_by_role("textbox", name="Public summary").fill(
        "Some payments failed for **48 minutes**."
    )
    writer.get_by_role("button", name="Publish").click()
    expect(writer.get_by_text("Published to the organisation.")).to_be_visible()

    postmortem.refresh_from_db()
    assert postmortem.status == PostmortemStatus.PUBLISHED

    # Anyone, signed in or not, can read the public summary.
    visitor = new_page()
    visitor.goto("/status/")
    visitor.get_by_role("link", name="Checkout errors on 4 May").click()
    expect(visitor.locator("article strong")).to_have_text("48 minutes")
    expect(visitor.locator("body")).not_to_contain_text("Checkout outage")
    assert writer.errors == [] and checker.errors == [] and visitor.errors == []
