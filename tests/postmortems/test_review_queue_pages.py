"""The review queue is a reviewer's home: each of its lists shows 25 at a time, newest change
first, with links to older and newer ones, at the same cost however long the lists are."""

import pytest
from django.urls import reverse

from postmortems.models import PostmortemStatus, ReviewRequest
from tests.factories import PostmortemFactory, TeamFactory, UserFactory

QUEUE = reverse("postmortems:queue")


def _waiting_for(reviewer, author, count):
    postmortems = PostmortemFactory.create_batch(
        count, status=PostmortemStatus.IN_REVIEW, author=author
    )
    ReviewRequest.objects.bulk_create(
        ReviewRequest(postmortem=p, reviewer=reviewer, requested_by=author) for p in postmortems
    )
    return postmortems


@pytest.mark.django_db
def test_a_long_queue_shows_25_and_leads_to_the_older_ones(make_client, reviewer, author):
    _waiting_for(reviewer, author, 30)
    client = make_client(reviewer)
    first = client.get(QUEUE)
    assert len(first.context["to_review"].postmortems) == 25
    page = first.content.decode()
    assert 'href="?to_review_page=2">Older</a>' in page
    assert ">Newer</a>" not in page

    second = client.get(QUEUE, {"to_review_page": 2})
    shown = second.context["to_review"].postmortems
    assert len(shown) == 5
    assert not set(shown) & set(first.context["to_review"].postmortems)
    assert 'href="?to_review_page=1">Newer</a>' in second.content.decode()
    assert ">Older</a>" not in second.content.decode()


@pytest.mark.django_db
def test_a_bad_page_number_shows_the_first_page_and_other_filters_stay(
    make_client, reviewer, author
):
    _waiting_for(reviewer, author, 26)
    team = TeamFactory(name="Payments")
    client = make_client(reviewer)
    for bad in ("abc", "-3", "0"):
        response = client.get(QUEUE, {"to_review_page": bad})
        assert response.status_code == 200
        assert response.context["to_review"].number == 1
    # The team filter is kept when moving between pages (no postmortem is the team's).
    response = client.get(QUEUE, {"team": team.slug})
    assert list(response.context["to_review"]) == []
    response = client.get(QUEUE, {"to_review_page": 99999999})
    assert list(response.context["to_review"]) == []


@pytest.mark.django_db
def test_paging_keeps_the_team_filter(make_client, reviewer, author):
    _waiting_for(reviewer, author, 26)
    response = make_client(reviewer).get(QUEUE, {"to_review_page": 1, "team": ""})
    assert 'href="?to_review_page=2&amp;team=">Older</a>' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, 60])
def test_the_queue_costs_the_same_queries_however_long(
    count, make_client, reviewer, author, django_assert_max_num_queries
):
    _waiting_for(reviewer, author, count)
    client = make_client(reviewer)
    # Session, user, roles, the menu's counts, the team choices, the four lists.
    with django_assert_max_num_queries(9):
        response = client.get(QUEUE)
    assert len(response.context["to_review"].postmortems) == min(count, 25)


@pytest.mark.django_db
def test_a_writer_with_co_authors_finds_each_of_their_postmortems_once(make_client, author):
    co_author, other = UserFactory(), UserFactory()
    sent_back = PostmortemFactory(status=PostmortemStatus.CHANGES_REQUESTED, author=author)
    sent_back.co_authors.add(co_author, other)
    approved = PostmortemFactory(status=PostmortemStatus.APPROVED, author=co_author)
    approved.co_authors.add(other, UserFactory())  # written by them, with two others
    PostmortemFactory(status=PostmortemStatus.CHANGES_REQUESTED, author=author)  # not theirs

    lists = make_client(co_author).get(QUEUE).context
    assert list(lists["changes_requested"].postmortems) == [sent_back]
    assert list(lists["ready_to_publish"].postmortems) == [approved]
