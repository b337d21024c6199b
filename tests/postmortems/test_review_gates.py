"""Each refusal says exactly what is missing."""

import pytest
from django.urls import reverse

from postmortems import review
from postmortems.models import AuditAction, PostmortemStatus
from postmortems.review import TransitionRefused
from tests.factories import ActionItemFactory

pytestmark = pytest.mark.django_db


def _write_required(postmortem, **overrides):
    texts = {"summary": "S.", "impact": "I.", "what_happened": "W.", **overrides}
    for field, text in texts.items():
        setattr(postmortem, field, text)
    postmortem.save()


def test_review_needs_the_required_sections_and_names_the_empty_ones(postmortem, author, reviewer):
    _write_required(postmortem, impact="<!-- prompt only -->", what_happened="  ")
    with pytest.raises(TransitionRefused) as refused:
        review.request_review(postmortem=postmortem, actor=author, reviewers=[reviewer])
    assert (
        str(refused.value)
        == "Write these sections before asking for review: Impact, What happened."
    )


def test_review_needs_a_reviewer_with_the_reviewer_role(postmortem, author, outsider):
    _write_required(postmortem)
    with pytest.raises(TransitionRefused, match="Choose at least one reviewer"):
        review.request_review(postmortem=postmortem, actor=author, reviewers=[])
    with pytest.raises(TransitionRefused, match="need the Reviewer role"):
        review.request_review(postmortem=postmortem, actor=author, reviewers=[outsider])


@pytest.fixture
def in_review(postmortem, author, reviewer):
    _write_required(postmortem)
    ActionItemFactory(postmortem=postmortem, title="Add a config validator")
    review.request_review(postmortem=postmortem, actor=author, reviewers=[reviewer])
    return postmortem


def test_open_comments_block_approval_unless_the_reviewer_gives_a_reason(
    in_review, author, reviewer
):
    review.add_comment(postmortem=in_review, actor=author, body="Is the impact right?")
    with pytest.raises(TransitionRefused, match="1 comment thread is still open"):
        review.approve(postmortem=in_review, actor=reviewer)
    review.approve(postmortem=in_review, actor=reviewer, override_reason="Answered in chat")
    in_review.refresh_from_db()
    assert in_review.status == PostmortemStatus.APPROVED
    entry = in_review.audit.get(action=AuditAction.APPROVED_WITH_OVERRIDE)
    assert entry.reason == "Answered in chat"


def test_resolved_comments_do_not_block(in_review, author, reviewer):
    comment = review.add_comment(postmortem=in_review, actor=author, body="Check the graph")
    review.set_comment_resolved(comment=comment, actor=reviewer, resolved=True)
    review.approve(postmortem=in_review, actor=reviewer)
    in_review.refresh_from_db()
    assert in_review.status == PostmortemStatus.APPROVED


def test_no_action_items_asks_the_reviewer_to_confirm_none_are_needed(postmortem, author, reviewer):
    _write_required(postmortem)
    review.request_review(postmortem=postmortem, actor=author, reviewers=[reviewer])
    with pytest.raises(
        TransitionRefused, match="It has no action items: confirm that none are needed"
    ):
        review.approve(postmortem=postmortem, actor=reviewer)
    review.approve(postmortem=postmortem, actor=reviewer, no_actions_needed=True)
    postmortem.refresh_from_db()
    assert postmortem.status == PostmortemStatus.APPROVED


def test_an_action_item_whose_owner_left_blocks_approval(in_review, reviewer):
    item = in_review.action_items.get()
    item.owner.is_active = False
    item.owner.save()
    with pytest.raises(TransitionRefused, match="Add a config validator.*deactivated"):
        review.approve(postmortem=in_review, actor=reviewer)


def test_a_public_summary_needs_its_title_and_text(in_review, author, reviewer):
    review.approve(postmortem=in_review, actor=reviewer)
    with pytest.raises(TransitionRefused, match="both a public title and the summary text"):
        review.publish(postmortem=in_review, actor=author, make_public=True, public_title="Outage")


def test_the_review_page_shows_a_refusal_and_keeps_what_was_typed(
    make_client, in_review, author, reviewer
):
    review.add_comment(postmortem=in_review, actor=author, body="Open question")
    response = make_client(reviewer).post(
        reverse("postmortems:review", args=[in_review.incident.reference]),
        {"action": "approve", "override_reason": ""},
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "1 comment thread is still open" in content
    response = make_client(reviewer).post(
        reverse("postmortems:review", args=[in_review.incident.reference]),
        {"action": "request_changes", "comment": ""},
    )
    assert "Say what needs to change: the comment is required." in response.content.decode()
