import pytest
from playwright.sync_api import expect

from core.models import Role
from postmortems.models import PostmortemStatus
from postmortems.services import postmortem_create
from tests.e2e.conftest import sign_in
from tests.factories import ActionItemFactory, IncidentFactory, UserFactory
from tests.postmortems.conftest import in_state

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _postmortem_in(state, author, reviewer):
    incident = IncidentFactory(title="Checkout outage", created_by=author)
    postmortem = postmortem_create(incident=incident, author=author, template=None)
    postmortem.summary = "Checkout failed for 8% of attempts."
    postmortem.impact, postmortem.what_happened = "Some orders failed.", "A unit was misread."
    postmortem.save()
    ActionItemFactory(postmortem=postmortem)
    people = {
        "author": author,
        "reviewer": reviewer,
        "co-author": UserFactory(username="coauthor", roles=[Role.AUTHOR]),
        "reviewing co-author": UserFactory(username="rc", roles=[Role.REVIEWER]),
    }
    return in_state(postmortem, state, people)


def test_the_author_withdraws_an_approval_to_change_the_text(new_page, author, reviewer):
    postmortem = _postmortem_in(PostmortemStatus.APPROVED, author, reviewer)
    writer = new_page()
    sign_in(writer, "author")
    writer.goto(postmortem.get_absolute_url())
    expect(writer.locator(".frozen-banner")).to_contain_text("frozen")
    # No edit controls for the text (an action item's Edit stays, for its owner and due date).
    expect(writer.locator("a[accesskey=e]")).to_have_count(0)
    expect(writer.locator("#section-summary").get_by_role("link", name="Edit")).to_have_count(0)

    writer.get_by_label("To change it, withdraw the approval. Why?").fill("The rate was 18%.")
    writer.get_by_role("button", name="Withdraw approval").click()
    expect(writer.get_by_text("Approval withdrawn; the reviewers have been told.")).to_be_visible()
    expect(writer.locator("#activity-heading + .activity")).to_contain_text("The rate was 18%.")

    writer.goto(postmortem.get_absolute_url())
    expect(writer.locator(".frozen-banner")).to_have_count(0)
    expect(writer.locator("a[accesskey=e]")).to_be_visible()
    postmortem.refresh_from_db()
    assert postmortem.status == PostmortemStatus.CHANGES_REQUESTED
    assert writer.errors == []


def test_an_amendment_from_request_to_approval(new_page, author, reviewer):
    postmortem = _postmortem_in(PostmortemStatus.PUBLISHED, author, reviewer)
    UserFactory(username="checker", roles=[Role.REVIEWER])
    UserFactory(username="reader")
    writer, checker, reader = new_page(), new_page(), new_page()
    sign_in(writer, "author")
    sign_in(checker, "checker")
    sign_in(reader, "reader")

    # The author starts an amendment with a reason and proposes new text.
    writer.goto(postmortem.get_absolute_url())
    writer.get_by_role("link", name="Amend").click()
    writer.get_by_label("Why are you amending it?").fill("The error rate was 18%, not 8%.")
    writer.get_by_role("button", name="Start the amendment").click()
    expect(writer.get_by_text("Amendment started.")).to_be_visible()
    writer.get_by_label("Summary", exact=True).fill("Checkout failed for 18% of attempts.")
    writer.get_by_role("button", name="Save the proposed text").click()
    expect(writer.get_by_text("Proposed text saved.")).to_be_visible()
    expect(writer.locator(".diff ins")).to_contain_text("18")
    # Its author cannot approve it.
    expect(writer.get_by_role("button", name="Approve and apply")).to_have_count(0)

    # Readers still see the published text.
    reader.goto(postmortem.get_absolute_url())
    expect(reader.locator("#section-summary")).to_contain_text("8% of attempts")
    expect(reader.locator("#section-summary")).not_to_contain_text("18%")
    expect(reader.locator(".open-amendment")).to_be_visible()

    # Another reviewer approves; readers now see the new text and the amendment listed.
    checker.goto(postmortem.get_absolute_url())
    checker.get_by_role("link", name="See the amendment").click()
    checker.get_by_role("button", name="Approve and apply").click()
    expect(checker.get_by_text("Amendment approved and applied")).to_be_visible()

    reader.reload()
    expect(reader.locator("#section-summary")).to_contain_text("18% of attempts")
    amendment = reader.locator(".amendment")
    expect(amendment).to_contain_text("The error rate was 18%, not 8%.")
    amendment.get_by_text("What changed").click()
    expect(amendment.locator("ins").first).to_be_visible()
    assert writer.errors == [] and checker.errors == [] and reader.errors == []
