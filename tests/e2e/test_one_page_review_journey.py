"""The one-page review in a real browser: a reviewer selects text and comments on it, the comment
stays anchored to its quote or is marked outdated once the quote is edited away, a resubmission
shows the changes since the reviewer's last review, and a writer accepts a suggestion in one
click."""

import pytest
from playwright.sync_api import expect

from postmortems import review
from postmortems.services import postmortem_create, postmortem_save_sections
from tests.e2e.conftest import sign_in
from tests.e2e.test_accessibility import AXE_SOURCE, PHONE, serious_violations
from tests.factories import IncidentFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SUMMARY = "The cache expired at noon. The cache refilled later."


def _postmortem(author):
    incident = IncidentFactory(title="Checkout outage", created_by=author)
    postmortem = postmortem_create(incident=incident, author=author, template=None)
    postmortem, _revision = postmortem_save_sections(
        postmortem_id=postmortem.pk,
        editor=author,
        texts={
            "summary": SUMMARY,
            "impact": "Some orders failed.",
            "what_happened": "A config value was misread.",
        },
        loaded_version=postmortem.version,
    )
    return postmortem, f"/postmortems/{incident.reference}/review/"


def _select(page, section, text, occurrence=0):
    """Select ``text`` in a rendered section the way a reader's drag would."""
    page.evaluate(
        """([section, text, occurrence]) => {
            const root = document.querySelector(`.quotable[data-section="${section}"]`);
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            let seen = 0;
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                let at = node.data.indexOf(text);
                while (at >= 0) {
                    if (seen++ === occurrence) {
                        const range = document.createRange();
                        range.setStart(node, at);
                        range.setEnd(node, at + text.length);
                        const selection = window.getSelection();
                        selection.removeAllRanges();
                        selection.addRange(range);
                        return;
                    }
                    at = node.data.indexOf(text, at + 1);
                }
            }
            throw new Error("text not found: " + text);
        }""",
        [section, text, occurrence],
    )


def _check_page(page, where):
    """No serious accessibility violation, and nothing wider than a phone's screen."""
    assert serious_violations(page, AXE_SOURCE.read_text(), where) == []
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), where


def _comment_on_selection(page, section_title, body, suggestion=""):
    """Use the keyboard: focus "Comment on selection" and press Enter, then type and post."""
    section = page.locator(".review-section", has=page.get_by_role("heading", name=section_title))
    button = section.get_by_role("button", name="Comment on selection")
    button.focus()
    page.keyboard.press("Enter")
    expect(section.get_by_label(f"Comment on {section_title}")).to_be_focused()
    page.keyboard.type(body)
    if suggestion:
        section.get_by_label("Suggested replacement for the quote (optional)").fill(suggestion)
    section.get_by_role("button", name="Add comment").click()
    expect(page.get_by_text("Comment posted.")).to_be_visible()


def test_a_comment_on_selected_text_stays_anchored_then_outdated_after_an_edit(
    new_page, author, reviewer
):
    postmortem, review_path = _postmortem(author)
    review.request_review(postmortem=postmortem, actor=author, reviewers=[reviewer])
    checker = new_page()
    sign_in(checker, "reviewer")
    checker.goto(review_path)

    # The second "The cache", told apart from the first by the text around it.
    _select(checker, "summary", "The cache", occurrence=1)
    _comment_on_selection(checker, "Summary", "Which cache?")
    mark = checker.locator("#section-summary mark.comment-anchor")
    expect(mark).to_have_count(1)
    expect(mark).to_have_text("The cache")
    expect(checker.locator("#section-summary .quotable")).to_contain_text(
        "noon. The cache refilled"
    )
    expect(checker.locator("#section-summary .comment-thread")).to_contain_text("Which cache?")

    # The writer inserts text before it: the highlight moves with the words.
    writer = new_page()
    sign_in(writer, "author")
    writer.goto(f"/postmortems/{postmortem.incident.reference}/edit/summary/")
    writer.get_by_label("Summary").fill(f"At 11:58 the alerts fired. {SUMMARY}")
    writer.get_by_role("button", name="Save").click()
    checker.goto(review_path)
    expect(checker.locator("#section-summary mark.comment-anchor")).to_have_text("The cache")
    expect(checker.get_by_text("Outdated")).to_have_count(0)

    # The writer edits the quote away: the comment is outdated and shows what it quoted.
    writer.goto(f"/postmortems/{postmortem.incident.reference}/edit/summary/")
    writer.get_by_label("Summary").fill("Keys were evicted at noon and rebuilt within minutes.")
    writer.get_by_role("button", name="Save").click()
    checker.goto(review_path)
    expect(checker.locator("#section-summary mark.comment-anchor")).to_have_count(0)
    thread = checker.locator("#section-summary .comment-thread")
    expect(thread.get_by_text("Outdated")).to_be_visible()
    expect(thread.locator("q")).to_have_text("The cache")
    _check_page(checker, "an outdated comment")
    assert checker.errors == [] and writer.errors == []


