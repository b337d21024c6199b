import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionItem
from core.models import Role, Team
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    PostmortemFactory,
    UserFactory,
)

# Dates here depend on "today": check them on both sides of midnight UTC and of the date line.
pytestmark = [pytest.mark.django_db, pytest.mark.day_boundaries]
MINE = reverse("actions:mine")


def _titles_in_order(content: str, titles: list[str]) -> list[str]:
    return sorted(titles, key=content.index)


def test_each_user_sees_their_own_items_overdue_first_then_by_due_date(make_client):
    owner = UserFactory()
    today = timezone.localdate()
    for title, days in [
        ("Due in a month", 30),
        ("Overdue a day", -1),
        ("Due today", 0),
        ("Overdue a week", -7),
        ("Due tomorrow", 1),
    ]:
        ActionItemFactory(owner=owner, title=title, due_date=today + timedelta(days=days))
    ActionItemFactory(title="Someone else's")
    ActionItemFactory(owner=owner, title="Finished", status="done")

    response = make_client(owner).get(MINE)
    content = response.content.decode()
    to_do = content[: content.index("Recently closed")]
    titles = ["Due in a month", "Overdue a day", "Due today", "Overdue a week", "Due tomorrow"]
    assert _titles_in_order(to_do, titles) == [
        "Overdue a week",
        "Overdue a day",
        "Due today",
        "Due tomorrow",
        "Due in a month",
    ]
    assert "5 to do" in content and "2 overdue" in content
    assert to_do.count("Overdue by") == 2
    assert "Someone else's" not in content
    assert "Finished" in content[content.index("Recently closed") :]


def test_completing_is_one_click_with_an_optional_note(make_client):
    owner = UserFactory()
    item = ActionItemFactory(owner=owner, title="Add canary", kind="mitigate")
    client = make_client(owner)
    response = client.post(
        reverse("actions:status", args=[item.pk]),
        {"status": "done", "note": "Shipped in **v2**."},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"action-row-{item.pk}",
    )
    content = response.content.decode()
    assert content.lstrip().startswith(
        f'<li class="list-group-item action-row action-closed" id="action-row-{item.pk}"'
    )
    assert "“Add canary” is done." in content
    assert ">Reopen<" in content
    item.refresh_from_db()
    assert item.status == "done"
    assert item.completed_at is not None
    assert item.resolution_note == "Shipped in **v2**."
    change = item.changes.get()
    assert (change.field, change.old_value, change.new_value) == ("status", "open", "done")
    assert change.reason == "Shipped in **v2**."
    assert change.changed_by == owner


def test_completing_without_a_note_or_javascript_returns_to_the_list(make_client):
    owner = UserFactory()
    item = ActionItemFactory(owner=owner, title="Add canary", kind="mitigate")
    client = make_client(owner)
    response = client.post(
        reverse("actions:status", args=[item.pk]), {"status": "done", "next": MINE}
    )
    assert response.status_code == 302 and response.url == MINE
    page = client.get(MINE).content.decode()
    assert "“Add canary” is done." in page
    item.refresh_from_db()
    assert item.status == "done" and item.resolution_note == ""


def test_an_outside_next_address_is_not_followed(make_client):
    owner = UserFactory()
    item = ActionItemFactory(owner=owner)
    response = make_client(owner).post(
        reverse("actions:status", args=[item.pk]),
        {"status": "done", "next": "https://evil.example.com/"},
    )
    assert response.url == item.get_absolute_url()


def test_reopening_brings_an_item_back_to_the_list(make_client):
    owner = UserFactory()
    item = ActionItemFactory(owner=owner, status="done", resolution_note="Shipped")
    make_client(owner).post(reverse("actions:status", args=[item.pk]), {"status": "open"})
    item.refresh_from_db()
    assert (item.status, item.completed_at, item.resolution_note) == ("open", None, "")


def test_nothing_to_do_says_so(make_client):
    content = make_client(UserFactory()).get(MINE).content.decode()
    assert "Nothing to do: no open action items are yours." in content


def _many_items(owner, count):
    today = timezone.localdate()
    postmortems = PostmortemFactory.create_batch(3)
    ActionItem.objects.bulk_create(
        ActionItem(
            postmortem=postmortems[n % 3],
            title=f"Item {n}",
            owner=owner,
            created_by=owner,
            due_date=today + timedelta(days=n % 60 - 30),
            priority=["P1", "P2", "P3"][n % 3],
            status=["open", "in_progress"][n % 2],
        )
        for n in range(count)
    )


