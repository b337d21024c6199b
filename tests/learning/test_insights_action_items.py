from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionItem
from actions.selectors import action_dashboard
from incidents.models import IncidentLink
from tests.factories import ActionItemFactory, IncidentFactory, UserFactory
from tests.learning.insights_data import MONTHS, PERIOD, at, build_insights_data

# Dates here depend on "today": check them on both sides of midnight UTC and of the date line.
pytestmark = [pytest.mark.django_db, pytest.mark.day_boundaries]

INSIGHTS = reverse("insights:index")


def test_action_items_opened_and_completed_per_month(author_client):
    build_insights_data()
    figure = author_client.get(INSIGHTS, PERIOD).context["figures"]["action_items"]
    # Opened: i1, i2, i3 in February, i4, i5 in March. Completed: i1 in February, i2 in March.
    assert figure.rows == [
        [MONTHS[0], 0, 0, 0, 0],
        [MONTHS[1], 3, 1, 0, 0],
        [MONTHS[2], 2, 1, 0, 0],
        [MONTHS[3], 0, 0, 0, 0],
    ]


def test_verified_counts_beside_done_by_the_month_of_completion(author_client):
    build_insights_data()
    # i1 (done in February) is verified in March; i2 (done in March) is not; an open item
    # cannot be verified. Verified counts sit in the month the item was done.
    ActionItem.objects.filter(title="i1").update(
        verified_by=UserFactory(), verified_on=date(2025, 3, 2)
    )
    figure = author_client.get(INSIGHTS, PERIOD).context["figures"]["action_items"]
    assert figure.rows == [
        [MONTHS[0], 0, 0, 0, 0],
        [MONTHS[1], 3, 1, 1, 0],
        [MONTHS[2], 2, 1, 0, 0],
        [MONTHS[3], 0, 0, 0, 0],
    ]


def test_recurred_counts_items_done_before_their_incident_recurred(author_client):
    data = build_insights_data()
    # A recurs on 1 March: i1 (A's, done 10 February) was done before and counts as recurred;
    # i2 (A's, done 5 March) was done after the recurrence began, so it does not. A link of
    # another kind, or to another incident, counts for nothing.
    recurrence = IncidentFactory(started_at=at(3, 1, 8))
    IncidentLink.objects.create(
        kind="recurrence",
        from_incident=recurrence,
        to_incident=data["incidents"]["A"],
        created_by=UserFactory(),
    )
    IncidentLink.objects.create(
        kind="related",
        from_incident=IncidentFactory(started_at=at(3, 2, 8)),
        to_incident=data["incidents"]["A"],
        created_by=UserFactory(),
    )
    figure = author_client.get(INSIGHTS, PERIOD).context["figures"]["action_items"]
    assert figure.rows == [
        [MONTHS[0], 0, 0, 0, 0],
        [MONTHS[1], 3, 1, 0, 1],
        [MONTHS[2], 2, 1, 0, 0],
        [MONTHS[3], 0, 0, 0, 0],
    ]


def test_overdue_count_at_each_month_end(author_client):
    build_insights_data()
    figure = author_client.get(INSIGHTS, PERIOD).context["figures"]["overdue"]
    # 28 Feb: i2 (due 20 Feb, done 5 Mar). 31 Mar: i3 (due 1 Mar, open) and i5 (due 25 Mar,
    # won't do only on 10 Apr). 30 Apr: i3; i4 is due that very day, so not overdue yet.
    assert figure.rows == [[MONTHS[0], 0], [MONTHS[1], 1], [MONTHS[2], 2], [MONTHS[3], 1]]
    assert len(figure.chart.lines[0].points.split()) == 4


def test_this_months_overdue_count_agrees_with_the_dashboard(author_client):
    today = timezone.localdate()
    ActionItemFactory(due_date=date(2000, 1, 1))
    ActionItemFactory(due_date=today)  # due today: not overdue yet
    ActionItemFactory(due_date=date(2000, 1, 1), status="done")
    figure = author_client.get(INSIGHTS).context["figures"]["overdue"]
    dashboard = action_dashboard(user=UserFactory(is_staff=True), filters={}, today=today)
    assert figure.rows[-1][1] == dashboard["counts"]["overdue"] == 1


def test_a_later_period_counts_what_was_overdue_when_it_began_and_nothing_closed_before(
    author_client,
):
    data = build_insights_data()
    postmortem = data["incidents"]["A"].postmortem
    # Overdue from 6 January to 20 February (done), and won't do from 27 February: both
    # closed before March, so a period from March counts neither.
    ActionItem.objects.filter(
        pk=ActionItemFactory(
            postmortem=postmortem, due_date=date(2025, 1, 5), status="done", completed_at=at(2, 20)
        ).pk
    ).update(created_at=at(1, 2), updated_at=at(2, 20))
    ActionItem.objects.filter(
        pk=ActionItemFactory(postmortem=postmortem, due_date=date(2025, 1, 5), status="wont_do").pk
    ).update(created_at=at(1, 2), updated_at=at(2, 27))
    later = {"date_from": "2025-03-01", "date_to": "2025-04-30"}
    figures = author_client.get(INSIGHTS, later).context["figures"]
    # i2 (overdue since 21 February) is done on 5 March; i3 and i5 are overdue at the end of
    # March, i3 still at the end of April.
    assert figures["overdue"].rows == [[MONTHS[2], 2], [MONTHS[3], 1]]
    assert figures["action_items"].rows == [[MONTHS[2], 2, 1, 0, 0], [MONTHS[3], 0, 0, 0, 0]]
