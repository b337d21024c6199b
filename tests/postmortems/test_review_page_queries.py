"""The review page runs the same queries however many comments, replies, reviewers and action
items the postmortem has."""

import pytest

from core.models import Role
from postmortems import review
from postmortems.models import PostmortemStatus as S
from postmortems.models import ReviewRequest
from tests.factories import ActionItemFactory, UserFactory
from tests.postmortems.conftest import in_state
from tests.postmortems.review_page import review_url

pytestmark = pytest.mark.django_db


def _grow(postmortem, people, count):
    for n in range(count):
        thread = review.add_comment(
            postmortem=postmortem,
            actor=people["reviewer"],
            body=f"Why {n}?",
            section="summary",
            quote="Written",
        )
        review.add_comment(
            postmortem=postmortem, actor=people["author"], body=f"Because {n}.", parent=thread
        )
        if n % 3 == 0:
            review.set_comment_resolved(comment=thread, actor=people["author"], resolved=True)
        ActionItemFactory(postmortem=postmortem, owner=None if n % 2 else people["author"])


@pytest.mark.parametrize("who", ["reviewer", "author"])
def test_the_review_page_runs_the_same_queries_for_few_and_many(
    ready, people, make_client, who, django_assert_max_num_queries
):
    postmortem = in_state(ready, S.IN_REVIEW, people)
    client = make_client(people[who])
    _grow(postmortem, people, 1)
    # At most: session, user, postmortem, co-authors, comments (threads and replies at once),
    # timeline, items, changes since the reader's review, reviewers' panel, roles, the bell,
    # factors, activity; for a reviewer, the approval gate's items and changes this round; for
    # a writer, the people to own a new item.
    with django_assert_max_num_queries(16) as few:
        page = client.get(review_url(postmortem)).content.decode()
    assert page.count('class="border-start ps-2 ms-2 mt-2 reply"') == 1
    more = [UserFactory(username=f"late-reviewer{n}", roles=[Role.REVIEWER]) for n in range(3)]
    ReviewRequest.objects.bulk_create(
        ReviewRequest(postmortem=postmortem, reviewer=person, requested_by=people["author"])
        for person in more
    )
    _grow(postmortem, people, 12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(review_url(postmortem)).content.decode()
    assert page.count('class="border-start ps-2 ms-2 mt-2 reply"') == 13
    assert page.count("data-reviewer-state=") == 4
    assert page.count(">Reopen</button>") == 5  # resolved threads
