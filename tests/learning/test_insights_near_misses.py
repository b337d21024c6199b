"""Near misses are counted and charted apart and left out of the impact figures; recurrences
despite completed actions are counted in the period. Every number is worked out by hand.

Period: January to April 2025 (UTC). Incidents (start; minutes to detect / mitigate / resolve):
  I1 SEV1 2025-01-10 10:00  10 / 30 / 120    checkout
  N1 SEV4 2025-01-12 10:00  15 / 30 / 60     checkout   near miss
  I2 SEV1 2025-03-03 10:00  40 / 90 / 360    checkout
  N2 SEV1 2025-03-10 10:00  100 / 200 / 300  checkout   near miss
Were near misses counted, January would show a SEV4 incident and March's SEV1 median time to
detect would be 70 minutes, and Checkout would have four incidents.
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from incidents import services
from incidents.models import LinkKind
from tests.factories import ActionItemFactory, IncidentFactory, PostmortemFactory, ServiceFactory
from tests.learning.insights_data import MONTHS, PERIOD, at

pytestmark = pytest.mark.django_db

INSIGHTS = reverse("insights:index")
JAN, FEB, MAR, APR = MONTHS


def _incident(severity, started_at, detect, mitigate, resolve, *, near_miss=False, **extra):
    minutes = timedelta(minutes=1)
    return IncidentFactory(
        severity=severity,
        started_at=started_at,
        detected_at=started_at + detect * minutes,
        mitigated_at=started_at + mitigate * minutes,
        resolved_at=started_at + resolve * minutes,
        near_miss=near_miss,
        **extra,
    )


@pytest.fixture
def context(author_client):
    checkout = ServiceFactory(name="Checkout", slug="checkout")
    _incident("SEV1", at(1, 10, 10), 10, 30, 120, services=[checkout])
    _incident("SEV4", at(1, 12, 10), 15, 30, 60, near_miss=True, services=[checkout])
    _incident("SEV1", at(3, 3, 10), 40, 90, 360, services=[checkout])
    _incident("SEV1", at(3, 10, 10), 100, 200, 300, near_miss=True, services=[checkout])
    return author_client.get(INSIGHTS, PERIOD).context


def test_near_misses_have_their_own_count_and_chart(context):
    assert context["near_miss_count"] == 2
    assert context["figures"]["near_misses"].rows == [[JAN, 1], [FEB, 0], [MAR, 1], [APR, 0]]


def test_incident_counts_leave_near_misses_out(context):
    assert context["incident_count"] == 2
    assert context["figures"]["incidents"].rows == [
        [JAN, 1, 0, 0, 0, 1],
        [FEB, 0, 0, 0, 0, 0],
        [MAR, 1, 0, 0, 0, 1],
        [APR, 0, 0, 0, 0, 0],
    ]


def test_durations_leave_near_misses_out(context):
    minutes = timedelta(minutes=1)
    figures = context["figures"]
    assert figures["time_to_detect"].rows == [
        [JAN, "SEV1", 1, 10 * minutes, 10 * minutes],
        [MAR, "SEV1", 1, 40 * minutes, 40 * minutes],
    ]
    assert figures["time_to_resolve"].rows == [
        [JAN, "SEV1", 1, 120 * minutes, 120 * minutes],
        [MAR, "SEV1", 1, 360 * minutes, 360 * minutes],
    ]


def test_services_leave_near_misses_out(context):
    assert context["figures"]["services"].rows == [["Checkout", 2, 0, 0, 0, 2]]


def test_a_period_of_only_near_misses_still_shows_them(author_client):
    _incident("SEV4", at(2, 1, 10), 1, 2, 3, near_miss=True)
    response = author_client.get(INSIGHTS, PERIOD)
    assert response.context["incident_count"] == 0
    assert "1 near miss (no customer impact)" in response.content.decode()


def _recurs(author, earlier, started_at):
    later = IncidentFactory(started_at=started_at)
    services.incident_link_create(
        from_incident=later, to_incident=earlier, kind=LinkKind.RECURRENCE, actor=author
    )
    return later


def test_recurrences_despite_completed_actions_are_counted_in_the_period(author, author_client):
    """P (Nov 2024) had its one item done 1 Dec 2024; Q (Jan 2025) had its item done 5 Mar.
    R1 (5 Feb) recurs P: counted. R2 (3 Mar) recurs Q before its item was done: not counted.
    R3 (10 Mar) recurs P and Q: counted once. R4 (10 May) recurs P after the period."""
    p = IncidentFactory(started_at=at(11, 1, 10, year=2024))
    q = IncidentFactory(started_at=at(1, 5, 10))
    for incident, done in ((p, at(12, 1, year=2024)), (q, at(3, 5, 9))):
        ActionItemFactory(
            postmortem=PostmortemFactory(incident=incident, status="published"),
            status="done",
            completed_at=done,
        )
    _recurs(author, p, at(2, 5, 10))
    _recurs(author, q, at(3, 3, 10))
    r3 = _recurs(author, p, at(3, 10, 10))
    services.incident_link_create(
        from_incident=r3, to_incident=q, kind=LinkKind.RECURRENCE, actor=author
    )
    _recurs(author, p, at(5, 10, 10))

    response = author_client.get(INSIGHTS, PERIOD)
    assert response.context["recurrences_despite_completed_actions"] == 2
    assert "2 incidents recurred despite completed actions." in response.content.decode()
