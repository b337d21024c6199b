"""A reviewer suggests replacement text for a quote; a writer accepts it in one click (a new
revision through the ordinary editing path) or dismisses it."""

import pytest
from django.urls import reverse

from postmortems import review
from postmortems.models import Comment, SuggestionStatus
from tests.postmortems.conftest import in_state
from tests.postmortems.review_page import comment_on, review_url, write

pytestmark = pytest.mark.django_db


def _decide(client, comment, decision):
    url = reverse(
        "postmortems:comment-suggestion",
        args=[comment.postmortem.incident.reference, comment.pk],
    )
    return client.post(url, {"decision": decision}, follow=True)


@pytest.fixture
def suggested(make_client, author, reviewer, postmortem):
    postmortem = write(postmortem, author, summary="The cache expired at noon.")
    response = comment_on(
        make_client(reviewer),
        postmortem,
        section="summary",
        quote="expired",
        body="Say what happened.",
        suggestion="was evicted",
    )
    assert response.status_code == 302
    return Comment.objects.get()


def test_a_writer_accepts_a_suggestion_in_one_click_as_a_new_revision(
    make_client, author, suggested
):
    postmortem = suggested.postmortem
    before = postmortem.version
    page = make_client(author).get(review_url(postmortem)).content.decode()
    assert "Accept suggestion" in page and "<del>expired</del> <ins>was evicted</ins>" in page
    response = _decide(make_client(author), suggested, "accept")
    assert "Suggestion accepted: saved as a new version." in response.content.decode()
    postmortem.refresh_from_db()
    assert postmortem.summary == "The cache was evicted at noon."
    assert postmortem.version == before + 1
    revision = postmortem.revisions.get(number=postmortem.version)
    assert revision.author == author and revision.changed_sections == ["summary"]
    assert revision.note == f"Accepted a suggestion by {suggested.author.display_name}"
    suggested.refresh_from_db()
    assert suggested.suggestion_status == SuggestionStatus.ACCEPTED
    assert suggested.resolved_by == author


def test_a_suggestion_whose_quote_changed_is_refused_with_the_text_untouched(
    make_client, author, suggested
):
    postmortem = write(suggested.postmortem, author, summary="The cache was flushed at noon.")
    response = _decide(make_client(author), suggested, "accept")
    assert "no longer appears in Summary exactly once" in response.content.decode()
    postmortem.refresh_from_db()
    assert postmortem.summary == "The cache was flushed at noon."
    suggested.refresh_from_db()
    assert suggested.suggestion_status == SuggestionStatus.OPEN


def test_a_suggestion_whose_quote_now_appears_twice_is_refused(make_client, author, suggested):
    write(suggested.postmortem, author, summary="The cache expired. The token expired.")
    response = _decide(make_client(author), suggested, "accept")
    assert "appears more than once in Summary" in response.content.decode()


def test_a_writer_dismisses_a_suggestion_and_the_text_stays(make_client, author, suggested):
    response = _decide(make_client(author), suggested, "dismiss")
    assert "Suggestion dismissed." in response.content.decode()
    suggested.refresh_from_db()
    suggested.postmortem.refresh_from_db()
    assert suggested.suggestion_status == SuggestionStatus.DISMISSED
    assert suggested.postmortem.summary == "The cache expired at noon."
    assert (
        "Accept suggestion"
        not in _decide(make_client(author), suggested, "accept").content.decode()
    )


def test_a_decided_suggestion_cannot_be_decided_again(make_client, author, suggested):
    _decide(make_client(author), suggested, "accept")
    response = _decide(make_client(author), suggested, "dismiss")
    assert "This suggestion was already accepted." in response.content.decode()


@pytest.mark.parametrize("who", ["reviewer", "other reviewer", "manager"])
def test_only_writers_and_staff_decide_suggestions(make_client, people, suggested, who):
    response = _decide(make_client(people[who]), suggested, "accept")
    if response.status_code == 200:
        assert "Only its writers and staff may accept or dismiss a suggestion." in (
            response.content.decode()
        )
    else:
        assert response.status_code == 403
    suggested.refresh_from_db()
    assert suggested.suggestion_status == SuggestionStatus.OPEN


def test_staff_may_accept_a_suggestion(make_client, staff, suggested):
    _decide(make_client(staff), suggested, "accept")
    suggested.refresh_from_db()
    assert suggested.suggestion_status == SuggestionStatus.ACCEPTED


def test_approved_text_takes_no_suggestion(make_client, author, reviewer, people, ready):
    postmortem = in_state(ready, "in_review", people)
    comment = review.add_comment(
        postmortem=postmortem,
        actor=reviewer,
        body="Tighter?",
        section="summary",
        quote="Written summary.",
        suggestion="Checkout failed.",
    )
    review.approve(postmortem=postmortem, actor=reviewer, override_reason="Minor")
    response = _decide(make_client(author), comment, "accept")
    assert "is approved, so its text, timeline and facts are frozen" in response.content.decode()
    postmortem.refresh_from_db()
    assert postmortem.summary == "Written summary."


def test_a_bad_decision_or_a_comment_of_another_postmortem_is_not_an_error(
    make_client, author, suggested, standard_template
):
    assert _decide(make_client(author), suggested, "maybe").status_code == 400
    url = reverse("postmortems:comment-suggestion", args=["INC-999", suggested.pk])
    assert make_client(author).post(url, {"decision": "accept"}).status_code == 404


def test_someone_who_may_not_read_a_draft_cannot_comment_or_suggest(
    make_client, author, outsider, postmortem
):
    postmortem = write(postmortem, author, summary="The cache expired at noon.")
    response = comment_on(
        make_client(outsider), postmortem, section="summary", quote="expired", suggestion="x"
    )
    assert response.status_code == 403
    assert not Comment.objects.exists()


def test_the_writers_email_shows_the_quote_and_the_suggestion(suggested, deliver_outbox):
    body = next(m.body for m in deliver_outbox() if "Say what happened." in m.body)
    assert "> expired\n" in body
    assert "Suggested replacement:\n> was evicted" in body
