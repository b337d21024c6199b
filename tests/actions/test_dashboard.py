"""The managers' dashboard against a known data set: every count, and the list each count
links to, which must hold exactly that many items."""

import html
import re
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionItem
from actions.services import action_item_set_status
from incidents.models import Incident, Severity
from postmortems.models import Postmortem
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    PostmortemFactory,
    ServiceFactory,
    UserFactory,
)

# Dates here depend on "today": check them on both sides of midnight UTC and of the date line.
pytestmark = [pytest.mark.django_db, pytest.mark.day_boundaries]
DASHBOARD = reverse("actions:dashboard")


@pytest.fixture
def data_set():
    """Fourteen items. Relative to today (UTC here):

    overdue 0–7:  A1 (-3, ann, SEV1), A4 (-1, no owner, SEV2), A12 (-7, ann, SEV3)
    overdue 8–30: A2 (-10, ann, SEV3, in progress), A13 (-8, bob, SEV2), A14 (-30, ann, SEV1)
    overdue 31+:  A3 (-45, bob, SEV1), A15 (-31, bob, SEV1)
    due soon:     A5 (today, bob), A6 (+14, ann);  later: A7 (+15, bob)
    closed:       A8 done on time, A9 done late, A10 won't do, A11 done 95 days ago
    SEV1 is on Checkout, SEV3 on Search and Checkout, SEV2 on no service.
    """
    today = timezone.localdate()
    checkout, search = ServiceFactory(name="Checkout"), ServiceFactory(name="Search")
    sev1 = PostmortemFactory(
        status="published", incident=IncidentFactory(severity=Severity.SEV1, services=[checkout])
    )
    sev3 = PostmortemFactory(
        status="published",
        incident=IncidentFactory(severity=Severity.SEV3, services=[search, checkout]),
    )
    sev2 = PostmortemFactory(status="published", incident=IncidentFactory(severity=Severity.SEV2))
    ann = UserFactory(username="ann", first_name="Ann", last_name="Able")
    bob = UserFactory(username="bob", first_name="Bob", last_name="Baker")

    def item(name, postmortem, owner, days, status="open", priority="P2", completed=None):
        return ActionItemFactory(
            title=name,
            postmortem=postmortem,
            owner=owner,
            due_date=today + timedelta(days=days),
            status=status,
            priority=priority,
            completed_at=(
                timezone.make_aware(datetime.combine(today + timedelta(days=completed), time(12)))
                if completed is not None
                else None
            ),
        )

    item("A1", sev1, ann, -3, priority="P1")
    item("A2", sev3, ann, -10, status="in_progress")
    item("A3", sev1, bob, -45, priority="P3")
    item("A4", sev2, None, -1)
    item("A5", sev1, bob, 0)
    item("A6", sev2, ann, 14)
    item("A7", sev3, bob, 15)
    item("A8", sev1, ann, -20, status="done", completed=-21)
    item("A9", sev1, bob, -5, status="done", completed=-2)
    item("A10", sev3, bob, -6, status="wont_do")
    item("A11", sev1, ann, -100, status="done", completed=-95)
    item("A12", sev3, ann, -7)
    item("A13", sev2, bob, -8)
    item("A14", sev1, ann, -30)
    item("A15", sev1, bob, -31)
    return {"ann": ann, "bob": bob, "checkout": checkout, "search": search}


def test_the_dashboard_counts_the_known_data_set(manager, make_client, data_set):
    context = make_client(manager).get(DASHBOARD).context
    counts = context["counts"]
    assert counts["overdue"] == 8
    assert [(label, count) for _key, label, count in context["ageing"]] == [
        ("0–7 days", 3),
        ("8–30 days", 3),
        ("31+ days", 2),
    ]
    assert counts["next_14"] == 2
    assert counts["to_do"] == 11
    assert counts["unowned"] == 1
    assert [(row["name"], row["count"]) for row in context["by_owner"]] == [
        ("Ann Able", 4),
        ("Bob Baker", 3),
        ("No owner", 1),
    ]
    assert [(row["name"], row["count"]) for row in context["by_service"]] == [
        ("Checkout", 6),
        ("Search", 2),
        ("No service", 2),
    ]
    assert [(row["key"], row["count"]) for row in context["by_severity"]] == [
        ("SEV1", 4),
        ("SEV2", 2),
        ("SEV3", 2),
        ("SEV4", 0),
    ]
    # Due in the last 90 days and not declined: the 8 overdue plus A8 and A9, of which 2 done.
    assert (counts["done_of_due"], counts["due_in_window"], context["completion_rate"]) == (
        2,
        10,
        20,
    )
    # Done in the last 90 days: A8 (a day early) and A9 (three days late).
    assert (counts["on_time"], counts["completed"], context["on_time_rate"]) == (1, 2, 50)
    assert [item.title for item in context["overdue_items"]] == [
        "A3", "A15", "A14", "A2", "A13", "A12", "A1", "A4",
    ]  # fmt: skip
    assert [item.title for item in context["due_soon_items"]] == ["A5", "A6"]


