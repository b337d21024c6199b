import pytest
from django.urls import reverse

from postmortems import review
from postmortems.models import Comment
from tests.factories import PostmortemFactory

pytestmark = pytest.mark.django_db


def _review_url(postmortem):
    return reverse("postmortems:review", args=[postmortem.incident.reference])


def test_a_comment_can_be_anchored_to_a_section_and_is_sanitised(make_client, reviewer, postmortem):
    response = make_client(reviewer).post(
        _review_url(postmortem),
        {
            "action": "comment",
            "section": "impact",
            "body": "**How many** users? <script>x()</script>",
        },
    )
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert comment.section == "impact" and comment.author == reviewer
    assert "<strong>How many</strong>" in comment.body_html and "<script" not in comment.body_html
    page = make_client(reviewer).get(_review_url(postmortem)).content.decode()
    assert "Comments (1 open)" in page
    # The review page shows the document: the comment sits under its section, linked to it.
    assert 'href="#section-impact">Impact<' in page
    assert (
        page.index('id="section-impact"')
        < page.index("How many")
        < page.index('id="section-timeline_narrative"')
    )


def test_replies_thread_under_their_comment_one_level_deep(
    make_client, author, reviewer, postmortem
):
    top = review.add_comment(postmortem=postmortem, actor=reviewer, body="Question")
    reply = review.add_comment(postmortem=postmortem, actor=author, body="Answer", parent=top)
    nested = review.add_comment(postmortem=postmortem, actor=reviewer, body="Thanks", parent=reply)
    assert reply.parent == top and nested.parent == top
    page = make_client(author).get(_review_url(postmortem)).content.decode()
    assert page.index("Question") < page.index("Answer") < page.index("Thanks")
    assert "Comments (1 open)" in page  # replies are not threads of their own


def test_an_empty_reply_is_refused_with_a_message(make_client, author, reviewer, postmortem):
    top = review.add_comment(postmortem=postmortem, actor=reviewer, body="Question")
    response = make_client(author).post(
        _review_url(postmortem), {"action": "comment", "parent": top.pk, "body": ""}
    )
    assert "The reply was not posted: This field is required." in response.content.decode()
    assert postmortem.comments.count() == 1


def test_resolving_and_reopening_a_thread(make_client, author, reviewer, postmortem):
    thread = review.add_comment(postmortem=postmortem, actor=reviewer, body="Question")
    url = reverse("postmortems:comment-resolve", args=[postmortem.incident.reference, thread.pk])
    client = make_client(author)
    assert client.post(url, {"resolved": "1"}).status_code == 302
    thread.refresh_from_db()
    assert thread.resolved_at and thread.resolved_by == author
    assert "Comments (0 open)" in client.get(_review_url(postmortem)).content.decode()
    client.post(url, {"resolved": "0"})
    thread.refresh_from_db()
    assert thread.resolved_at is None


def test_someone_unrelated_cannot_resolve_a_thread(make_client, outsider, reviewer, postmortem):
    thread = review.add_comment(postmortem=postmortem, actor=reviewer, body="Question")
    url = reverse("postmortems:comment-resolve", args=[postmortem.incident.reference, thread.pk])
    assert make_client(outsider).post(url, {"resolved": "1"}).status_code == 403
    thread.refresh_from_db()
    assert thread.resolved_at is None


def test_the_document_links_to_the_review_with_the_open_comment_count(
    make_client, reviewer, postmortem
):
    review.add_comment(postmortem=postmortem, actor=reviewer, body="One")
    review.add_comment(postmortem=postmortem, actor=reviewer, body="Two")
    page = make_client(reviewer).get(postmortem.get_absolute_url()).content.decode()
    assert 'title="open comments">2</span>' in page


def _other_postmortems_comment(reviewer):
    return review.add_comment(postmortem=PostmortemFactory(), actor=reviewer, body="Elsewhere")


@pytest.mark.parametrize(
    "parent",
    ["another postmortem's comment", "a deleted comment", "not a number", "out of range"],
)
def test_a_reply_to_a_comment_not_on_this_postmortem_keeps_the_typed_text(
    parent, make_client, author, reviewer, postmortem
):
    top = review.add_comment(postmortem=postmortem, actor=reviewer, body="Question")
    deleted = review.add_comment(postmortem=postmortem, actor=reviewer, body="Gone soon")
    deleted_pk = deleted.pk
    deleted.delete()
    parent_value = {
        "another postmortem's comment": _other_postmortems_comment(reviewer).pk,
        "a deleted comment": deleted_pk,
        "not a number": "12abc",
        "out of range": "99999999999999999999999",
    }[parent]
    response = make_client(author).post(
        _review_url(postmortem),
        {"action": "comment", "parent": parent_value, "body": "My carefully typed answer"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The comment you replied to is not on this postmortem." in page
    assert "My carefully typed answer</textarea>" in page
    assert list(postmortem.comments.all()) == [top]
    # Posting the kept text again makes it a new comment.
    assert 'name="parent"' not in page.split('id="comments"')[1].split("New comment")[1]
