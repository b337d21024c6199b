"""The insights' figures are kept between requests (core/snapshots.py) and computed afresh
after every kind of write they depend on. The numbers are the hand-worked data set's
(tests/learning/insights_data.py), before and after each write."""

from datetime import date

import pytest
from django.urls import reverse

from actions.models import ActionItem
from incidents.models import Incident, Service
from postmortems.models import Postmortem
from tests.factories import ActionItemFactory
from tests.learning.insights_data import MONTHS, PERIOD, at, build_insights_data

pytestmark = pytest.mark.django_db

INSIGHTS = reverse("insights:index")


def _figures(client, params=PERIOD):
    """The figures of a page that had to compute them: a kept page has none in its context."""
    response = client.get(INSIGHTS, params)
    assert "figures" in response.context, "the figures were kept, not computed afresh"
    return response.context["figures"]


def test_the_figures_are_kept_while_nothing_changes(author_client, django_assert_num_queries):
    build_insights_data()
    first = author_client.get(INSIGHTS, PERIOD)
    assert "figures" in first.context
    # session, user, the data version, the teams, services and tags of the filter form, the bell
    with django_assert_num_queries(7):
        again = author_client.get(INSIGHTS, PERIOD)
    assert "figures" not in again.context
    assert again.context["incident_count"] == first.context["incident_count"] == 7
    figures = '<div class="row g-4">'
    assert figures in first.content.decode()
    assert _from(figures, again) == _from(figures, first)
    assert "Figures as of 23:30" in again.content.decode()


def _from(marker: str, response) -> str:
    content = response.content.decode()
    return content[content.index(marker) :]


def _rename_checkout(data):
    Service.objects.filter(slug="checkout").update(name="Shop")


def _make_f_sev2(data):
    incident = data["incidents"]["F"]
    incident.severity = "SEV2"
    incident.save()


def _add_search_to_e(data):
    data["incidents"]["E"].services.add(data["search"])


def _remove_checkout_from_d(data):
    data["incidents"]["D"].services.remove(data["checkout"])


def _delete_f(data):
    data["incidents"]["F"].delete()


SERVICE_WRITES = {
    # Checkout: A, B, B2, D (SEV1). Search: C (SEV2), D (SEV1). Payments: F (SEV1).
    "service renamed": (
        _rename_checkout,
        [["Shop", 4, 0, 0, 0, 4], ["Search", 1, 1, 0, 0, 2], ["Payments", 1, 0, 0, 0, 1]],
    ),
    "severity changed": (
        _make_f_sev2,
        [["Checkout", 4, 0, 0, 0, 4], ["Search", 1, 1, 0, 0, 2], ["Payments", 0, 1, 0, 0, 1]],
    ),
    "service added": (
        _add_search_to_e,
        [["Checkout", 4, 0, 0, 0, 4], ["Search", 1, 1, 1, 0, 3], ["Payments", 1, 0, 0, 0, 1]],
    ),
    "service removed": (
        _remove_checkout_from_d,
        [["Checkout", 3, 0, 0, 0, 3], ["Search", 1, 1, 0, 0, 2], ["Payments", 1, 0, 0, 0, 1]],
    ),
    "incident deleted": (
        _delete_f,
        [["Checkout", 4, 0, 0, 0, 4], ["Search", 1, 1, 0, 0, 2]],
    ),
}


@pytest.mark.parametrize("write", SERVICE_WRITES.values(), ids=SERVICE_WRITES.keys())
def test_incident_and_service_writes_are_shown_at_once(write, author_client):
    change, expected = write
    data = build_insights_data()
    _figures(author_client)
    change(data)
    assert _figures(author_client)["services"].rows == expected


def test_a_new_tag_on_an_incident_is_counted_at_once(author_client):
    data = build_insights_data()
    by_tag = {**PERIOD, "tag": "deploy"}
    assert author_client.get(INSIGHTS, by_tag).context["incident_count"] == 2  # A and D
    data["incidents"]["B"].tags.add(data["deploy"])
    _figures(author_client, by_tag)
    assert author_client.get(INSIGHTS, by_tag).context["incident_count"] == 3


def test_a_new_incident_is_counted_at_once(author_client):
    build_insights_data()
    _figures(author_client)
    Incident.objects.filter(title="H").update(started_at=at(4, 2, 10))  # into the period
    figure = _figures(author_client)["incidents"]
    # April had no incident (F started on 31 March, UTC); now it has H, a SEV2.
    assert figure.rows[3] == [MONTHS[3], 0, 1, 0, 0, 1]


def test_a_postmortem_published_is_counted_at_once(author_client):
    data = build_insights_data()
    _figures(author_client)
    # A queryset update, no save(): the database itself notices the write.
    Postmortem.objects.filter(incident=data["incidents"]["B2"]).update(
        status="published", published_at=at(2, 20, 13)
    )
    rows = _figures(author_client)["postmortem_cycle"].rows
    assert [row[:2] for row in rows] == [[MONTHS[1], 3], [MONTHS[2], 1]]


def test_action_item_writes_are_counted_at_once(author_client):
    data = build_insights_data()
    assert _figures(author_client)["action_items"].rows[2] == [MONTHS[2], 2, 1, 0, 0]
    # i3 done in March: completed there, and no longer overdue at the end of March.
    ActionItem.objects.filter(title="i3").update(status="done", completed_at=at(3, 1, 9))
    figures = _figures(author_client)
    assert figures["action_items"].rows[2] == [MONTHS[2], 2, 2, 0, 0]
    assert figures["overdue"].rows == [
        [MONTHS[0], 0],
        [MONTHS[1], 1],
        [MONTHS[2], 1],
        [MONTHS[3], 0],
    ]
    # i3 verified: a new column of the watched table, counted at once too.
    ActionItem.objects.filter(title="i3").update(
        verified_by=data["incidents"]["D"].postmortem.author, verified_on=date(2025, 3, 2)
    )
    assert _figures(author_client)["action_items"].rows[2] == [MONTHS[2], 2, 2, 1, 0]
    # A new item on D's postmortem, created in April.
    item = ActionItemFactory(
        postmortem=data["incidents"]["D"].postmortem, due_date=date(2025, 5, 1)
    )
    ActionItem.objects.filter(pk=item.pk).update(created_at=at(4, 2, 9))
    assert _figures(author_client)["action_items"].rows[3] == [MONTHS[3], 1, 0, 0, 0]
    ActionItem.objects.filter(pk=item.pk).delete()
    assert _figures(author_client)["action_items"].rows[3] == [MONTHS[3], 0, 0, 0, 0]