def _count_links(content: str) -> list[tuple[str, int]]:
    """Every link on the page whose text is a number and that opens the action item list."""
    list_url = re.escape(reverse("actions:list"))
    return [
        (html.unescape(href), int(number))
        for href, number in re.findall(
            rf'<a [^>]*href="({list_url}\?[^"]*)"[^>]*>(\d+)</a>', content
        )
    ]


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"owner": "ann"},
        {"service": "checkout"},
        {"priority": "P1"},
        {"status": "in_progress"},
    ],
)
def test_every_count_links_to_a_list_of_exactly_that_many_items(
    filters, manager, make_client, data_set
):
    client = make_client(manager)
    if "owner" in filters:
        filters = {"owner": data_set[filters["owner"]].pk}
    content = client.get(DASHBOARD, filters).content.decode()
    links = _count_links(content)
    assert len(links) >= 10
    for href, number in links:
        listed = client.get(href).context["page"].paginator.count
        assert listed == number, href


def test_filters_narrow_every_count(manager, make_client, data_set):
    client = make_client(manager)
    assert client.get(DASHBOARD, {"owner": data_set["ann"].pk}).context["counts"]["overdue"] == 4
    assert client.get(DASHBOARD, {"service": "search"}).context["counts"]["overdue"] == 2
    assert client.get(DASHBOARD, {"service": "none"}).context["counts"]["overdue"] == 2
    assert client.get(DASHBOARD, {"owner": "none"}).context["counts"]["overdue"] == 1
    assert client.get(DASHBOARD, {"priority": ["P1", "P3"]}).context["counts"]["overdue"] == 2
    in_progress = client.get(DASHBOARD, {"status": "in_progress"}).context
    assert in_progress["counts"]["overdue"] == 1
    # The rates are about status, so the status filter leaves them alone.
    assert in_progress["completion_rate"] == 20


def test_the_page_shows_the_numbers_and_the_overdue_items(manager, make_client, data_set):
    content = make_client(manager).get(DASHBOARD).content.decode()
    overdue = content[content.index('id="metric-overdue"') :]
    assert ">8</a>" in overdue[: overdue.index("</div></div>")]
    assert "20%" in content and "50%" in content
    assert "Overdue by 45 days" in content
    assert 'data-owner="none"' in content


def test_a_bad_filter_is_ignored_with_a_message(manager, make_client, data_set):
    response = make_client(manager).get(DASHBOARD, {"owner": "999999", "priority": "P9"})
    assert response.status_code == 200
    assert response.context["counts"]["overdue"] == 8
    assert "That filter was ignored." in response.content.decode()


def test_with_nothing_to_show_the_rates_are_blank_not_zero(manager, make_client):
    context = make_client(manager).get(DASHBOARD).context
    assert context["completion_rate"] is None and context["on_time_rate"] is None
    assert "Nothing is overdue." in make_client(manager).get(DASHBOARD).content.decode()


def _bulk_items(count):
    today = timezone.localdate()
    owners = UserFactory.create_batch(5)
    services = ServiceFactory.create_batch(3)
    postmortems = [
        PostmortemFactory(
            status="published", incident=IncidentFactory(severity=severity, services=services[:n])
        )
        for n, severity in enumerate(Severity.values)
    ]
    statuses = ["open", "in_progress", "done", "wont_do"]
    now = timezone.now()
    ActionItem.objects.bulk_create(
        ActionItem(
            postmortem=postmortems[n % 4],
            title=f"Item {n}",
            owner=owners[n % 5] if n % 7 else None,
            created_by=owners[0],
            due_date=today + timedelta(days=n % 90 - 60),
            priority=["P1", "P2", "P3"][n % 3],
            status=statuses[n % 4],
            completed_at=now - timedelta(days=n % 30) if statuses[n % 4] == "done" else None,
            resolution_note="No." if statuses[n % 4] == "wont_do" else "",
        )
        for n in range(count)
    )


@pytest.mark.parametrize("count", [10, 1000])
def test_the_dashboard_runs_a_fixed_number_of_queries(
    count, manager, make_client, django_assert_max_num_queries
):
    _bulk_items(count)
    client = make_client(manager)
    # session, user, the user's roles (who reads drafts' items), services, owners and teams for
    # the filters, the data version, all the counts (one query), overdue by owner, by service, by
    # severity, the overdue list, the due-soon list, the required postmortems' counts and rows,
    # the bell's unread count.
    with django_assert_max_num_queries(16):
        response = client.get(DASHBOARD, {"priority": ["P1", "P2", "P3"]})
    assert response.context["counts"]["overdue"] > 0
    # Asked again with the data unchanged: the counts and lists are kept as rendered, their
    # six queries spared (the required postmortems are read afresh).
    with django_assert_max_num_queries(10):
        again = client.get(DASHBOARD, {"priority": ["P1", "P2", "P3"]})
    assert "counts" not in again.context
    assert "Counts as of " in again.content.decode()  # how old the kept counts are
    metrics = '<section class="row row-cols-2'
    assert _from(metrics, again) == _from(metrics, response)


def _from(marker: str, response) -> str:
    content = response.content.decode()
    return content[content.index(marker) :]


