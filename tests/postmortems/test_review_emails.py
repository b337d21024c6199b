import pytest
from django.core import mail

from core.models import Role
from outbox.models import OutgoingEmail
from postmortems import review
from tests.factories import ActionItemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(postmortem, author, reviewer):
    co_author = UserFactory(username="co", roles=[Role.AUTHOR])
    postmortem.co_authors.add(co_author)
    for field in ("summary", "impact", "what_happened"):
        setattr(postmortem, field, "Written.")
    postmortem.save()
    ActionItemFactory(postmortem=postmortem)
    return {
        "author": author,
        "co": co_author,
        "reviewer": reviewer,
        "reviewer2": UserFactory(username="rev2", roles=[Role.REVIEWER]),
        "manager": UserFactory(username="mgr", roles=[Role.MANAGER]),
    }


def _sent(deliver, action):
    deliver()  # what earlier steps queued
    mail.outbox.clear()
    action()
    # Publishing also sends the questionnaire (tests/postmortems/test_survey_invitations.py).
    return {
        message.to[0]: message
        for message in deliver()
        if not message.subject.startswith("Four questions")
    }


def test_review_requested_goes_to_the_requested_reviewers_only(postmortem, cast, deliver_outbox):
    sent = _sent(
        deliver_outbox,
        lambda: review.request_review(
            postmortem=postmortem,
            actor=cast["author"],
            reviewers=[cast["reviewer"], cast["reviewer2"]],
        ),
    )
    assert set(sent) == {"reviewer@example.com", "rev2@example.com"}
    message = sent["reviewer@example.com"]
    assert message.subject == f"Review requested: {postmortem.incident.reference} Checkout outage"
    assert (
        f"http://127.0.0.1:8000/postmortems/{postmortem.incident.reference}/review/" in message.body
    )


def test_changes_requested_goes_to_the_writers_with_the_comment(postmortem, cast, deliver_outbox):
    review.request_review(postmortem=postmortem, actor=cast["author"], reviewers=[cast["reviewer"]])
    sent = _sent(
        deliver_outbox,
        lambda: review.request_changes(
            postmortem=postmortem, actor=cast["reviewer"], comment="Quantify the impact."
        ),
    )
    assert set(sent) == {"author@example.com", "co@example.com"}
    assert "Quantify the impact." in sent["co@example.com"].body


def test_approved_and_published_go_to_the_right_people_never_the_actor(
    postmortem, cast, deliver_outbox
):
    review.request_review(postmortem=postmortem, actor=cast["author"], reviewers=[cast["reviewer"]])
    approved = _sent(
        deliver_outbox,
        lambda: review.approve(postmortem=postmortem, actor=cast["reviewer"]),
    )
    assert set(approved) == {"author@example.com", "co@example.com"}
    assert "you can publish it now" in approved["author@example.com"].body

    published = _sent(
        deliver_outbox,
        lambda: review.publish(postmortem=postmortem, actor=cast["author"]),
    )
    assert set(published) == {"co@example.com", "reviewer@example.com", "mgr@example.com"}
    assert "author@example.com" not in published
    assert postmortem.get_absolute_url() in published["mgr@example.com"].body


def test_a_new_comment_notifies_writers_reviewers_and_the_thread_not_the_commenter(
    postmortem, cast, deliver_outbox
):
    review.request_review(postmortem=postmortem, actor=cast["author"], reviewers=[cast["reviewer"]])
    thread = review.add_comment(postmortem=postmortem, actor=cast["reviewer2"], body="Why?")
    sent = _sent(
        deliver_outbox,
        lambda: review.add_comment(
            postmortem=postmortem,
            actor=cast["co"],
            body="Because the cache was cold.",
            parent=thread,
        ),
    )
    assert set(sent) == {"author@example.com", "reviewer@example.com", "rev2@example.com"}
    assert "Because the cache was cold." in sent["rev2@example.com"].body
    assert f"#comment-{thread.pk}" in sent["rev2@example.com"].body


def test_nothing_is_sent_if_the_change_is_refused(postmortem, cast, deliver_outbox):
    postmortem.summary = ""
    postmortem.save()
    mail.outbox.clear()
    with pytest.raises(review.TransitionRefused):
        review.request_review(
            postmortem=postmortem, actor=cast["author"], reviewers=[cast["reviewer"]]
        )
    assert deliver_outbox() == []
    assert not OutgoingEmail.objects.exists()


def test_subjects_and_bodies_carry_the_title_as_typed_not_html_escaped(
    postmortem, cast, deliver_outbox
):
    title = """Q&A <beta> "quoted" and 'single'"""
    postmortem.incident.title = title
    postmortem.incident.save()
    sent = _sent(
        deliver_outbox,
        lambda: review.request_review(
            postmortem=postmortem, actor=cast["author"], reviewers=[cast["reviewer"]]
        ),
    )
    message = sent["reviewer@example.com"]
    assert message.subject == f"Review requested: {postmortem.incident.reference} {title}"
    assert title in message.body
    assert "&amp;" not in message.subject + message.body
