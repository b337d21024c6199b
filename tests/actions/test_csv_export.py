import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Severity
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    PostmortemFactory,
    ServiceFactory,
    UserFactory,
)

# Dates here depend on "today": check them on both sides of midnight UTC and of the date line.
pytestmark = [pytest.mark.django_db, pytest.mark.day_boundaries]
EXPORT = reverse("actions:export")


def _rows(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_export_holds_each_items_facts(outsider, make_client, settings):
    settings.SITE_URL = "https://hindsight.example.com"
    today = timezone.localdate()
    incident = IncidentFactory(
        title="Checkout down",
        severity=Severity.SEV1,
        services=[ServiceFactory(name="Payments"), ServiceFactory(name="Checkout")],
    )
    owner = UserFactory(first_name="Olive", last_name="Owner", email="olive@example.com")
    item = ActionItemFactory(
        postmortem=PostmortemFactory(status="published", incident=incident),
        title="Validate units",
        kind="detect",
        priority="P1",
        owner=owner,
        due_date=today - timedelta(days=4),
        tracker_url="https://jira.example.com/browse/PAY-7",
    )
    response = make_client(outsider).get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="action-items-{today}.csv"'
    [row] = _rows(response)
    assert row == {
        "ID": str(item.pk),
        "Title": "Validate units",
        "Kind": "Detect",
        "Priority": "P1",
        "Status": "Open",
        "Owner": "Olive Owner",
        "Owner email": "olive@example.com",
        "Due date": (today - timedelta(days=4)).isoformat(),
        "Days overdue": "4",
        "Incident": incident.reference,
        "Incident title": "Checkout down",
        "Severity": "SEV1",
        "Services": "Checkout, Payments",
        "Created by": item.created_by.display_name,
        "Created at": timezone.localtime(item.created_at).strftime("%Y-%m-%d %H:%M"),
        "Completed at": "",
        "Resolution note": "",
        "Ticket": "PAY-7",
        "Tracker link": "https://jira.example.com/browse/PAY-7",
        "Link": f"https://hindsight.example.com/actions/{item.pk}/",
    }


def test_the_export_follows_the_lists_filters_and_order(manager, make_client):
    today = timezone.localdate()
    ActionItemFactory(title="Later", due_date=today + timedelta(days=3))
    ActionItemFactory(title="Overdue long", due_date=today - timedelta(days=20))
    ActionItemFactory(title="Overdue short", due_date=today - timedelta(days=2))
    ActionItemFactory(title="Done", status="done", due_date=today - timedelta(days=9))
    client = make_client(manager)
    titles = [row["Title"] for row in _rows(client.get(EXPORT, {"due": "overdue"}))]
    assert titles == ["Overdue long", "Overdue short"]
    everything = [row["Title"] for row in _rows(client.get(EXPORT))]
    assert everything == ["Overdue long", "Overdue short", "Later", "Done"]
    listed = client.get(reverse("actions:list")).context["page"].object_list
    assert everything == [item.title for item in listed]


def test_the_list_page_offers_the_export_with_its_filters(manager, make_client):
    content = make_client(manager).get(reverse("actions:list"), {"due": "overdue", "page": 1})
    assert f'href="{EXPORT}?due=overdue"' in content.content.decode()


def test_cells_a_spreadsheet_would_run_as_formulas_are_kept_as_text(manager, make_client):
    ActionItemFactory(title='=HYPERLINK("http://evil.example.com","Click")')
    ActionItemFactory(title="-2+3", status="done")
    rows = _rows(make_client(manager).get(EXPORT))
    assert {row["Title"] for row in rows} == {
        '\'=HYPERLINK("http://evil.example.com","Click")',
        "'-2+3",
    }


def test_an_empty_export_still_has_its_header(manager, make_client):
    response = make_client(manager).get(EXPORT, {"due": "overdue"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines() == [
        "ID,Title,Kind,Priority,Status,Owner,Owner email,Due date,Days overdue,Incident,"
        "Incident title,Severity,Services,Created by,Created at,Completed at,Resolution note,"
        "Ticket,Tracker link,Link"
    ]


def test_an_unowned_item_and_a_finished_one_show_empty_and_local_cells(manager, make_client):
    today = timezone.localdate()
    finished_at = timezone.now() - timedelta(days=2)
    unowned = ActionItemFactory(
        title="Nobody yet",
        owner=None,
        due_date=None,
        postmortem=PostmortemFactory(status="published", incident=IncidentFactory(services=[])),
    )
    finished = ActionItemFactory(
        title="Finished",
        status="done",
        completed_at=finished_at,
        due_date=today - timedelta(days=30),
        tracker_url="https://github.com/acme/shop/issues/45",
    )
    rows = {row["Title"]: row for row in _rows(make_client(manager).get(EXPORT))}
    assert {key: rows["Nobody yet"][key] for key in ("Owner", "Owner email", "Due date")} == {
        "Owner": "",
        "Owner email": "",
        "Due date": "",
    }
    assert rows["Nobody yet"]["Services"] == ""
    assert rows["Nobody yet"]["Incident"] == unowned.postmortem.incident.reference
    assert rows["Finished"]["Status"] == "Done"
    assert rows["Finished"]["Days overdue"] == "0"
    assert rows["Finished"]["Completed at"] == timezone.localtime(finished_at).strftime(
        "%Y-%m-%d %H:%M"
    )
    assert rows["Finished"]["Ticket"] == "shop#45"
    assert rows["Finished"]["Owner"] == finished.owner.display_name


@pytest.mark.parametrize("count", [10, 200])
def test_the_export_query_count_does_not_grow_with_the_items(
    count, manager, make_client, django_assert_num_queries
):
    services = ServiceFactory.create_batch(2)
    postmortems = [
        PostmortemFactory(status="published", incident=IncidentFactory(services=services))
        for _n in range(5)
    ]
    owner = UserFactory()
    for n in range(count):
        ActionItemFactory(postmortem=postmortems[n % 5], owner=owner)
    client = make_client(manager)
    # session, user, the filter form's services and owners, the user's roles (who may read
    # drafts), and the items with their owner, creator, incident and services in one query.
    with django_assert_num_queries(6):
        rows = _rows(client.get(EXPORT))
    assert len(rows) == count
    assert {row["Services"] for row in rows} == {", ".join(sorted(s.name for s in services))}