@pytest.mark.parametrize("count", [10, 1000])
def test_the_list_runs_a_fixed_number_of_queries(
    count, manager, make_client, django_assert_max_num_queries
):
    _bulk_items(count)
    client = make_client(manager)
    # session, user, the user's roles (who reads drafts' items), services, owners and teams for
    # the filters, the data version, the count, the page's item ids, those items with owner and
    # incident, the bell's unread count.
    with django_assert_max_num_queries(11):
        response = client.get(reverse("actions:list"), {"due": "overdue"})
    assert response.context["page"].paginator.count > 0
    # Again with the data unchanged: the count is kept.
    with django_assert_max_num_queries(10):
        again = client.get(reverse("actions:list"), {"due": "overdue"})
    assert again.context["page"].paginator.count == response.context["page"].paginator.count


def test_the_lists_kept_count_follows_every_write(manager, make_client, data_set):
    client = make_client(manager)
    by_service = {"service": "checkout", "due": "overdue"}

    def count():
        return client.get(reverse("actions:list"), by_service).context["page"].paginator.count

    # Overdue on Checkout: the SEV1 items A1, A3, A14, A15 and the SEV3 items A2, A12.
    assert count() == 6
    ActionItem.objects.filter(title="A1").update(status="done", completed_at=timezone.now())
    assert count() == 5
    Incident.objects.get(severity=Severity.SEV3).services.remove(data_set["checkout"])
    assert count() == 3
    # A draft's items are read by its writers, reviewers and staff, and by their owners.
    ann = make_client(data_set["ann"])
    assert ann.get(reverse("actions:list"), by_service).context["page"].paginator.count == 3
    Postmortem.objects.filter(incident__severity=Severity.SEV1).update(status="draft")
    assert count() == 0
    assert ann.get(reverse("actions:list"), by_service).context["page"].paginator.count == 1


# The counts are kept between requests (core/snapshots.py): every kind of write shows at once.


def _overdue(client) -> dict:
    context = client.get(DASHBOARD).context
    return {
        "total": context["counts"]["overdue"],
        "owner": {row["name"]: row["count"] for row in context["by_owner"]},
        "service": {row["name"]: row["count"] for row in context["by_service"]},
        "severity": {row["key"]: row["count"] for row in context["by_severity"]},
    }


def _finish_a1(data):
    item = ActionItem.objects.get(title="A1")
    action_item_set_status(
        item=item, status="done", changed_by=data["ann"], evidence_note="Deployed"
    )


def _move_a3_later(data):
    ActionItem.objects.filter(title="A3").update(due_date=timezone.localdate() + timedelta(days=5))


def _delete_a15(data):
    ActionItem.objects.filter(title="A15").delete()


def _rename_ann(data):
    data["ann"].first_name = "Anne"
    data["ann"].save()


def _sev2_becomes_sev4(data):
    Incident.objects.filter(severity=Severity.SEV2).update(severity=Severity.SEV4)


def _sev1_also_on_search(data):
    Incident.objects.get(severity=Severity.SEV1).services.add(data["search"])


KEPT_COUNT_WRITES = {
    # Before: 8 overdue; Ann 4, Bob 3, no owner 1; Checkout 6, Search 2, no service 2;
    # SEV1 4, SEV2 2, SEV3 2.
    "item done": (_finish_a1, "total", 7),
    "due date moved": (_move_a3_later, "owner", {"Ann Able": 4, "Bob Baker": 2, "No owner": 1}),
    "item deleted": (_delete_a15, "total", 7),
    "owner renamed": (_rename_ann, "owner", {"Anne Able": 4, "Bob Baker": 3, "No owner": 1}),
    "severity changed": (
        _sev2_becomes_sev4,
        "severity",
        {"SEV1": 4, "SEV2": 0, "SEV3": 2, "SEV4": 2},
    ),
    "service added": (
        _sev1_also_on_search,
        "service",
        {"Checkout": 6, "Search": 6, "No service": 2},
    ),
}


@pytest.mark.parametrize("write", KEPT_COUNT_WRITES.values(), ids=KEPT_COUNT_WRITES.keys())
def test_kept_counts_follow_every_kind_of_write(write, manager, make_client, data_set):
    change, figure, expected = write
    client = make_client(manager)
    assert _overdue(client)["total"] == 8
    change(data_set)
    assert _overdue(client)[figure] == expected


def test_kept_counts_follow_a_postmortem_going_back_to_draft(make_client, data_set):
    """Drafts' items are read only by their writers, reviewers and staff, and by their owners:
    each reader's counts are their own, and each follows the change."""
    reader, ann = make_client(UserFactory()), make_client(data_set["ann"])
    assert _overdue(reader)["total"] == _overdue(ann)["total"] == 8
    Postmortem.objects.filter(incident__severity=Severity.SEV1).update(status="draft")
    # The SEV1 postmortem's overdue items: A1 and A14 (Ann's), A3 and A15 (Bob's).
    assert _overdue(reader)["total"] == 4
    assert _overdue(ann)["total"] == 6
