"""The navigation shows, on every page, the counts of work that needs the signed-in person:
reviews waiting for them and their overdue action items (beside the bell's unread count), in
one query at any data size."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.context_processors import counts_for
from core.models import Role
from postmortems.models import ReviewRequest
from tests.factories import ActionItemFactory, PostmortemFactory, UserFactory

# Overdue depends on "today": check both sides of midnight UTC and of the date line.
pytestmark = [pytest.mark.django_db, pytest.mark.day_boundaries]


def _ask(reviewer, count, **fields):
    for _ in range(count):
        postmortem = PostmortemFactory(status="in_review")
        ReviewRequest.objects.create(
            postmortem=postmortem, reviewer=reviewer, requested_by=postmortem.author, **fields
        )


def _items(owner, count, days_from_today, **fields):
    due = timezone.localdate() + timedelta(days=days_from_today)
    ActionItemFactory.create_batch(count, owner=owner, due_date=due, **fields)


def _data(reviewer, size):
    _ask(reviewer, size)
    _ask(reviewer, size, approved_at=timezone.now())  # approved by them: not waiting
    _ask(UserFactory(), size)  # someone else's
    _items(reviewer, size, -3)
    _items(reviewer, size, 0)  # due today: not overdue yet
    _items(reviewer, size, -3, status="done")
    _items(UserFactory(), size, -3)


def test_counts_are_reviews_waiting_and_own_overdue_items(pinned_now):
    reviewer = UserFactory(roles=[Role.REVIEWER])
    _data(reviewer, 2)
    assert counts_for(reviewer) == {
        "reviews_waiting": 2,
        "overdue_items": 2,
        "unread_notifications": 0,
    }


def test_an_approval_voided_by_a_change_waits_again(pinned_now):
    reviewer = UserFactory(roles=[Role.REVIEWER])
    _ask(reviewer, 1, approved_at=timezone.now(), voided_at=timezone.now())
    assert counts_for(reviewer)["reviews_waiting"] == 1


def test_the_menu_bar_shows_the_counts_with_words_for_screen_readers(client, pinned_now):
    reviewer = UserFactory(roles=[Role.REVIEWER])
    _data(reviewer, 3)
    client.force_login(reviewer)
    page = client.get(reverse("incidents:list")).content.decode()
    assert '<span class="badge rounded-pill text-bg-primary nav-count nav-reviews-waiting"' in page
    assert ", 3 reviews waiting for you" in page
    assert ", 3 of yours overdue" in page
    assert 'class="nav-toggler-dot"' in page  # on the folded menu's button, for phones


def test_no_counts_shown_when_nothing_waits(author_client, pinned_now):
    page = author_client.get(reverse("incidents:list")).content.decode()
    assert "nav-count" not in page and "nav-toggler-dot" not in page
    assert "waiting for you" not in page


@pytest.mark.parametrize("size", [1, 12])
def test_the_counts_cost_one_query_at_any_size(
    client, django_assert_max_num_queries, size, pinned_now
):
    reviewer = UserFactory(roles=[Role.REVIEWER])
    _data(reviewer, size)
    # One: every count a subquery of a single statement, the roles asked there too.
    with django_assert_max_num_queries(1):
        counts = counts_for(reviewer)
    assert counts == {"reviews_waiting": size, "overdue_items": size, "unread_notifications": 0}


@pytest.mark.parametrize(("roles", "counted"), [([Role.REVIEWER], 0), ([Role.SECURITY], 1)])
def test_a_review_of_a_restricted_incident_counts_only_for_those_who_may_see_it(
    roles, counted, pinned_now
):
    reviewer = UserFactory(roles=roles)
    postmortem = PostmortemFactory(status="in_review", incident__restricted=True)
    ReviewRequest.objects.create(
        postmortem=postmortem, reviewer=reviewer, requested_by=postmortem.author
    )
    assert counts_for(reviewer)["reviews_waiting"] == counted
