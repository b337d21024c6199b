"""Comments anchored to quoted text on the one-page review: the highlight follows the text when
it moves, and a comment whose quote was edited away is shown as outdated with its quote."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from postmortems import review
from postmortems.models import Comment
from tests.factories import ActionItemFactory
from tests.postmortems.review_page import comment_on, review_url, write

pytestmark = pytest.mark.django_db

TEXT = "The cache expired at noon. The cache refilled later."


def _mark(comment, text):
    return f'<mark class="comment-anchor" data-comments="{comment.pk}">{text}</mark>'


def test_the_review_page_shows_every_section_of_the_document(make_client, author, postmortem):
    write(postmortem, author, summary="Checkout failed.", lessons_learned="Watch the cache.")
    page = make_client(author).get(review_url(postmortem)).content.decode()
    assert "<p>Checkout failed.</p>" in page and "<p>Watch the cache.</p>" in page
    assert page.count('class="mb-4 pm-section review-section"') == 11
    assert "Comment on this section" in page and "Comment on selection" in page


def test_a_comment_on_selected_text_is_kept_with_its_quote_and_highlighted(
    make_client, author, reviewer, postmortem
):
    postmortem = write(postmortem, author, summary=TEXT)
    response = comment_on(
        make_client(reviewer),
        postmortem,
        section="summary",
        quote="cache  refilled",
        quote_prefix="noon. The ",
        quote_suffix=" later.",
    )
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert (comment.section, comment.quote) == ("summary", "cache refilled")
    assert (comment.quote_prefix, comment.quote_suffix) == ("noon. The ", " later.")
    assert comment.revision_number == postmortem.version
    page = make_client(author).get(review_url(postmortem)).content.decode()
    assert f"The {_mark(comment, 'cache refilled')} later." in page
    assert 'data-anchored="anchored"' in page and "Outdated" not in page


def test_the_text_around_a_repeated_quote_tells_which_one_is_meant(
    make_client, author, reviewer, postmortem
):
    postmortem = write(postmortem, author, summary=TEXT)
    comment_on(
        make_client(reviewer),
        postmortem,
        section="summary",
        quote="The cache",
        quote_prefix="at noon. ",
        quote_suffix=" refilled",
    )
    page = make_client(author).get(review_url(postmortem)).content.decode()
    assert f"noon. {_mark(Comment.objects.get(), 'The cache')} refilled" in page


def test_the_anchor_moves_with_its_text_after_an_edit(make_client, author, reviewer, postmortem):
    postmortem = write(postmortem, author, summary=TEXT)
    comment_on(make_client(reviewer), postmortem, section="summary", quote="refilled later")
    write(postmortem, author, summary=f"It began on Monday.\n\n{TEXT} Nobody noticed.")
    page = make_client(reviewer).get(review_url(postmortem)).content.decode()
    assert f"The cache {_mark(Comment.objects.get(), 'refilled later')}. Nobody noticed." in page
    assert "Outdated" not in page


def test_a_comment_whose_quote_was_edited_away_is_outdated_with_its_quote(
    make_client, author, reviewer, postmortem
):
    postmortem = write(postmortem, author, summary=TEXT)
    comment_on(
        make_client(reviewer), postmortem, section="summary", quote="expired", body="Which TTL?"
    )
    write(postmortem, author, summary="The cache was evicted at noon.")
    page = make_client(reviewer).get(review_url(postmortem)).content.decode()
    assert "comment-anchor" not in page.split('id="section-summary"')[1].split("</section>")[0]
    assert 'data-anchored="outdated"' in page and "Outdated" in page
    assert "<q>expired</q>" in page and "Which TTL?" in page
    assert "on version 2" in page  # the revision it was made on


def test_a_highlight_across_formatting_keeps_the_html_well_formed(
    make_client, author, reviewer, postmortem
):
    postmortem = write(postmortem, author, summary="Use `<script>` **only** with care.")
    comment = comment_on(
        make_client(reviewer), postmortem, section="summary", quote="<script> only with"
    )
    assert comment.status_code == 302
    page = make_client(author).get(review_url(postmortem)).content.decode()
    mark = f'<mark class="comment-anchor" data-comments="{Comment.objects.get().pk}">'
    assert (
        f"Use <code>{mark}&lt;script&gt;</mark></code> <strong>{mark}only</mark>"
        f"</strong>{mark} with</mark> care." in page
    )


def test_a_quote_not_in_the_section_is_refused_and_the_comment_kept(
    make_client, author, reviewer, postmortem
):
    postmortem = write(postmortem, author, summary=TEXT)
    response = comment_on(
        make_client(reviewer),
        postmortem,
        section="summary",
        quote="the database fell over",
        body="My careful words",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "The quoted text is not in Summary as it reads now" in page
    assert "My careful words</textarea>" in page and 'value="the database fell over"' in page
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"section": "summary", "quote": "x" * 1001}, "Keep this under 1000 characters"),
        ({"section": "nonsense", "quote": "cache"}, "Select a valid choice"),
        ({"section": "", "quote": "cache"}, "Choose the section the quoted text is in."),
        ({"section": "summary", "suggestion": "new"}, "Quote the text the suggestion replaces."),
        ({"section": "summary", "body": "y" * 10_001}, "Keep this under 10000 characters"),
    ],
)
def test_bad_or_oversized_comment_input_gets_a_message_not_an_error(
    make_client, author, reviewer, postmortem, data, message
):
    postmortem = write(postmortem, author, summary=TEXT)
    response = comment_on(make_client(reviewer), postmortem, **data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Comment.objects.exists()


def test_oversized_context_around_the_quote_is_cut_short(make_client, author, reviewer, postmortem):
    postmortem = write(postmortem, author, summary=TEXT)
    response = comment_on(
        make_client(reviewer),
        postmortem,
        section="summary",
        quote="expired",
        quote_prefix="p" * 100_000,
        quote_suffix="s" * 100_000,
    )
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert (comment.quote_prefix, comment.quote_suffix) == ("p" * 64, "s" * 64)


def test_a_reply_threads_under_an_anchored_comment_and_it_can_be_resolved(
    make_client, author, reviewer, postmortem
):
    postmortem = write(postmortem, author, summary=TEXT)
    comment_on(make_client(reviewer), postmortem, section="summary", quote="expired")
    thread = Comment.objects.get()
    make_client(author).post(
        review_url(postmortem), {"action": "comment", "parent": thread.pk, "body": "A 60 s TTL."}
    )
    page = make_client(reviewer).get(review_url(postmortem)).content.decode()
    section = page.split('id="section-summary"')[1].split("</section>")[0]
    assert "A 60 s TTL." in section
    make_client(author).post(
        f"/postmortems/{postmortem.incident.reference}/comments/{thread.pk}/resolve/",
        {"resolved": "1"},
    )
    thread.refresh_from_db()
    assert thread.resolved_at is not None


def _anchored_comments(postmortem, reviewer, count):
    for number in range(count):
        review.add_comment(
            postmortem=postmortem,
            actor=reviewer,
            body=f"Comment {number}",
            section="summary",
            quote="cache",
            suggestion="store",
        )


def _queries(client, postmortem):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(review_url(postmortem)).status_code == 200
    return len(queries)


def test_the_review_page_costs_the_same_queries_with_few_or_many_comments(
    make_client, author, reviewer, postmortem
):
    postmortem = write(postmortem, author, summary=TEXT)
    client = make_client(author)
    _anchored_comments(postmortem, reviewer, 1)
    few = _queries(client, postmortem)
    _anchored_comments(postmortem, reviewer, 20)
    assert _queries(client, postmortem) == few


def test_the_review_page_shows_the_action_items_with_the_document(
    make_client, author, reviewer, postmortem
):
    ActionItemFactory(postmortem=postmortem, title="Alert on cache hit rate")
    page = make_client(reviewer).get(review_url(postmortem)).content.decode()
    assert page.index('id="section-lessons_learned"') < page.index("Alert on cache hit rate")