def test_a_resubmission_shows_the_changes_since_the_last_review(new_page, author, reviewer):
    postmortem, review_path = _postmortem(author)
    review.request_review(postmortem=postmortem, actor=author, reviewers=[reviewer])
    checker, writer = new_page(), new_page()
    sign_in(checker, "reviewer")
    sign_in(writer, "author")

    checker.goto(review_path)
    checker.get_by_label("What needs to change").fill("Quantify the impact, please.")
    checker.get_by_role("button", name="Request changes").click()
    expect(checker.get_by_text("Changes requested; the writers have been told.")).to_be_visible()

    writer.goto(f"/postmortems/{postmortem.incident.reference}/edit/impact/")
    writer.get_by_label("Impact").fill("About 1,200 orders failed over 40 minutes.")
    writer.get_by_role("button", name="Save").click()
    writer.goto(review_path)
    writer.get_by_role("checkbox", name=reviewer.display_name).check()
    writer.get_by_role("button", name="Send for review").click()
    expect(writer.get_by_text("Review requested.")).to_be_visible()

    checker.goto(review_path)
    panel = checker.locator("#changes-since-review")
    expect(panel.get_by_role("heading", name="Changes since your last review")).to_be_visible()
    expect(panel.locator(".diff-section h3")).to_have_text(["Impact"])
    expect(panel.locator(".diff-delete")).to_contain_text("Some orders failed.")
    expect(panel.locator(".diff-insert")).to_contain_text("About 1,200 orders failed over 40")
    _check_page(checker, "changes since the last review")
    assert checker.errors == [] and writer.errors == []


def test_a_writer_accepts_a_suggestion_in_one_click(new_page, author, reviewer):
    postmortem, review_path = _postmortem(author)
    review.request_review(postmortem=postmortem, actor=author, reviewers=[reviewer])
    checker, writer = new_page(), new_page()
    sign_in(checker, "reviewer")
    sign_in(writer, "author")

    checker.goto(review_path)
    _select(checker, "impact", "Some orders")
    _comment_on_selection(checker, "Impact", "How many?", suggestion="About 1,200 orders")

    writer.goto(review_path)
    thread = writer.locator("#section-impact .comment-thread")
    expect(thread.locator(".suggestion")).to_contain_text("Some orders")
    expect(writer.locator("#section-impact mark.comment-anchor")).to_have_text("Some orders")
    _check_page(writer, "a suggestion")
    writer.set_viewport_size({"width": 1280, "height": 900})
    thread.get_by_role("button", name="Accept suggestion").click()
    expect(writer.get_by_text("Suggestion accepted: saved as a new version.")).to_be_visible()
    expect(writer.locator("#section-impact .quotable")).to_have_text("About 1,200 orders failed.")
    expect(writer.locator("#section-impact .suggestion .badge")).to_have_text("Accepted")
    assert checker.errors == [] and writer.errors == []
