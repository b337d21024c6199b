"""On resubmission the reviewer sees what changed since the revision they last reviewed."""

import pytest

from postmortems import review
from postmortems.models import Revision
from tests.postmortems.review_page import review_url, write

pytestmark = pytest.mark.django_db


def _in_review(postmortem, author, reviewer):
    postmortem = write(
        postmortem,
        author,
        summary="The cache expired.",
        impact="Some <b>orders</b> failed.",
        what_happened="A config value was misread.",
    )
    return review.request_review(postmortem=postmortem, actor=author, reviewers=[reviewer])


def test_after_a_resubmission_the_reviewer_sees_the_diff_since_their_last_review(
    make_client, author, reviewer, postmortem
):
    postmortem = _in_review(postmortem, author, reviewer)
    reviewed = postmortem.version
    review.request_changes(postmortem=postmortem, actor=reviewer, comment="Quantify it.")
    postmortem = write(postmortem, author, impact="About 1,200 <i>orders</i> failed.")
    review.request_review(postmortem=postmortem, actor=author, reviewers=[reviewer])
    page = make_client(reviewer).get(review_url(postmortem)).content.decode()
    panel = page.split('id="changes-since-review"')[1].split("</section>")[0]
    assert "Changes since your last review" in page
    assert f"From version {reviewed}, which you last reviewed, to version {reviewed + 1}." in panel
    assert "1 section changed" in panel and "Impact" in panel and "Summary" not in panel
    # Escaped, word by word.
    assert "<del>Some </del><ins>About 1,200 </ins>&lt;<del>b</del><ins>i</ins>&gt;orders" in panel
    assert "<i>orders" not in panel


def test_a_comment_counts_as_a_review_of_the_version_it_was_made_on(
    make_client, author, reviewer, postmortem
):
    postmortem = _in_review(postmortem, author, reviewer)
    review.add_comment(postmortem=postmortem, actor=reviewer, body="Looks fine so far.")
    page = make_client(reviewer).get(review_url(postmortem)).content.decode()
    assert f"No changes since you last reviewed it (version {postmortem.version})." in page


def test_whoever_never_reviewed_it_sees_no_such_panel(make_client, author, reviewer, postmortem):
    postmortem = _in_review(postmortem, author, reviewer)
    for user in (author, reviewer):
        assert "Changes since your last review" not in (
            make_client(user).get(review_url(postmortem)).content.decode()
        )


def test_a_reviewed_revision_missing_from_the_history_is_said_plainly(
    make_client, author, reviewer, postmortem
):
    postmortem = _in_review(postmortem, author, reviewer)
    review.request_changes(postmortem=postmortem, actor=reviewer, comment="Quantify it.")
    old = postmortem.version
    write(postmortem, author, impact="All orders failed.")
    Revision.objects.filter(postmortem=postmortem, number=old).delete()
    response = make_client(reviewer).get(review_url(postmortem))
    assert response.status_code == 200
    assert f"You last reviewed version {old}, which is no longer in the history" in (
        response.content.decode()
    )