@pytest.mark.parametrize("count", [10, 1000])
def test_the_page_runs_a_fixed_number_of_queries(count, make_client, django_assert_max_num_queries):
    owner = UserFactory()
    _many_items(owner, count)
    ActionItemFactory(owner=owner, status="done")
    PostmortemFactory.create_batch(count // 10 + 1, author=owner)  # drafts to finish
    client = make_client(owner)
    # session, user, the data version, how many to do and overdue, the page of items, recently
    # closed items, their postmortems to finish (with incidents), the menu bar's counts.
    with django_assert_max_num_queries(8):
        response = client.get(MINE)
    rows = len(re.findall(r'id="action-row-\d+"', response.content.decode()))
    assert rows == min(count, 25) + 1
    assert f"{count} to do" in response.content.decode()
    # The counts are kept until the data changes (core/snapshots.py): one query fewer.
    with django_assert_max_num_queries(7):
        again = client.get(MINE)
    assert again.content.decode().count('id="action-row-') == rows
    assert f"{count} to do" in again.content.decode()


def test_the_items_to_do_come_25_to_a_page_overdue_first_across_pages(make_client):
    owner = UserFactory()
    today = timezone.localdate()
    for n in range(27):
        ActionItemFactory(owner=owner, title=f"Later {n:02}", due_date=today + timedelta(days=n))
    for n in range(3):
        ActionItemFactory(owner=owner, title=f"Late {n}", due_date=today - timedelta(days=n + 1))
    ActionItemFactory(owner=owner, title="Finished", status="done")
    client = make_client(owner)

    first = client.get(MINE).content.decode()
    assert "30 to do" in first and "3 overdue" in first
    assert "Page 1 of 2" in first and "?page=2" in first
    assert _titles_in_order(first, ["Late 0", "Late 1", "Late 2", "Later 00"]) == [
        "Late 2",
        "Late 1",
        "Late 0",
        "Later 00",
    ]
    assert "Later 21" in first and "Later 22" not in first
    assert "Recently closed" in first and "Finished" in first

    second = client.get(MINE, {"page": 2}).content.decode()
    assert [f"Later {n}" in second for n in (21, 22, 26)] == [False, True, True]
    assert "30 to do" in second and "Page 2 of 2" in second
    assert "Recently closed" not in second
    # A page past the end, or not a number, shows the nearest page rather than an error.
    assert "Later 26" in client.get(MINE, {"page": 99}).content.decode()
    assert "Late 2" in client.get(MINE, {"page": "x"}).content.decode()


def test_many_recently_closed_items_show_the_newest_and_link_to_all(make_client):
    owner = UserFactory()
    ActionItemFactory.create_batch(26, owner=owner, status="done")
    content = make_client(owner).get(MINE).content.decode()
    closed = content[content.index("Recently closed") :]
    assert len(re.findall(r'id="action-row-\d+"', closed)) == 25
    assert "All the items you closed, newest first" in closed
    assert f"?owner={owner.pk}&amp;status=done&amp;status=wont_do&amp;sort=updated" in closed


def test_a_writers_home_lists_their_postmortems_to_finish_sent_back_first(make_client):
    writer = UserFactory()
    PostmortemFactory(author=writer, status="draft", incident__title="Draft one")
    PostmortemFactory(author=writer, status="changes_requested", incident__title="Sent back")
    PostmortemFactory(author=writer, status="approved", incident__title="Approved one")
    PostmortemFactory(author=writer, status="published", incident__title="Published one")
    PostmortemFactory(status="draft", incident__title="Someone else's draft")
    co_written = PostmortemFactory(status="draft", incident__title="Co-written draft")
    co_written.co_authors.add(writer)

    page = make_client(writer).get(MINE).content.decode()
    panel = page[page.index("Your postmortems to finish") : page.index("Your action items")]
    listed = ["Sent back", "Draft one", "Co-written draft", "Approved one"]
    assert all(title in panel for title in listed)
    assert _titles_in_order(panel, listed)[0] == "Sent back"
    assert _titles_in_order(panel, listed)[-1] == "Approved one"
    assert "Approved: ready to publish" in panel
    assert "Published one" not in panel and "Someone else" not in panel


def test_a_restricted_draft_the_writer_may_no_longer_see_is_not_listed(make_client):
    writer = UserFactory()
    PostmortemFactory(
        author=writer, status="draft", incident__title="Hush", incident__restricted=True
    )
    assert "Hush" not in make_client(writer).get(MINE).content.decode()


@pytest.mark.parametrize(
    "access", [None, "participant", "team", "commander", "declarer", "security", "staff"]
)
def test_the_counts_leave_out_only_items_of_restricted_incidents_the_owner_may_not_see(
    make_client, access
):
    owner = UserFactory(
        roles=[Role.SECURITY] if access == "security" else [], is_staff=access == "staff"
    )
    today = timezone.localdate()
    ActionItemFactory(owner=owner, title="Ordinary", due_date=today - timedelta(days=2))
    ActionItemFactory(owner=owner, title="Later", due_date=today + timedelta(days=2))
    secret = IncidentFactory(
        restricted=True,
        commander=owner if access == "commander" else None,
        created_by=owner if access == "declarer" else UserFactory(),
    )
    if access == "participant":
        secret.participants.add(owner)
    if access == "team":
        team = Team.objects.create(name="Legal")
        team.members.add(owner)
        secret.access_teams.add(team)
    ActionItemFactory(
        owner=owner,
        title="Rotate the keys",
        postmortem=PostmortemFactory(incident=secret, status="published"),
        due_date=today - timedelta(days=1),
    )

    content = make_client(owner).get(MINE).content.decode()
    if access is None:
        assert "2 to do" in content and "1 overdue" in content
        assert "Rotate the keys" not in content
    else:
        assert "3 to do" in content and "2 overdue" in content
        assert "Rotate the keys" in content
